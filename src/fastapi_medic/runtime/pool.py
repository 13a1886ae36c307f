"""Connection and session tracking: which request holds which pooled connection, leaks at the
end of a request, pool use over time, and the exhaustion timeout explained with numbers.

Pool ``checkout``/``checkin`` events tie each connection to the request that took it (through
the request ``ContextVar``, which SQLAlchemy's greenlet inherits for async engines). When a
request ends, connections it still holds are a leak, reported at the user's line. Capture is
cheap: a walk up the stack that keeps the first few user frames, crossing from SQLAlchemy's
greenlet into the suspended coroutine chain for ``AsyncSession``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

from fastapi_medic.findings import Finding, Frame, Location
from fastapi_medic.redact import redact_text
from fastapi_medic.runtime import context
from fastapi_medic.runtime import rules as _rules
from fastapi_medic.runtime.frames import display_path, is_user_file
from fastapi_medic.runtime.sessions import watch_sessions

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    from fastapi_medic.runtime.collector import Collector
    from fastapi_medic.runtime.context import RequestState

__all__ = ["Checkout", "PoolTracker", "capture_user_frames", "engine_label", "tracked_engines"]

_MAX_FRAMES = 3
_WALK_LIMIT = 120
_AFTER_LAST_USER = 12


class Checkout:
    """One connection taken from a pool: by which request, from which user lines."""

    __slots__ = ("engine", "pool", "raw", "request", "session")

    def __init__(self, engine: str, pool: Pool, request: RequestState | None) -> None:
        self.engine = engine
        self.pool = pool
        self.request = request
        self.raw = capture_user_frames()
        self.session: str | None = None

    @property
    def frames(self) -> tuple[Frame, ...]:
        """The user frames that took the connection, outermost first."""
        return tuple(Frame(name, display_path(path), line) for path, line, name in self.raw)

    @property
    def location(self) -> Location | None:
        """The innermost user line that took the connection."""
        if not self.raw:
            return None
        path, line, _ = self.raw[-1]
        return Location(display_path(path), line)


# filename -> is it the user's own code; a plain dict is cheaper than a cached function call.
_USER: dict[str, bool] = {}


def capture_user_frames() -> tuple[tuple[str, int, str], ...]:
    """The first few user frames above the caller as (path, line, function), outermost first.

    Inside SQLAlchemy's greenlet (async engines) the stack ends at the greenlet's start; the
    walk goes on in the parent greenlet's suspended frame, where the route's ``await`` is.
    """
    found: list[tuple[str, int, str]] = []
    frame: FrameType | None = sys._getframe(1)
    walked = since_user = 0
    crossed = False
    user = _USER
    while walked < _WALK_LIMIT:
        if frame is None:
            if crossed:
                break
            crossed = True
            frame = _parent_greenlet_frame()
            continue
        code = frame.f_code
        filename = code.co_filename
        mine = user.get(filename)
        if mine is None:
            mine = user[filename] = is_user_file(filename)
        if mine:
            found.append((filename, frame.f_lineno or 0, code.co_name))
            if len(found) >= _MAX_FRAMES:
                break
            since_user = 0
        elif found:
            since_user += 1
            if since_user > _AFTER_LAST_USER:
                break
        frame = frame.f_back
        walked += 1
    found.reverse()
    return tuple(found)


def _parent_greenlet_frame() -> FrameType | None:
    greenlet = sys.modules.get("greenlet")
    if greenlet is None:
        return None
    current = greenlet.getcurrent()
    if not getattr(current, "__sqlalchemy_greenlet_provider__", False):
        return None
    parent = current.parent
    return parent.gr_frame if parent is not None else None


def engine_label(engine: Any) -> str:
    """``driver://host:port/database`` of ``engine``: no user, password or query string."""
    url = engine.url
    host = f"{url.host}:{url.port}" if url.port else (url.host or "")
    return redact_text(f"{url.drivername}://{host}/{url.database or ''}")


