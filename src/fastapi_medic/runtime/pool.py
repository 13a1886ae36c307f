"""Connection and session tracking: which request holds which pooled connection, leaks at the
end of a request, pool use over time, and the exhaustion timeout explained with numbers.

Each tracked pool gets small wrappers around its own ``_do_get`` (a connection leaves the
pool) and ``_do_return_conn`` (it comes back), rather than ``checkout``/``checkin`` event
listeners: a listener takes SQLAlchemy's pool off its listener-free fast path and costs a
dispatch per event, a wrapper costs one call. The checkout is tied to the request that took
it through the request ``ContextVar`` (SQLAlchemy's greenlet inherits it for async engines).
When a request ends, connections it still holds are a leak, reported at the user's line (see
:mod:`fastapi_medic.runtime.capture`). A disposed engine's new pool is wrapped as it is made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fastapi_medic.findings import Finding, Frame, Location
from fastapi_medic.redact import redact_text
from fastapi_medic.runtime import context
from fastapi_medic.runtime import rules as _rules
from fastapi_medic.runtime.capture import capture_user_frames
from fastapi_medic.runtime.frames import display_path
from fastapi_medic.runtime.sessions import watch_sessions

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    from fastapi_medic.runtime.collector import Collector
    from fastapi_medic.runtime.context import RequestState

__all__ = ["Checkout", "PoolTracker", "capture_user_frames", "engine_label", "tracked_engines"]

_current_request = context.current_request.get
_clock = time.perf_counter
# capture_user_frames(skip): frames between it and SQLAlchemy's checkout (_took, the wrapper)
_SKIP_OURS = 3


class Checkout:
    """One connection taken from a pool: by which request, from which user lines."""

    __slots__ = ("raw", "request", "session", "watched")

    def __init__(
        self,
        watched: _Watched,
        request: RequestState | None,
        raw: tuple[tuple[str, int, str], ...],
    ) -> None:
        self.watched = watched
        self.request = request
        self.raw = raw
        self.session: str | None = None

    @property
    def engine(self) -> str:
        """The label of the engine whose pool lent the connection."""
        return self.watched.label

    @property
    def pool(self) -> Pool:
        """The pool that lent the connection."""
        return self.watched.pool

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


class _Watched:
    """One pool a tracker follows: its label and the records it has out now."""

    __slots__ = ("label", "last_sample", "out", "peak", "pool")

    def __init__(self, pool: Pool, label: str) -> None:
        self.pool = pool
        self.label = label
        # ids of the records checked out now: len() is exact across threads
        self.out: set[int] = set()
        self.peak = 0
        self.last_sample = 0.0


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
        self._watched: dict[int, _Watched] = {}  # id(pool) -> its figures
        self._undo: list[Callable[[], None]] = []
        self._closed = False
        # Waits for a connection, kept in plain attributes: at a busy pool's limit most
        # checkouts wait, and a locked collector update each would cost more than the rest.
        self._waits = 0
        self._wait_s = 0.0
        self._wait_max = 0.0
        collector.add_live(self._wait_figures)
        for engine in self._engines:
            self._attach(engine)
            _tracked[id(engine)] = _tracked.get(id(engine), 0) + 1
            self._undo.append(_untrack(engine))
        self._undo.append(watch_sessions(self))
        self._undo.append(context.on_request_end(self._on_request_end, holding=True))

    # -- wiring --------------------------------------------------------------------------

    def _attach(self, engine: Engine) -> None:
        from sqlalchemy import event

        def on_connect(dbapi_conn: Any, record: Any) -> None:
            try:
                self.collector.count("connections_opened")
            except Exception as exc:  # fail open
                self.collector.probe_failed("pool.connect", exc)

        # A pool listener for new connections only: it is not on the checkout path. (An
        # engine-level listener would be: it sends every statement through event dispatch.)
        event.listen(engine, "connect", on_connect)
        self._undo.append(remover(engine, "connect", on_connect))
        self.follow(engine.pool, self._labels[id(engine)])

    def follow(self, pool: Pool, label: str) -> None:
        """Track ``pool`` (an engine's pool, or the one ``dispose()`` made in its place)."""
        if self._closed:
            return
        with _hooks_lock:
            hook = _PoolHook.of(pool)
            if hook is None:
                return  # not a pool we know how to wrap: checkouts go untracked
            watched = self._watched[id(pool)] = _Watched(pool, label)
            entry = (self, watched)
            hook.trackers.append(entry)
        self._undo.append(lambda: hook.leave(entry))

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

    def book(self, engine: Any, record: Any) -> None:
        """Record a checkout the wrappers did not see (the first one of a watched engine)."""
        watched = self._watched.get(id(engine.pool))
        if watched is not None and id(record) not in self.held:
            self._took(watched, record)

    def _took(self, watched: _Watched, record: Any) -> None:
        # Runs at every checkout, in the thread (or greenlet) that takes the connection.
        try:
            state = _current_request()
            checkout = Checkout(watched, state, capture_user_frames(_SKIP_OURS))
            rid = id(record)
            self.held[rid] = checkout
            if state is not None:
                table = state._checkouts
                if table is None:
                    table = state._checkouts = {}
                table[rid] = checkout
            out = watched.out
            out.add(rid)
            in_use = len(out)
            if in_use > watched.peak:
                watched.peak = in_use
                self.collector.peak("pool_peak", in_use)
                self._check_capacity(watched.pool, watched.label, in_use, checkout)
            now = _clock()
            if now - watched.last_sample >= self.sample_every:
                watched.last_sample = now
                self.collector.add_sample(self._sample(watched.pool, watched.label, in_use))
        except Exception as exc:  # fail open
            self.collector.probe_failed("pool.checkout", exc)

    def _gave(self, record: Any) -> None:
        # May run outside the request (garbage collection, another task): the checkout
        # knows its request.
        try:
            rid = id(record)
            checkout = self.held.pop(rid, None)
            if checkout is not None:
                checkout.watched.out.discard(rid)
                request = checkout.request
                if request is not None and request._checkouts is not None:
                    request._checkouts.pop(rid, None)
        except Exception as exc:  # fail open: the connection goes back regardless
            self.collector.probe_failed("pool.checkin", exc)

    def _on_request_end(self, state: RequestState) -> None:
        # Runs when the app call returns: the response is sent, background tasks ran and
        # every yield dependency's exit code ran, whichever order the FastAPI version uses
        # (before the response in 0.106-0.117 and for scope="function", after it otherwise;
        # both inside the app call). A connection still held now is held past the request.
        table = state._checkouts
        if not table:
            return
        held = self.held
        mine = [
            c for key, c in list(table.items()) if isinstance(c, Checkout) and held.get(key) is c
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

    def _waited(self, seconds: float) -> None:
        self._waits += 1
        self._wait_s += seconds
        if seconds > self._wait_max:
            self._wait_max = seconds
            self.collector.peak("pool_wait_max_ms", round(seconds * 1000.0, 3))

    def _wait_figures(self) -> dict[str, float | int]:
        if not self._waits:
            return {}
        return {"pool_waits": self._waits, "pool_wait_ms": round(self._wait_s * 1000.0, 3)}

    def _exhausted(self, watched: _Watched, waited: float) -> None:
        pool, label = watched.pool, watched.label
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
            watched = self._watched.get(id(pool))
            in_use = len(watched.out) if watched is not None else 0
            point = self._sample(pool, self._labels[id(engine)], in_use)
            self.collector.add_sample(point)
            out.append(point)
        return out


_HOOK = "_fastapi_medic_hook"
_hooks_lock = threading.Lock()


class _PoolHook:
    """The wrappers on one pool, shared by every tracker that follows it.

    ``_do_get`` hands a record out (``_ConnectionRecord.checkout`` calls it once per
    checkout, like the ``checkout`` event), ``_do_return_conn`` takes one back (checkin and
    detach both end there), ``recreate`` makes the pool ``Engine.dispose()`` puts in its
    place. Queue pools also get waits for a connection timed and the exhaustion timeout
    caught; the wrapper checks two integers before doing anything else.
    """

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.trackers: list[tuple[PoolTracker, _Watched]] = []
        self._installed: dict[str, Callable[..., Any]] = {}

    @classmethod
    def of(cls, pool: Any) -> _PoolHook | None:
        """The hook of ``pool``, installed on first use; None for a pool we cannot wrap.

        Call with ``_hooks_lock`` held.
        """
        hook = vars(pool).get(_HOOK)
        if isinstance(hook, _PoolHook):
            return hook
        if not all(callable(getattr(pool, n, None)) for n in _WRAPPED):
            return None
        hook = cls(pool)
        hook._install()
        pool.__dict__[_HOOK] = hook
        return hook

    def leave(self, entry: tuple[PoolTracker, _Watched]) -> None:
        """Stop calling one tracker; the last one out removes the wrappers."""
        with _hooks_lock:
            if entry in self.trackers:
                self.trackers.remove(entry)
            if self.trackers:
                return
            pool = self.pool
            for name, fn in self._installed.items():
                if vars(pool).get(name) is fn:
                    delattr(pool, name)
            if vars(pool).get(_HOOK) is self:
                del pool.__dict__[_HOOK]

    def _install(self) -> None:
        pool = self.pool
        get, give, recreate = pool._do_get, pool._do_return_conn, pool.recreate
        trackers = self.trackers  # the same list: trackers join and leave in place
        queue = isinstance(getattr(pool, "_max_overflow", None), int) and hasattr(pool, "_pool")

        def _do_get() -> Any:
            if (
                not queue
                or pool._max_overflow < 0
                or pool._overflow < pool._max_overflow
                or not pool._pool.empty()
            ):
                record = get()
            else:
                record = self._wait(get)
            for tracker, watched in trackers:
                tracker._took(watched, record)
            return record

        def _do_return_conn(record: Any) -> None:
            # Forget it first: once back in the queue another thread may take it.
            for tracker, _ in trackers:
                tracker._gave(record)
            give(record)

        def _recreate() -> Any:
            new = recreate()
            for tracker, watched in list(trackers):
                try:
                    tracker.follow(new, watched.label)
                except Exception as exc:  # fail open: the new pool goes untracked
                    tracker.collector.probe_failed("pool.recreate", exc)
            return new

        wrappers: tuple[Callable[..., Any], ...] = (_do_get, _do_return_conn, _recreate)
        for name, fn in zip(_WRAPPED, wrappers, strict=True):
            setattr(pool, name, fn)
            self._installed[name] = fn

    def _wait(self, get: Callable[[], Any]) -> Any:
        # The pool is at its limit: this checkout waits for a connection to come back.
        start = _clock()
        try:
            record = get()
        except Exception as exc:
            if type(exc).__name__ == "TimeoutError":
                waited = _clock() - start
                for tracker, watched in list(self.trackers):
                    tracker._exhausted(watched, waited)
            raise
        waited = _clock() - start
        for tracker, _ in list(self.trackers):
            try:
                tracker._waited(waited)
            except Exception as exc:  # fail open: the caller gets its connection
                tracker.collector.probe_failed("pool.wait", exc)
        return record


_WRAPPED = ("_do_get", "_do_return_conn", "recreate")
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
