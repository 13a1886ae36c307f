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
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from fastapi_medic.runtime import context
from fastapi_medic.runtime.context import RequestState, current_request, end_hooks, probe_failed

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
_VALID_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_running_loop = asyncio.get_running_loop
_SCOPES = frozenset({"http", "websocket"})
_STARTS = frozenset({"http.response.start", "websocket.accept"})
_TRACK_TASKS_NEEDED = sys.version_info < (3, 12)
# A private generator (seeded from os.urandom), reseeded in forked workers so two gunicorn
# workers never draw the same ids; the app's own random.seed() does not touch it.
_rng = random.Random()
_random_bits = _rng.getrandbits
os.register_at_fork(after_in_child=_rng.seed)


def valid_request_id(value: bytes) -> bool:
    """True when an incoming ``X-Request-ID`` value is safe to reuse."""
    return _VALID_ID.fullmatch(value) is not None


class MedicMiddleware:
    """Per-request context and reporting around an ASGI app.

    Args:
        app: the application (the stack Starlette built, so outside ``ServerErrorMiddleware``).
        collector: where findings and counters go.
        emitter: ships breadcrumbs of flagged requests off the loop; None keeps them in memory.
        slow_request: seconds after which a request is flagged ``slow``.
        track_tasks: keep the task -> request map the watchdog reads on Python < 3.12.
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
        track_tasks: bool = False,
        on_loop: Callable[[asyncio.AbstractEventLoop], object] | None = None,
    ) -> None:
        self.app = app
        self.collector = collector
        self.emitter = emitter
        self.slow_request = slow_request
        self.track_tasks = track_tasks and _TRACK_TASKS_NEEDED
        #: cleared by ``Instrumentation.close()``: the middleware then only passes through
        self.enabled = True
        self.on_loop = on_loop
        self._loop: asyncio.AbstractEventLoop | None = None
        # A plain attribute, read by the collector on demand: no lock on the hot path.
        self.requests = 0
        collector.add_live(lambda: {"requests": self.requests})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.on_loop is not None and _running_loop() is not self._loop:
            self._check_loop()
        kind = scope["type"]
        if kind not in _SCOPES or not self.enabled:
            await self.app(scope, receive, send)
            return
        try:
            state = self._start(scope)
            header = (HEADER, state.request_id.encode("ascii"))
            task = asyncio.current_task() if self.track_tasks else None
            if task is not None:
                context.task_requests[task] = state
            token = current_request.set(state)
        except Exception as exc:  # fail open: serve the request without our context
            self._failed("middleware.start", exc)
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] in _STARTS:
                try:
                    self._stamp(state, message, header)
                except Exception as exc:  # fail open: send the message as it is
                    self._failed("middleware.send", exc)
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                self._finish(state, error)
            except Exception as exc:  # fail open: the response is already out
                self._failed("middleware.end", exc)
            if task is not None:
                context.task_requests.pop(task, None)
            try:
                current_request.reset(token)
            except ValueError as exc:  # the app switched contexts under us: leave it be
                self._failed("middleware.reset", exc)

    @staticmethod
    def _stamp(state: RequestState, message: Message, header: tuple[bytes, bytes]) -> None:
        state.status = message.get("status")
        headers = message.get("headers") or ()
        for name, _ in headers:
            if name == HEADER or name.lower() == HEADER:
                return  # the app (or another middleware) set its own id: keep the one
        # A new list: the response object may reuse its own header list.
        message["headers"] = [*headers, header]

    def _check_loop(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            if loop is not self._loop and self.on_loop is not None and self.enabled:
                self._loop = loop
                self.on_loop(loop)
        except Exception as exc:  # fail open: no watchdog is better than no response
            self._failed("middleware.loop", exc)

    def _start(self, scope: Scope) -> RequestState:
        request_id = None
        for name, value in scope.get("headers") or ():
            if name == HEADER:
                if valid_request_id(value):
                    request_id = value.decode("ascii")
                break
        return RequestState(
            # 128 random bits as 32 hex digits, like uuid4().hex at a tenth of the cost; a
            # correlation id needs to be unique, not secret.
            request_id=request_id or _random_bits(128).to_bytes(16, "big").hex(),
            method=scope.get("method", "WEBSOCKET"),
            path=scope.get("path", ""),
            route=None,
            started=time.perf_counter(),
            scope=scope,
            root_path=scope.get("root_path", ""),
        )

    def _finish(self, state: RequestState, error: BaseException | None) -> None:
        state.duration = time.perf_counter() - state.started
        if error is not None and not isinstance(error, Exception):
            # Cancellation or shutdown: not the app's failure, nothing to report.
            self.collector.count("requests_cancelled")
            return
        status = state.status
        if error is not None or (status is not None and status >= 500):
            state.failed = True
            state.flags.add("error")
        if state.duration >= self.slow_request:
            state.flags.add("slow")
        for hook in tuple(end_hooks):
            try:
                hook(state)
            except Exception as exc:  # one failing hook must not stop the others
                self._failed(f"end_hook.{getattr(hook, '__qualname__', 'hook')}", exc)
        self.requests += 1
        if state._flags:  # the set exists only once something flagged the request
            self._report(state, error)

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