class PoolTracker:
    """Tracks the pools of ``engines`` (sync or async) and reports into ``collector``.

    Args:
        engines: ``Engine`` / ``AsyncEngine`` objects (one or several).
        collector: where findings, counters and pool samples go.
        near_capacity: share of ``pool_size + max_overflow`` in use that warns (MED722).
        sample_every: minimum seconds between two pool samples taken on checkout.
    """

    def __init__(
        self,
        engines: Any,
        collector: Collector,
        *,
        near_capacity: float = 0.8,
        sample_every: float = 1.0,
    ) -> None:
        if not isinstance(engines, Iterable):
            engines = [engines]
        self.collector = collector
        self.near_capacity = near_capacity
        self.sample_every = sample_every
        self.held: dict[int, Checkout] = {}  # id(connection record) -> checkout, every pool
        self._engines: list[Engine] = [getattr(e, "sync_engine", e) for e in engines]
        self._labels = {id(e): engine_label(e) for e in self._engines}
        self._peaks: dict[int, int] = {}
        # id(pool) -> ids of its records checked out now: len() is exact across threads.
        self._out: dict[int, set[int]] = {}
        self._last_sample: dict[int, float] = {}
        self._waits: dict[int, list[float]] = {}
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._closed = False
        for engine in self._engines:
            self._attach(engine)
            _tracked[id(engine)] = _tracked.get(id(engine), 0) + 1
            self._undo.append(_untrack(engine))
        self._undo.append(watch_sessions(self))
        self._undo.append(context.on_request_end(self._on_request_end))

    # -- wiring --------------------------------------------------------------------------

    def _attach(self, engine: Engine) -> None:
        from sqlalchemy import event

        label = self._labels[id(engine)]

        def on_checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
            self._checkout(engine.pool, label, record)

        def on_checkin(dbapi_conn: Any, record: Any) -> None:
            # May run outside the request (garbage collection, another task): the checkout
            # knows its request.
            try:
                rid = id(record)
                checkout = self.held.pop(rid, None)
                if checkout is not None:
                    self._out.get(id(checkout.pool), _EMPTY).discard(rid)
                    if checkout.request is not None:
                        checkout.request.checkouts.pop(rid, None)
            except Exception as exc:  # fail open: the connection goes back regardless
                self.collector.probe_failed("pool.checkin", exc)

        def on_connect(dbapi_conn: Any, record: Any) -> None:
            try:
                self.collector.count("connections_opened")
            except Exception as exc:  # fail open
                self.collector.probe_failed("pool.connect", exc)

        def on_disposed(conn: Any) -> None:
            try:
                self._wrap_do_get(engine.pool, label)  # the pool was recreated
            except Exception as exc:  # fail open: waits go uncounted
                self.collector.probe_failed("pool.disposed", exc)

        hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (engine, "checkout", on_checkout),
            (engine, "checkin", on_checkin),
            (engine, "detach", on_checkin),
            (engine, "connect", on_connect),
            (engine, "engine_disposed", on_disposed),
        ]
        for target, name, fn in hooks:
            event.listen(target, name, fn)
            self._undo.append(remover(target, name, fn))
        self._wrap_do_get(engine.pool, label)

    def _wrap_do_get(self, pool: Pool, label: str) -> None:
        # Times waits for a connection and catches the exhaustion timeout. Only queue pools
        # wait; the wrapper checks two integers before doing anything else.
        if getattr(pool, "_max_overflow", None) is None or "_do_get" in vars(pool):
            return
        original = pool._do_get
        tracker = self

        def _do_get() -> Any:
            if (
                pool._max_overflow < 0  # type: ignore[attr-defined]
                or pool._overflow < pool._max_overflow  # type: ignore[attr-defined]
                or not pool._pool.empty()  # type: ignore[attr-defined]
            ):
                return original()
            start = time.perf_counter()
            try:
                record = original()
            except Exception as exc:
                if type(exc).__name__ == "TimeoutError":
                    tracker._exhausted(pool, label, time.perf_counter() - start)
                raise
            try:
                tracker._waited(pool, time.perf_counter() - start)
            except Exception as exc:  # fail open: the caller gets its connection
                tracker.collector.probe_failed("pool.wait", exc)
            return record

        pool._do_get = _do_get  # type: ignore[method-assign]

        def unwrap() -> None:
            if vars(pool).get("_do_get") is _do_get:
                del pool._do_get

        self._undo.append(unwrap)

    def close(self) -> None:
        """Remove every listener and wrapper; idempotent."""
        if self._closed:
            return
        self._closed = True
        for undo in reversed(self._undo):
            try:
                undo()
            except Exception as exc:  # closing must not fail
                self.collector.probe_failed("pool.close", exc)
        self._undo.clear()

    # -- events --------------------------------------------------------------------------

    def _checkout(self, pool: Pool, label: str, record: Any) -> None:
        try:
            state = context.current_request.get()
            checkout = Checkout(label, pool, state)
            rid = id(record)
            self.held[rid] = checkout
            if state is not None:
                state.checkouts[rid] = checkout
            key = id(pool)
            out = self._out.get(key)
            if out is None:
                out = self._out.setdefault(key, set())
            out.add(rid)
            in_use = len(out)
            if in_use > self._peaks.get(key, 0):
                self._peaks[key] = in_use
                self.collector.peak("pool_peak", in_use)
                self._check_capacity(pool, label, in_use, checkout)
            now = time.perf_counter()
            if now - self._last_sample.get(key, 0.0) >= self.sample_every:
                self._last_sample[key] = now
                self.collector.add_sample(self._sample(pool, label, in_use))
        except Exception as exc:  # fail open
            self.collector.probe_failed("pool.checkout", exc)

    def _on_request_end(self, state: RequestState) -> None:
        # Runs when the app call returns: the response is sent, background tasks ran and
        # every yield dependency's exit code ran, whichever order the FastAPI version uses
        # (before the response in 0.106-0.117 and for scope="function", after it otherwise;
        # both inside the app call). A connection still held now is held past the request.
        if not state.checkouts:
            return
        held = self.held
        mine = [
            c
            for key, c in list(state.checkouts.items())
            if isinstance(c, Checkout) and held.get(key) is c
        ]
        if not mine:
            return
        state.flags.add("leak")
        self.collector.count("leaks", len(mine))
        groups: dict[tuple[str | None, Location | None, str], list[Checkout]] = {}
        for c in mine:
            groups.setdefault((c.session, c.location, c.engine), []).append(c)
        for (session, location, engine), items in groups.items():
            self.collector.add(self._leak(state, session, location, engine, items))

    def _leak(
        self,
        state: RequestState,
        session: str | None,
        location: Location | None,
        engine: str,
        items: list[Checkout],
    ) -> Finding:
        subject = f"{state.method} {context.route_of(state) or state.path}"
        pool = items[0].pool
        evidence: dict[str, str | int | float | bool | None] = {
            "request_id": state.request_id,
            "engine": engine,
            "held": len(items),
            "checked_out": _number(pool, "checkedout"),
            "limit": _limit(pool),
            "sessions_opened": state.sessions_opened,
            "sessions_closed": state.sessions_closed,
        }
        if session is not None:
            return _rules.UnclosedSession.finding(
                f"{session} used by {subject} is never closed; its connection stays out",
                location=location,
                subject=subject,
                chain=items[0].frames,
                fix="Open the session with `async with` / `with`, or close it in `finally`",
                evidence=evidence,
            )
        return _rules.LeakedConnection.finding(
            f"Connection checked out by {subject} is never returned to the pool",
            location=location,
            subject=subject,
            chain=items[0].frames,
            fix="Use `with engine.connect() as conn:` so the connection is always returned",
            evidence=evidence,
        )

    # -- pool use ------------------------------------------------------------------------

    def _check_capacity(self, pool: Pool, label: str, in_use: int, checkout: Checkout) -> None:
        limit = _limit(pool)
        if limit is None or in_use < max(self.near_capacity * limit, 2):
            return
        self.collector.add(
            _rules.PoolNearCapacity.finding(
                f"{in_use} of {limit} pooled connections in use on {label}",
                subject=f"engine {label}",
                fix="Raise pool_size/max_overflow or hold connections for less time",
                evidence={**self._numbers(pool), "in_use": in_use},
            )
        )

    def _waited(self, pool: Pool, seconds: float) -> None:
        self.collector.count("pool_waits")
        self.collector.count("pool_wait_ms", round(seconds * 1000.0, 3))
        self.collector.peak("pool_wait_max_ms", round(seconds * 1000.0, 3))

    def _exhausted(self, pool: Pool, label: str, waited: float) -> None:
        try:
            self.collector.count("pool_timeouts")
            holders: dict[tuple[str, Location | None, bool], int] = {}
            for c in list(self.held.values()):
                if c.pool is pool:
                    req = c.request
                    who = (
                        "no request"
                        if req is None
                        else f"{req.method} {context.route_of(req) or req.path}"
                    )
                    ended = req is not None and req.duration is not None
                    key = (who, c.location, ended)
                    holders[key] = holders.get(key, 0) + 1
            ranked = sorted(holders.items(), key=lambda kv: -kv[1])
            text = "; ".join(
                f"{n} by {who}" + (f" at {loc}" if loc else "") + (" (ended)" if ended else "")
                for (who, loc, ended), n in ranked[:5]
            )
            top = ranked[0][0] if ranked else None
            limit = _limit(pool)
            self.collector.add(
                _rules.PoolExhausted.finding(
                    f"Pool exhausted on {label}: {limit} connections held, waited {waited:.1f} s",
                    location=top[1] if top else None,
                    subject=f"engine {label}",
                    fix="Return leaked connections (see holders) or size the pool for the load",
                    evidence={**self._numbers(pool), "waited_s": round(waited, 3), "holders": text},
                )
            )
        except Exception as exc:  # fail open
            self.collector.probe_failed("pool.exhausted", exc)

    def _numbers(self, pool: Pool) -> dict[str, int | float | None]:
        return {
            "pool_size": _number(pool, "size"),
            "max_overflow": getattr(pool, "_max_overflow", None),
            "timeout_s": _number(pool, "timeout"),
            "checked_out": _number(pool, "checkedout"),
        }

    def _sample(self, pool: Pool, label: str, in_use: int) -> dict[str, float | int | str]:
        metrics = self.collector.metrics()
        return {
            "t": round(time.time(), 3),
            "engine": label,
            "size": _number(pool, "size") or 0,
            "checked_out": in_use,
            "overflow": max(_number(pool, "overflow") or 0, 0),
            "waits": int(metrics.get("pool_waits", 0)),
            "wait_ms": float(metrics.get("pool_wait_ms", 0.0)),
        }

    def sample(self) -> list[dict[str, float | int | str]]:
        """Take one pool sample per engine now (also stored in the collector)."""
        out = []
        for engine in self._engines:
            pool = engine.pool
            in_use = len(self._out.get(id(pool), _EMPTY))
            point = self._sample(pool, self._labels[id(engine)], in_use)
            self.collector.add_sample(point)
            out.append(point)
        return out


