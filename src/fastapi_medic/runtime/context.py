"""Per-request state shared by every runtime probe, carried in a ``ContextVar``.

The middleware creates one :class:`RequestState` per HTTP request and sets
:data:`current_request`; probes (SQLAlchemy listeners, the pool tracker, the watchdog) read it
to tie what they see to the request that caused it. Everything here is cheap and never raises
into the user's code: a probe that fails reports through :func:`probe_failed`.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "BREADCRUMB_LIMIT",
    "Breadcrumb",
    "RequestState",
    "add_breadcrumb",
    "current_request",
    "end_hooks",
    "holding_hooks",
    "on_probe_failure",
    "on_request_end",
    "probe_failed",
    "route_of",
]

#: How many breadcrumbs one request keeps; older ones fall off the ring.
BREADCRUMB_LIMIT = 50

_log = logging.getLogger("fastapi_medic.runtime")


@dataclasses.dataclass(slots=True)
class Breadcrumb:
    """One step of a request: what happened and when (seconds since the request started)."""

    t: float
    kind: str
    message: str
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (values are already free of SQL parameters)."""
        return {
            "t_ms": round(self.t * 1000.0, 3),
            "kind": self.kind,
            "message": self.message,
            **self.data,
        }


class RequestState:
    """What the probes know about one request in flight.

    A plain class with slots rather than a dataclass: one is made per request, so its
    constructor is kept to plain assignments, and the three containers are created on
    first use (most requests never need them).

    Attributes:
        request_id: the correlation id (accepted from ``X-Request-ID`` or generated).
        method: the HTTP method (``WEBSOCKET`` for websockets).
        path: the raw path.
        route: the route template once resolved; read it with :meth:`route_template`,
            which resolves it from the scope on first use.
        started: ``time.perf_counter()`` when the request arrived.
        breadcrumbs: a bounded ring of steps, emitted only for failed/slow/leaking/stalled requests.
        checkouts: pool bookkeeping: ``id(dbapi_connection)`` -> where it was checked out.
        sessions_opened / sessions_closed: ORM sessions begun and closed by this request.
        failed: set on a 5xx response or an unhandled exception.
        flags: why the breadcrumbs get emitted: ``slow``, ``leak``, ``stall``, ``error``.
        status: the response status once sent.
        duration: seconds from arrival to the end of the app call.
        scope / root_path: the ASGI scope and its root path at arrival (the router writes the
            matched route into the scope).
    """

    __slots__ = (
        "_breadcrumbs",
        "_checkouts",
        "_flags",
        "duration",
        "failed",
        "method",
        "path",
        "request_id",
        "root_path",
        "route",
        "scope",
        "sessions_closed",
        "sessions_opened",
        "started",
        "status",
    )

    def __init__(  # noqa: PLR0917 - made per request: positional calls are the cheapest
        self,
        request_id: str,
        method: str,
        path: str,
        route: str | None,
        started: float,
        scope: Any = None,
        root_path: str = "",
    ) -> None:
        self.request_id = request_id
        self.method = method
        self.path = path
        self.route = route
        self.started = started
        self.scope = scope
        self.root_path = root_path
        self._breadcrumbs: collections.deque[Breadcrumb] | None = None
        self._checkouts: dict[int, Any] | None = None
        self._flags: set[str] | None = None
        self.sessions_opened = 0
        self.sessions_closed = 0
        self.failed = False
        self.status: int | None = None
        self.duration: float | None = None

    def __repr__(self) -> str:
        return (
            f"RequestState({self.request_id!r}, {self.method} {self.path}, "
            f"status={self.status}, flags={sorted(self._flags or ())})"
        )

    @property
    def breadcrumbs(self) -> collections.deque[Breadcrumb]:
        """The ring of steps (created on first use)."""
        ring = self._breadcrumbs
        if ring is None:
            ring = self._breadcrumbs = collections.deque(maxlen=BREADCRUMB_LIMIT)
        return ring

    @property
    def checkouts(self) -> dict[int, Any]:
        """``id(dbapi_connection)`` -> checkout record (the pool tracker's type)."""
        table = self._checkouts
        if table is None:
            table = self._checkouts = {}
        return table

    @property
    def flags(self) -> set[str]:
        """Why the request gets reported (created on first use)."""
        flags = self._flags
        if flags is None:
            flags = self._flags = set()
        return flags

    @property
    def flagged(self) -> bool:
        """True when any flag is set, without creating the set."""
        return bool(self._flags)

    def breadcrumb(self, kind: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Append a breadcrumb stamped with the time since the request started."""
        self.breadcrumbs.append(
            Breadcrumb(time.perf_counter() - self.started, kind, message, data or {})
        )

    def route_template(self) -> str | None:
        """The route template, resolved from the scope on first use (see :func:`route_of`)."""
        return route_of(self)


#: The request being served in this context, or None outside a request.
current_request: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar(
    "fastapi_medic_request", default=None
)

#: Hooks run by the middleware when a request ends (read it, don't mutate it).
end_hooks: list[Callable[[RequestState], None]] = []
#: Hooks run only for a request that still holds a pooled connection when it ends (the leak
#: check): the common request, which returned everything, does not pay for a call.
holding_hooks: list[Callable[[RequestState], None]] = []

_failure_handlers: list[Callable[[str, BaseException], None]] = []
_logged_failures: set[str] = set()
_lock = threading.Lock()


def route_of(state: RequestState) -> str | None:
    """The route template of ``state`` (``/items/{item_id}``), or None before routing.

    Starlette's router stores the matched route in ``scope["route"]``; a mounted app extends
    ``root_path``, whose extra part is the mount prefix of the template. FastAPI 0.165 and
    later keep included routers as they are, so a route's own path lacks the prefix given to
    ``include_router``: the full template is in FastAPI's effective route context. Never raises.
    """
    if state.route is not None or state.scope is None:
        return state.route
    try:
        route = state.scope.get("route")
        extra = state.scope.get("fastapi")
        effective = extra.get("effective_route_context") if isinstance(extra, dict) else None
        if effective is not None and getattr(effective, "original_route", None) is route:
            route = effective
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str):
            root = state.scope.get("root_path", "")
            prefix = root[len(state.root_path) :] if root.startswith(state.root_path) else ""
            state.route = prefix + path
    except Exception as exc:  # a probe must never break the request
        probe_failed("route_of", exc)
    return state.route


def add_breadcrumb(kind: str, message: str, **data: Any) -> None:
    """Record a step of the current request; does nothing outside a request, never raises."""
    try:
        state = current_request.get()
        if state is not None:
            state.breadcrumbs.append(
                Breadcrumb(time.perf_counter() - state.started, kind, message, data)
            )
    except Exception as exc:  # a probe must never break the request
        probe_failed("add_breadcrumb", exc)


def on_request_end(
    hook: Callable[[RequestState], None], *, holding: bool = False
) -> Callable[[], None]:
    """Run ``hook(state)`` at the end of every request; returns a function that unregisters it.

    Hooks run in the middleware after the app returned (response sent, background tasks and
    yield-dependency teardown done). A hook that raises is counted and logged once.

    Args:
        hook: the function to call.
        holding: call it only when the request still holds a checked-out connection.
    """
    hooks = holding_hooks if holding else end_hooks
    with _lock:
        hooks.append(hook)

    def unregister() -> None:
        with _lock:
            if hook in hooks:
                hooks.remove(hook)

    return unregister


def on_probe_failure(handler: Callable[[str, BaseException], None]) -> Callable[[], None]:
    """Send every probe failure to ``handler(where, exc)``; returns an unregister function."""
    with _lock:
        _failure_handlers.append(handler)

    def unregister() -> None:
        with _lock:
            if handler in _failure_handlers:
                _failure_handlers.remove(handler)

    return unregister


def probe_failed(where: str, exc: BaseException) -> None:
    """Report that our own code failed at ``where``; never raises.

    Registered handlers (the collector of each :func:`instrument` call) count it; when none is
    registered the failure is logged once per ``where`` so it is not lost.
    """
    try:
        handlers = list(_failure_handlers)
        for handler in handlers:
            # The failure path itself must not fail.
            with contextlib.suppress(Exception):
                handler(where, exc)
        if not handlers and where not in _logged_failures:
            _logged_failures.add(where)
            _log.warning(
                "fastapi-medic probe %s failed; your request was not affected",
                where,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
    except Exception:  # a logging failure must not reach the request
        pass
