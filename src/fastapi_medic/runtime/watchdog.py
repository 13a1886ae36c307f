"""Event-loop stall detector: a heartbeat on the loop and a monitor thread that samples the
loop thread's stack while the heartbeat is late.

Works for any cause (a blocking call, a C extension, a CPU-bound loop) and any loop that has
``call_later`` and ``call_soon_threadsafe`` (asyncio and uvloop). The loop pays one tiny
callback per beat; the monitor thread sleeps until the next beat is overdue, so an idle app
costs a few dozen wake-ups a second. Stacks are read only during a stall.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

from fastapi_medic.findings import Frame, Location
from fastapi_medic.runtime import context
from fastapi_medic.runtime.frames import display_path, is_user_file

if TYPE_CHECKING:
    from fastapi_medic.runtime.collector import Collector
    from fastapi_medic.runtime.context import RequestState

__all__ = ["Stall", "Watchdog"]

_OWN_DIR = context.__file__.rsplit("/", 1)[0]
_STACK_LIMIT = 64

# One sampled stack: (filename, line, function), innermost first.
Stack = tuple[tuple[str, int, str], ...]


class Stall:
    """One stall of the loop: how long, and what the loop thread was doing meanwhile."""

    __slots__ = ("duration", "ongoing", "request", "samples", "started")

    def __init__(self, started: float) -> None:
        self.started = started
        self.duration = 0.0
        self.ongoing = False
        self.samples: list[Stack] = []
        self.request: RequestState | None = None

    def dominant(self) -> Stack:
        """The stack seen most often (the first one on a tie)."""
        if not self.samples:
            return ()
        counts = collections.Counter(self._site(s) for s in self.samples)
        site = counts.most_common(1)[0][0]
        return next(s for s in self.samples if self._site(s) == site)

    def sites(self) -> int:
        """How many distinct user lines the samples were blocked at."""
        return len({self._site(s) for s in self.samples})

    @staticmethod
    def _site(stack: Stack) -> tuple[str, int, str]:
        for entry in stack:
            if is_user_file(entry[0]):
                return entry
        return stack[0] if stack else ("", 0, "")


class Watchdog:
    """Reports stalls of one event loop longer than ``threshold`` seconds into ``collector``.

    Args:
        threshold: a loop that runs no callback for longer than this is stalled.
        collector: where findings and counters go.
        loop: the loop to watch; can also be given (or changed) by :meth:`start`.
        interval: seconds between heartbeats (default ``threshold / 4``): the error on the
            reported duration.
        max_samples: stacks kept per stall (sampling goes on, counting only).
    """

    def __init__(
        self,
        threshold: float = 0.1,
        collector: Collector | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        interval: float | None = None,
        max_samples: int = 20,
    ) -> None:
        if threshold <= 0:
            raise ValueError("threshold must be positive")
        self.threshold = threshold
        self.interval = interval if interval is not None else max(threshold / 4, 0.002)
        self.collector = collector
        self.stalls: collections.deque[Stall] = collections.deque(maxlen=100)
        self._max_samples = max_samples
        self._loop = loop
        self._target: asyncio.AbstractEventLoop | None = None
        self._loop_tid: int | None = None
        self._last = time.perf_counter()
        self._handle: asyncio.TimerHandle | None = None
        self._generation = 0
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._observed = 0.0
        self._paused = 0.0
        self._missed: tuple[float, float] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> Watchdog:
        """Start watching ``loop`` (the running loop when None); idempotent per loop.

        Called again with another loop (a test client that makes a loop per request), the
        watchdog moves to that loop.
        """
        if loop is None:
            loop = _running_loop() or self._loop
            if loop is None:
                raise RuntimeError("Watchdog.start() needs a loop outside a running one")
        if loop is self._target and self._thread is not None:
            return self  # the per-request fast path: nothing to do, no lock
        with self._lock:
            if self._stopped.is_set():
                return self
            if loop is not self._target:
                self._loop = self._target = loop
                self._loop_tid = None
                self._generation += 1
                generation = self._generation
                self._last = 0.0  # the first beat stamps it: a loop starting up is not late
                if _running_loop() is loop:
                    # Called on the loop itself (the middleware's first request): watch
                    # from now on, the request may block before the first beat runs.
                    self._loop_tid = threading.get_ident()
                    self._last = time.perf_counter()
                loop.call_soon_threadsafe(self._beat, generation)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fastapi-medic-watchdog", daemon=True
                )
                self._thread.start()
        self._wake.set()
        return self

    def stop(self) -> None:
        """Stop the heartbeat and the monitor thread; idempotent."""
        with self._lock:
            self._stopped.set()
            self._generation += 1
            handle, loop, thread = self._handle, self._loop, self._thread
            self._handle = None
        self._wake.set()
        if handle is not None and loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed meanwhile, and its timers died with it.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(handle.cancel)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        try:
            self._report_missed()
        except Exception as exc:  # stopping never fails
            self._failed(exc)

    # -- on the loop ---------------------------------------------------------------------

    def _beat(self, generation: int) -> None:
        # Runs on the loop thread; stays tiny: one clock read, one timer.
        if generation != self._generation:
            return
        now = time.perf_counter()
        previous = self._last
        if (
            now - previous > self.interval + self.threshold
            and previous not in (self._observed, self._paused)
            and previous > 0.0
        ):
            self._missed = (previous, now)  # reported by the monitor thread, without a stack
        self._last = now
        if self._loop_tid is None:
            self._loop_tid = threading.get_ident()
        loop = self._loop
        if loop is not None:
            self._handle = loop.call_later(self.interval, self._beat, generation)

    # -- on the monitor thread -----------------------------------------------------------

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._wake.clear()
                self._report_missed()
                due = self._last + self.interval + self.threshold
                wait = due - time.perf_counter()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                loop = self._loop
                if loop is None or not loop.is_running() or self._loop_tid is None:
                    # A stopped loop is not a stalled one (a test client between requests);
                    # its late beat when it runs again is not a stall either.
                    self._paused = self._last
                    self._wake.wait(self.threshold)
                    continue
                self._observe(self._last)
            except Exception as exc:  # the watchdog never takes the app down
                self._failed(exc)
                self._wake.wait(self.threshold)

    def _observe(self, last: float) -> None:
        stall = Stall(last)
        loop, tid = self._loop, self._loop_tid
        sample_every = max(self.threshold / 2, 0.005)
        taken = 0
        self._observed = last
        while not self._stopped.is_set() and self._last == last:
            if loop is None or not loop.is_running():
                break  # the loop finished (a test client's per-request loop): stall over
            frame = sys._current_frames().get(tid) if tid is not None else None
            if frame is not None:
                taken += 1
                if stall.request is None:
                    stall.request = self._request_of(loop, frame)
                if len(stall.samples) < self._max_samples:
                    stall.samples.append(_stack(frame))
                del frame
            self._stopped.wait(sample_every)  # not _wake: start() may set it meanwhile
        missed = self._missed
        if taken == 0 and missed is not None and missed[0] == last:
            return  # the beat saw it first; _report_missed reports it once
        if self._last == last:
            stall.ongoing = loop is not None and loop.is_running()
            stall.duration = time.perf_counter() - last
        else:
            # The beat that finally ran stamps the end; the stall began at most one interval
            # after the previous beat, so this overestimates by less than ``interval``.
            stall.duration = self._last - last
        self.stalls.append(stall)
        self._report(stall, taken)

    def _report_missed(self) -> None:
        missed, self._missed = self._missed, None
        if missed is not None:
            stall = Stall(missed[0])
            stall.duration = missed[1] - missed[0]
            self.stalls.append(stall)
            self._report(stall, 0)

    def _request_of(self, loop: asyncio.AbstractEventLoop, frame: FrameType) -> RequestState | None:
        task = asyncio.current_task(loop)
        if task is not None:
            get_context = getattr(task, "get_context", None)  # Python 3.12+
            if get_context is not None:
                state = get_context().get(context.current_request)
                if isinstance(state, context.RequestState):
                    return state
        return _state_on_stack(frame)

    def _report(self, stall: Stall, taken: int) -> None:
        collector = self.collector
        if collector is None:
            return
        from fastapi_medic.runtime.rules import EventLoopStall

        collector.count("stalls")
        collector.peak("stall_max_ms", round(stall.duration * 1000.0, 1))
        stack = stall.dominant()
        chain = _chain(stack)
        location = _user_location(stack)
        state = stall.request
        subject = _subject(state)
        if state is not None:
            state.flags.add("stall")
        where = f" in {subject}" if state is not None else ""
        many = stall.sites() > 1
        evidence: dict[str, str | int | float | bool | None] = {
            "duration_ms": round(stall.duration * 1000.0, 1),
            "threshold_ms": round(self.threshold * 1000.0, 1),
            "samples": taken,
            "distinct_sites": stall.sites(),
            "pattern": "many short calls" if many else "one long call",
            "blocking_frame": _label(stack[0]) if stack else None,
            "ongoing": stall.ongoing,
        }
        if state is not None:
            evidence["request_id"] = state.request_id
        collector.add(
            EventLoopStall.finding(
                f"Event loop blocked for {stall.duration:.2f} s{where}",
                location=location,
                subject=subject,
                chain=chain,
                fix="Await an async API, or move the call off the loop with asyncio.to_thread",
                evidence=evidence,
            )
        )

    def _failed(self, exc: BaseException) -> None:
        if self.collector is not None:
            self.collector.probe_failed("watchdog", exc)
        else:
            context.probe_failed("watchdog", exc)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _stack(frame: FrameType | None) -> Stack:
    out: list[tuple[str, int, str]] = []
    while frame is not None and len(out) < _STACK_LIMIT:
        code = frame.f_code
        out.append((code.co_filename, frame.f_lineno or 0, code.co_name))
        frame = frame.f_back
    return tuple(out)


def _state_on_stack(frame: FrameType | None) -> RequestState | None:
    # Python 3.11 without a task map: the middleware's frame on the loop thread's stack holds
    # the request's state. Only fastapi-medic's own frames are looked into.
    while frame is not None:
        if frame.f_code.co_filename.startswith(_OWN_DIR):
            for value in frame.f_locals.values():
                if isinstance(value, context.RequestState):
                    return value
        frame = frame.f_back
    return None


def _label(entry: tuple[str, int, str]) -> str:
    return f"{entry[2]} {display_path(entry[0])}:{entry[1]}"


def _chain(stack: Stack) -> list[Frame]:
    """The user's frames, outermost first, then the innermost frame if it is not theirs."""
    frames = [
        Frame(label=name, path=display_path(path), line=line)
        for path, line, name in reversed(stack)
        if is_user_file(path)
    ]
    if stack and not is_user_file(stack[0][0]):
        path, line, name = stack[0]
        frames.append(Frame(label=name, path=display_path(path), line=line))
    return frames


def _user_location(stack: Sequence[tuple[str, int, str]]) -> Location | None:
    for path, line, _ in stack:
        if is_user_file(path):
            return Location(display_path(path), line)
    return None


def _subject(state: RequestState | None) -> str:
    if state is None:
        return "event loop"
    route = context.route_of(state)
    return f"{state.method} {route or state.path}"
