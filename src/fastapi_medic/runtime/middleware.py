"""The pure ASGI middleware: correlation id, request context, end-of-request reporting.

It wraps the whole application (outside Starlette's ``ServerErrorMiddleware``) so even a 500
built from an unhandled exception carries ``X-Request-ID``. Every piece of our own work is
wrapped: a failure is counted and logged once, and the request goes on untouched.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from fastapi_medic.runtime.context import (
    RequestState,
    current_request,
    end_hooks,
    holding_hooks,
    probe_failed,
    route_of,
)

if TYPE_CHECKING:
    from fastapi_medic.runtime.collector import Collector
    from fastapi_medic.runtime.emit import Emitter

__all__ = ["HEADER", "MedicMiddleware", "valid_request_id"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"x-request-id"
# Letters, digits and a few separators, 1-128 characters: UUIDs, 32-hex ids, OTel trace ids,
# and nothing that could inject into a log line or a header.
_VALID_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}").fullmatch
# Bound once: the per-request path calls them without attribute lookups.
_running_loop = asyncio.get_running_loop
_set_request = current_request.set
_reset_request = current_request.reset
_clock = time.perf_counter
_SCOPES = frozenset({"http", "websocket"})
_STARTS = frozenset({"http.response.start", "websocket.accept"})
# A private generator (seeded from os.urandom), reseeded in forked workers so two gunicorn
# workers never draw the same ids; the app's own random.seed() does not touch it.
_rng = random.Random()
_random_bits = _rng.getrandbits
os.register_at_fork(after_in_child=_rng.seed)


def valid_request_id(value: bytes) -> bool:
    """True when an incoming ``X-Request-ID`` value is safe to reuse."""
    return _VALID_ID(value) is not None


def _stamp(state: RequestState, message: Message) -> None:
    """Add ``X-Request-ID`` to a response start (or a websocket accept)."""
    headers = message.get("headers") or ()
    for name, _ in headers:
        # ASGI requires lower-case header names (Starlette's responses lower them).
        if name == HEADER:
            return  # the app (or another middleware) set its own id: keep the one
    # A new list: the response object may reuse its own header list.
    message["headers"] = [*headers, (HEADER, state.request_id.encode("ascii"))]


def _server_errors(app: object) -> Any:
    """``app`` when it is exactly Starlette's ``ServerErrorMiddleware``, else None."""
    try:
        from starlette.middleware.errors import ServerErrorMiddleware
    except ImportError:  # not a Starlette app: wrap it as it is
        return None
    if type(app) is ServerErrorMiddleware and all(
        hasattr(app, name) for name in ("app", "handler", "debug")
    ):
        return app
    return None


class _Raise:
    """An ASGI app that raises the exception it was given (``ServerErrorMiddleware`` input)."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise self.exc


class _Request(RequestState):
    """The state of a request the middleware serves, with the server's ``send``."""

    __slots__ = ("_send",)

    _send: Send | None

    def __init__(self, request_id: str, scope: Scope, send: Send) -> None:
        # RequestState's fields, set here in one frame: this runs for every request.
        self.request_id = request_id
        self.method = scope.get("method", "WEBSOCKET")
        self.path = scope.get("path", "")
        self.route = None
        self.started = _clock()
        self.scope = scope
        self.root_path = scope.get("root_path", "")
        self._breadcrumbs = None
        self._checkouts = None
        self._flags = None
        self.sessions_opened = 0
        self.sessions_closed = 0
        self.failed = False
        self.status = None
        self.duration = None
        self._send = send

    def send(self, message: Message) -> Awaitable[None]:
        """The ``send`` the app gets: stamps the response start, then hands over.

        Returns the server's awaitable instead of awaiting it, so a message costs no extra
        coroutine.
        """
        if message["type"] in _STARTS:
            try:
                # The status first: it also says the response has started.
                self.status = message.get("status", 101)  # 101: a websocket accepted
                _stamp(self, message)
            except Exception as exc:  # fail open: send the message as it is
                probe_failed("middleware.send", exc)
        send = self._send
        if send is None:
            raise RuntimeError("ASGI send called after the application returned")
        return send(message)


