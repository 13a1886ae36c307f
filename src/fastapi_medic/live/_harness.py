"""Serves the app in-process in the child: lifespan, one request at a time, its outcome.

The request goes through ``httpx.ASGITransport`` on the child's own event loop, so the app runs
exactly as under a server, and exceptions are caught both where they are raised (see
:mod:`._hooks`) and at the outside of the app (middleware, dependency teardown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi_medic.live._hooks import ACTIVE, Attempt, Mode
from fastapi_medic.live._mask import mask_body, mask_headers
from fastapi_medic.live._tb import describe
from fastapi_medic.live.curl import RequestSpec

__all__ = ["Harness", "LifespanError", "request_kwargs"]

_BODY_LIMIT = 4000


class LifespanError(Exception):
    """The app's startup failed; ``error`` describes the exception or message."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "startup failed"))
        self.error = error


BASE_URL = "http://testserver"


class OwnRequestsFilter(logging.Filter):
    """Drops httpx's log lines about fastapi-medic's own requests (the app's stay).

    An app that logs at INFO would otherwise show one line per request repro or load sends.
    """

    def __init__(self, *prefixes: str) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record unless it is about one of our requests."""
        return not any(str(arg).startswith(self.prefixes) for arg in record.args or ())


def quiet_own_requests(*prefixes: str) -> None:
    """Filter httpx's request log for URLs starting with ``prefixes``."""
    logging.getLogger("httpx").addFilter(OwnRequestsFilter(*prefixes))


class _Lifespan:
    """Drives the ASGI lifespan protocol of an app, as a server does."""

    def __init__(self, app: Any, root: str) -> None:
        self.app = app
        self.root = root
        self.state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._unsupported = False

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        try:
            await self.app(scope, self._inbox.get, self._outbox.put)
        except BaseException as exc:
            # An app without lifespan support raises on the scope; both cases end the protocol.
            await self._outbox.put({"type": "medic.crashed", "error": describe(exc, self.root)})

    async def startup(self) -> None:
        self._task = asyncio.create_task(self._run())
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        if message["type"] == "lifespan.startup.complete":
            return
        if message["type"] == "lifespan.startup.failed":
            # Starlette reports the failure, then re-raises: wait for the exception itself.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
            crashed = self._outbox.get_nowait() if not self._outbox.empty() else None
            if crashed is not None and crashed["type"] == "medic.crashed":
                raise LifespanError(crashed["error"])
            text = str(message.get("message", "")).strip().splitlines()
            raise LifespanError(
                {"type": "StartupFailed", "message": text[-1] if text else "", "frames": []}
            )
        if message["type"] == "medic.crashed":
            if _is_starlette(self.app):
                raise LifespanError(message["error"])
            self._unsupported = True  # a bare ASGI app without lifespan support, as uvicorn

    async def shutdown(self) -> None:
        if self._task is None or self._unsupported or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outbox.get(), timeout=10)


class Harness:
    """The app, started, with an in-process client.

    Use as ``async with Harness(app, root) as harness: await harness.send(spec)``.

    Raises:
        LifespanError: on entry, when the app's startup fails.
    """

    def __init__(self, app: Any, root: str) -> None:
        self.app = app
        self.root = root
        self._lifespan = _Lifespan(app, root)
        self._stack = contextlib.AsyncExitStack()
        self.client: Any = None
        #: the state of the last request sent (its dependency tree, for --bisect)
        self.last: Attempt | None = None

    async def __aenter__(self) -> Harness:
        import httpx

        quiet_own_requests(BASE_URL)
        await self._lifespan.startup()
        outer: Any = self._outer
        transport = httpx.ASGITransport(app=outer, raise_app_exceptions=False)
        self.client = await self._stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=None)
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()
        await self._lifespan.shutdown()

    async def _outer(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Servers give each request a copy of the lifespan state; ASGITransport does not.
        scope = {**scope, "state": dict(self._lifespan.state)}
        try:
            await self.app(scope, receive, send)
        except BaseException as exc:
            attempt = ACTIVE.get()
            if attempt is not None:
                attempt.record(exc, "outside the route (middleware or dependency teardown)")
                attempt.escaped = True
            raise

    async def send(self, spec: RequestSpec, mode: Mode | None = None) -> dict[str, Any]:
        """Send ``spec`` once and return its outcome as a JSON-ready mapping."""
        attempt = Attempt(root=self.root, mode=mode or Mode())
        self.last = attempt
        token = ACTIVE.set(attempt)
        started = time.perf_counter()
        try:
            response = await self.client.request(**request_kwargs(spec))
        finally:
            ACTIVE.reset(token)
        duration = time.perf_counter() - started
        ctype = response.headers.get("content-type")
        error = attempt.error()
        return {
            "status": response.status_code,
            "headers": mask_headers(response.headers.items()),
            "body": mask_body(response.content, ctype, limit=_BODY_LIMIT),
            "body_bytes": len(response.content),
            "error": error,
            "breadcrumbs": attempt.breadcrumbs,
            "duration": duration,
            "response_model": attempt.response_model,
            "endpoint": attempt.endpoint,
            "validation_errors": attempt.validation_errors,
            # An exception your handlers turned into a 4xx is not a failure; one that escaped
            # the app is, even after a 200 (a background task, a dependency's teardown).
            "passed": response.status_code < 500 and not attempt.escaped,
            "handled": error is not None and response.status_code < 500 and not attempt.escaped,
        }


def _is_starlette(app: Any) -> bool:
    try:
        from starlette.applications import Starlette
    except ImportError:  # pragma: no cover - starlette comes with fastapi
        return False
    return isinstance(app, Starlette)


def request_kwargs(spec: RequestSpec) -> dict[str, Any]:
    """The keyword arguments of ``httpx.AsyncClient.request`` that send ``spec``."""
    kwargs: dict[str, Any] = {
        "method": spec.method,
        "url": spec.target,
        "headers": list(spec.headers),
    }
    if spec.files or spec.form:
        kwargs["data"] = dict(spec.form)
        kwargs["files"] = [
            (f.field, (f.filename, f.content, f.content_type or "application/octet-stream"))
            for f in spec.files
        ]
        # httpx sets the multipart boundary itself; a pasted Content-Type would lack it
        kwargs["headers"] = [h for h in spec.headers if h[0].lower() != "content-type"]
    elif spec.body is not None:
        kwargs["content"] = spec.body
    return kwargs
