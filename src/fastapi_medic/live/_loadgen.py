"""The child's side of ``load``: serve the app (in-process or uvicorn on 127.0.0.1), drive it.

The app runs with the runtime probes on. Every request passes through :class:`Recorder`, which
keeps the server-side exception of each failed request (grouped by route, type and your frame).
The load itself comes from a bounded pool of client tasks that stop at the request count or the
deadline, whichever comes first. Under uvicorn, the client runs on its own thread and event
loop, so a route that blocks the server's loop shows as latency, as it would for real clients.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi_medic.live._hooks import ACTIVE, Attempt, install
from fastapi_medic.live._serial import finding_to_json
from fastapi_medic.live.curl import RequestSpec

__all__ = ["Recorder", "child_load"]

HOST = "127.0.0.1"  # the only address load ever serves on or sends to
_CLIENT_TIMEOUT = 30.0


class Recorder:
    """Pure ASGI wrapper: per request, an attempt (for the hooks) and its failure, if any."""

    def __init__(self, app: Any, root: str) -> None:
        self.app = app
        self.root = root
        self.errors: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        attempt = Attempt(root=self.root)
        token = ACTIVE.set(attempt)
        status = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except BaseException as exc:
            attempt.record(exc, "outside the route")
            attempt.escaped = True
            status = status or 500
            raise
        finally:
            ACTIVE.reset(token)
            if status >= 500 or attempt.escaped:
                self._keep(f"{scope['method']} {scope['path']}", status, attempt)

    def _keep(self, route: str, status: int, attempt: Attempt) -> None:
        error = attempt.error()
        frames = [f for f in (error or {}).get("frames", ()) if f.get("user")]
        where = f"{frames[-1]['path']}:{frames[-1]['line']}" if frames else ""
        kind = error["type"] if error else f"status {status}"
        key = (route, kind, where)
        with self._lock:
            entry = self.errors.setdefault(
                key, {"route": route, "status": status, "count": 0, "error": error}
            )
            entry["count"] += 1


async def _drive(
    send: Callable[[RequestSpec], Awaitable[int | str]],
    plan: list[RequestSpec],
    total: int,
    concurrency: int,
    duration: float,
) -> dict[str, Any]:
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + duration
    samples: list[list[Any]] = []

    async def worker() -> None:
        while True:
            index = next(counter)
            if index >= total or time.perf_counter() >= deadline:
                return
            spec = plan[index % len(plan)]
            begin = time.perf_counter()
            outcome = await send(spec)
            end = time.perf_counter()
            samples.append([f"{spec.method} {spec.path}", outcome, end - begin, end - started])

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"samples": samples, "elapsed": elapsed, "stopped_by": _stopped(samples, total)}


def _stopped(samples: list[list[Any]], total: int) -> str:
    return "requests" if len(samples) >= total else "duration"


def _client_send(client: Any) -> Callable[[RequestSpec], Awaitable[int | str]]:
    import httpx

    from fastapi_medic.live._harness import request_kwargs

    async def send(spec: RequestSpec) -> int | str:
        try:
            # the in-process client has no timeout of its own: bound each request here
            response = await asyncio.wait_for(
                client.request(**request_kwargs(spec)), _CLIENT_TIMEOUT
            )
        except (httpx.TimeoutException, asyncio.TimeoutError):
            return "timeout"
        except httpx.HTTPError as exc:
            return f"connection error ({type(exc).__name__})"
        return int(response.status_code)

    return send


async def _in_process(app: Any, job: dict[str, Any], plan: list[RequestSpec]) -> dict[str, Any]:
    from fastapi_medic.live._harness import Harness

    async with Harness(app, job["root"]) as harness:
        return await _drive(
            _client_send(harness.client), plan, job["requests"], job["concurrency"], job["duration"]
        )


def _client_thread(port: int, job: dict[str, Any], plan: list[RequestSpec]) -> dict[str, Any]:
    import httpx

    from fastapi_medic.live._harness import quiet_own_requests

    quiet_own_requests(f"http://{HOST}:{port}/")

    async def main() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=job["concurrency"])
        async with httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}", timeout=_CLIENT_TIMEOUT, limits=limits
        ) as client:
            return await _drive(
                _client_send(client), plan, job["requests"], job["concurrency"], job["duration"]
            )

    return asyncio.run(main())


async def _uvicorn(app: Any, job: dict[str, Any], plan: list[RequestSpec]) -> dict[str, Any]:
    import uvicorn

    config = uvicorn.Config(
        app, host=HOST, port=0, lifespan="on", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # startup failed: raise what uvicorn raised
            raise RuntimeError("uvicorn stopped during startup")
        await asyncio.sleep(0.02)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    try:
        result = await asyncio.to_thread(_client_thread, port, job, plan)
    finally:
        server.should_exit = True
        await serving
    result["server"] = f"uvicorn on {HOST}:{port}"
    return result


async def child_load(app: Any, job: dict[str, Any], channel: Any) -> dict[str, Any]:
    """Serve and drive the app as the job says; return samples, errors and probe data."""
    from fastapi_medic.live._engines import find_engines
    from fastapi_medic.live._probe import instrument_app
    from fastapi_medic.live._routes import simple_get_routes

    install()
    plan = [RequestSpec.from_json(r) for r in job.get("routes") or ()]
    if not plan:
        plan = [RequestSpec("GET", r.path) for r in simple_get_routes(app)]
    if not plan:
        return {"samples": [], "elapsed": 0.0, "stopped_by": "no-routes", "errors": []}
    instrumentation = instrument_app(app, job["root"], job.get("stall_threshold", 0.1))
    recorder = Recorder(app, job["root"])
    channel.send("phase", phase="load")
    sampler = PoolSampler(find_engines(job["root"]))
    try:
        with sampler:
            if job["server"] == "uvicorn":
                result = await _uvicorn(recorder, job, plan)
            else:
                recorder_app: Any = recorder
                result = await _in_process(recorder_app, job, plan)
    finally:
        channel.send("phase", phase="shutdown")
        probes = _probe_data(instrumentation)
    probes["pool"] = sampler.samples or probes["pool"]
    result.setdefault("server", "in-process")
    result["errors"] = list(recorder.errors.values())
    result["plan"] = [f"{s.method} {s.path}" for s in plan]
    return {**result, **probes}


class PoolSampler:
    """Samples each engine's pool every ``interval`` seconds on its own thread."""

    def __init__(self, engines: list[Any], interval: float = 0.1) -> None:
        self.engines = [getattr(e, "sync_engine", e) for e in engines]
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fastapi-medic-pool", daemon=True)
        self._started = time.perf_counter()

    def __enter__(self) -> PoolSampler:
        if self.engines:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        from fastapi_medic.redact import redact_text

        for engine in self.engines:
            pool = engine.pool
            self.samples.append(
                {
                    "t": round(time.perf_counter() - self._started, 3),
                    "engine": redact_text(str(engine.url)),
                    "size": _call(pool, "size"),
                    "checked_out": _call(pool, "checkedout"),
                    "overflow": _call(pool, "overflow"),
                }
            )


def _call(pool: Any, name: str) -> int | None:
    method = getattr(pool, name, None)
    try:
        return int(method()) if callable(method) else None
    except Exception:  # pools without the figure (NullPool, StaticPool)
        return None


def _probe_data(instrumentation: Any) -> dict[str, Any]:
    if instrumentation is None:
        return {"instrumented": False, "findings": [], "metrics": {}, "pool": []}
    try:
        return {
            "instrumented": True,
            "findings": [finding_to_json(f) for f in instrumentation.findings()],
            "metrics": instrumentation.metrics(),
            "pool": instrumentation.pool_samples(),
        }
    finally:
        instrumentation.close()