_EMPTY: set[int] = set()
# id(engine) -> how many trackers follow it (EngineWatch leaves those engines alone).
_tracked: dict[int, int] = {}


def tracked_engines() -> frozenset[int]:
    """``id()`` of every engine a :class:`PoolTracker` follows now."""
    return frozenset(_tracked)


def _untrack(engine: Any) -> Callable[[], None]:
    def undo() -> None:
        left = _tracked.get(id(engine), 0) - 1
        if left > 0:
            _tracked[id(engine)] = left
        else:
            _tracked.pop(id(engine), None)

    return undo


def _limit(pool: Any) -> int | None:
    overflow = getattr(pool, "_max_overflow", None)
    size = _number(pool, "size")
    if overflow is None or overflow < 0 or size is None:
        return None
    return int(size) + int(overflow)


def _number(pool: Any, name: str) -> int | float | None:
    # QueuePool has size()/checkedout()/overflow()/timeout() methods; SingletonThreadPool has
    # a plain ``size`` attribute; NullPool and StaticPool have neither.
    value = getattr(pool, name, None)
    if callable(value):
        value = value()
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def remover(target: Any, name: str, fn: Callable[..., None]) -> Callable[[], None]:
    """A function that removes the SQLAlchemy listener ``fn`` if it is still there."""

    def remove() -> None:
        from sqlalchemy import event

        if event.contains(target, name, fn):
            event.remove(target, name, fn)

    return remove
