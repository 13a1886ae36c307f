"""Strict mode for test suites: known blocking functions raise when called on the loop thread.

The list of functions, the "is a loop running in this thread" test and the exemptions for
stdout/stderr and non-blocking sockets come from the ``blockbuster`` package; this module
adds allow-lists for the test clients of FastAPI and Starlette and for fastapi-medic's own
probes, and reports each blocking call as a finding at the user's line (MED731) before the
``BlockingError`` propagates.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fastapi_medic.findings import Frame, Location
from fastapi_medic.runtime import context
from fastapi_medic.runtime.frames import display_path, is_user_file

if TYPE_CHECKING:
    from fastapi_medic.runtime.collector import Collector

__all__ = ["DEFAULT_ALLOW", "StrictMode", "activate"]

#: (file suffix, function names) where blocking on the loop thread is expected and harmless.
DEFAULT_ALLOW: tuple[tuple[str, frozenset[str]], ...] = (
    # The test client drives the app from a portal thread and waits on it on purpose.
    ("starlette/testclient.py", frozenset({"_portal_factory", "handle_request", "__enter__"})),
    # FastAPI looks up each endpoint's source file once (inspect.getsourcefile) and copes
    # with failures itself.
    ("fastapi/routing.py", frozenset({"_extract_endpoint_context"})),
    # pydantic reads package metadata once when an email field is first validated.
    ("pydantic/networks.py", frozenset({"import_email_validator"})),
    # Module import and source lookups for tracebacks read files by design.
    ("traceback.py", frozenset({"extract", "format", "_extract_from_extended_frame_gen"})),
)

_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_guard = threading.local()


class StrictMode:
    """One activation of strict mode, reporting into zero or more collectors.

    Args:
        allow: extra ``(file suffix, function names)`` pairs where blocking is allowed.
    """

    def __init__(self, allow: Iterable[tuple[str, Iterable[str]]] = ()) -> None:
        from blockbuster import BlockBuster

        self.collectors: list[Collector] = []
        self._bb = BlockBuster()
        for function in self._bb.functions.values():
            for suffix, names in (*DEFAULT_ALLOW, *allow):
                function.can_block_in(suffix, set(names))
        self.active = False

    def activate(self) -> StrictMode:
        """Patch the blocking functions; idempotent."""
        if self.active:
            return self
        self._bb.activate()
        for function in self._bb.functions.values():
            if function.activated and function.original_func is not None:
                checker = getattr(function.module, function.func_name)
                wrapper = _reporting(self, function.full_name, checker, function.original_func)
                _set(function.module, function.func_name, wrapper)
        self.active = True
        return self

    def deactivate(self) -> None:
        """Restore every original function; idempotent."""
        if self.active:
            self._bb.deactivate()  # puts each original back, replacing our wrapper too
            self.active = False

    def report(self, name: str, frame: Any) -> None:
        """Record a blocking call to ``name`` made from ``frame``; never raises."""
        try:
            from fastapi_medic.runtime.rules import BlockingCallOnLoop

            chain = _user_chain(frame)
            state = context.current_request.get()
            subject = None
            if state is not None:
                subject = f"{state.method} {context.route_of(state) or state.path}"
                state.flags.add("stall")
            where = f" in {subject}" if subject else ""
            location = None
            if chain:
                last = chain[-1]
                location = Location(last.path or "?", last.line or 1)
            finding = BlockingCallOnLoop.finding(
                f"Blocking call to {name} on the event loop{where}",
                location=location,
                subject=subject,
                chain=chain,
                fix="Await an async API, or move the call off the loop with asyncio.to_thread",
                evidence={
                    "function": name,
                    "request_id": state.request_id if state is not None else None,
                },
            )
            for collector in list(self.collectors):
                collector.count("blocking_calls")
                collector.add(finding)
        except Exception as exc:  # fail open: the BlockingError still propagates
            context.probe_failed("strict.report", exc)


def _reporting(
    mode: StrictMode, name: str, checker: Callable[..., Any], original: Callable[..., Any]
) -> Callable[..., Any]:
    from blockbuster import BlockingError

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_guard, "on", False) or _from_us(sys._getframe(1)):
            return original(*args, **kwargs)
        try:
            return checker(*args, **kwargs)
        except BlockingError:
            with _guarded():
                mode.report(name, sys._getframe(1))
            raise

    return wrapper


def _from_us(frame: Any) -> bool:
    # fastapi-medic's own probes run on the loop thread (frame paths, the collector's lock).
    for _ in range(3):
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith(_OWN):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    _guard.on = True
    try:
        yield
    finally:
        _guard.on = False


def _user_chain(frame: Any) -> list[Frame]:
    out: list[Frame] = []
    while frame is not None and len(out) < 8:
        path = frame.f_code.co_filename
        if is_user_file(path):
            out.append(Frame(frame.f_code.co_name, display_path(path), frame.f_lineno))
        frame = frame.f_back
    out.reverse()
    return out


def _set(owner: Any, name: str, value: Callable[..., Any]) -> None:
    try:
        setattr(owner, name, value)
    except TypeError:  # a C type: blockbuster patched it with forbiddenfruit, so can we
        import forbiddenfruit  # type: ignore[import-untyped]

        forbiddenfruit.curse(owner, name, value)


class _Shared:
    """The one strict mode of the process and how many callers use it."""

    lock = threading.Lock()
    mode: StrictMode | None = None
    users = 0


class _Handle:
    """What :func:`activate` returns: ``deactivate()`` undoes this one activation."""

    def __init__(self, collector: Collector | None) -> None:
        self._collector = collector
        self._done = False

    def deactivate(self) -> None:
        with _Shared.lock:
            mode = _Shared.mode
            if self._done or mode is None:
                return
            self._done = True
            if self._collector is not None and self._collector in mode.collectors:
                mode.collectors.remove(self._collector)
            _Shared.users -= 1
            if _Shared.users <= 0:
                mode.deactivate()
                _Shared.mode, _Shared.users = None, 0


def activate(collector: Collector | None = None) -> _Handle:
    """Turn strict mode on (shared by every caller) and report into ``collector``.

    Returns:
        A handle whose ``deactivate()`` turns it off once every caller has done so.
    """
    with _Shared.lock:
        if _Shared.mode is None:
            _Shared.mode = StrictMode().activate()
        if collector is not None:
            _Shared.mode.collectors.append(collector)
        _Shared.users += 1
    return _Handle(collector)