class MedicMiddleware:
    """Per-request context and reporting around an ASGI app.

    When the app it wraps is Starlette's own ``ServerErrorMiddleware`` (the outermost layer
    of every Starlette and FastAPI app), the middleware takes that layer's place on the
    common path: it calls the app inside it directly, and on an unhandled exception hands
    the exception to ``ServerErrorMiddleware``'s own code, which builds the 500 (or the
    debug page, or calls the app's 500 handler) exactly as it would have. One layer less
    per request, and the 500 still carries the id.

    Args:
        app: the application (the stack Starlette built, so outside ``ServerErrorMiddleware``).
        collector: where findings and counters go.
        emitter: ships breadcrumbs of flagged requests off the loop; None keeps them in memory.
        slow_request: seconds after which a request is flagged ``slow``.
        on_loop: called with the running loop the first time the app runs on it (lifespan or
            first request): starts the watchdog on the server's loop.
    """

    def __init__(
        self,
        app: ASGIApp,
        collector: Collector,
        *,
        emitter: Emitter | None = None,
        slow_request: float = 1.0,
        on_loop: Callable[[asyncio.AbstractEventLoop], object] | None = None,
    ) -> None:
        self._inner: ASGIApp = app
        self._errors: Any = None
        self.app = app
        self.collector = collector
        self.emitter = emitter
        self.slow_request = slow_request
        #: cleared by ``Instrumentation.close()``: the middleware then only passes through
        self.enabled = True
        self.on_loop = on_loop
        self._loop: asyncio.AbstractEventLoop | None = None
        # A plain attribute, read by the collector on demand: no lock on the hot path.
        self.requests = 0
        collector.add_live(lambda: {"requests": self.requests})

    @property
    def app(self) -> ASGIApp:
        """The wrapped application (as given: ``ServerErrorMiddleware`` stays in the chain)."""
        return self._app

    @app.setter
    def app(self, app: ASGIApp) -> None:
        self._app = app
        errors = _server_errors(app)
        self._errors = errors
        self._inner = errors.app if errors is not None else app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The common path is kept to plain attribute reads and calls: it runs on every
        # request, and under uvicorn every microsecond here is about 1% of a hello route.
        # It also allocates as few objects the garbage collector tracks as it can (no
        # closure, no cells): with many requests in flight, a few more per request are
        # enough to keep the collector running under load.
        if scope["type"] not in _SCOPES or not self.enabled:
            await self.app(scope, receive, send)
            return
        if self.on_loop is not None and self._loop is not _running_loop():
            self._check_loop()
        try:
            # ``state`` stays a local of this frame: the watchdog finds the request of a
            # stalled loop by looking for it on the loop thread's stack (Python < 3.12).
            request_id = None
            for name, value in scope.get("headers") or ():
                if name == HEADER:
                    if _VALID_ID(value) is not None:
                        request_id = value.decode("ascii")
                    break
            if request_id is None:
                # 128 random bits as 32 hex digits, like uuid4().hex at a tenth of the
                # cost; a correlation id needs to be unique, not secret.
                request_id = _random_bits(128).to_bytes(16, "big").hex()
            state = _Request(request_id, scope, send)
            token = _set_request(state)
        except Exception as exc:  # fail open: serve the request without our context
            self._failed("middleware.start", exc)
            await self.app(scope, receive, send)
            return
        error: BaseException | None = None
        try:
            # A bound method rather than a closure: one object instead of a function and
            # its cells.
            await self._inner(scope, receive, state.send)
        except BaseException as exc:
            error = exc
            if self._errors is not None and isinstance(exc, Exception):
                await self._server_error(scope, receive, state, exc)
            raise
        finally:
            try:
                self._finish(state, error)
            except Exception as exc:  # fail open: the response is already out
                self._failed("middleware.end", exc)
            error = None  # no cycle between this frame and the exception's traceback
            # The state can outlive the request: every context copied from the request's
            # (uvicorn's keep-alive timer, tasks the app spawned) still holds it. Let go of
            # the server's send and of the scope, or they would keep the whole request alive
            # with it, and the garbage collector busy under load. A flagged or leaking
            # request resolved its route template in _finish, before this.
            state._send = None
            state.scope = None
            try:
                _reset_request(token)
            except ValueError as exc:  # the app switched contexts under us: leave it be
                self._failed("middleware.reset", exc)

    async def _server_error(
        self, scope: Scope, receive: Receive, state: _Request, exc: Exception
    ) -> None:
        """What the skipped ``ServerErrorMiddleware`` does with ``exc``: answer 500 if nothing
        was sent yet. Raises ``exc`` again."""
        if scope["type"] != "http" or state.status is not None:
            return  # it passes other scopes through, and never answers twice
        errors = self._errors
        try:
            one_shot = type(errors)(_Raise(exc), handler=errors.handler, debug=errors.debug)
        except Exception as failure:  # fail open: the server answers 500 itself
            self._failed("middleware.server_error", failure)
            return
        await one_shot(scope, receive, state.send)

    def _check_loop(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            if loop is not self._loop and self.on_loop is not None and self.enabled:
                self._loop = loop
                self.on_loop(loop)
        except Exception as exc:  # fail open: no watchdog is better than no response
            self._failed("middleware.loop", exc)

    def _finish(self, state: RequestState, error: BaseException | None) -> None:
        state.duration = duration = _clock() - state.started
        if error is not None and not isinstance(error, Exception):
            # Cancellation or shutdown: not the app's failure, nothing to report.
            self.collector.count("requests_cancelled")
            return
        status = state.status
        if error is not None or (status is not None and status >= 500):
            state.failed = True
            state.flags.add("error")
        if duration >= self.slow_request:
            state.flags.add("slow")
        if state._checkouts:  # a connection is still out: the pool trackers look at it
            route_of(state)  # the pool may name this request after the scope is gone
            self._run_hooks(holding_hooks, state)
        if end_hooks:
            self._run_hooks(end_hooks, state)
        self.requests += 1
        if state._flags:  # the set exists only once something flagged the request
            route_of(state)  # resolved while the scope is still there
            self._report(state, error)

    def _run_hooks(self, hooks: list[Callable[[RequestState], None]], state: RequestState) -> None:
        for hook in tuple(hooks):
            try:
                hook(state)
            except Exception as exc:  # one failing hook must not stop the others
                self._failed(f"end_hook.{getattr(hook, '__qualname__', 'hook')}", exc)

    def _report(self, state: RequestState, error: BaseException | None) -> None:
        # Imported here: the reporting code runs only for the rare flagged request.
        from fastapi_medic.runtime.report import request_findings

        findings = request_findings(state, error, self.slow_request)
        for finding in findings:
            self.collector.add(finding)
        if "error" in state.flags:
            self.collector.count("errors")
        if "slow" in state.flags:
            self.collector.count("slow_requests")
        if self.emitter is not None:
            self.emitter.request(state, error, findings)

    def _failed(self, where: str, exc: BaseException) -> None:
        try:
            self.collector.probe_failed(where, exc)
        except Exception as inner:  # last resort
            probe_failed(where, inner)
