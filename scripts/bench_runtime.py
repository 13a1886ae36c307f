"""Overhead of the runtime probes next to a bare app and two peers, in one run.

    .venv/bin/python scripts/bench_runtime.py [--rounds N] [--duration S] [--concurrency C]
                                              [--cpu-requests N] [--quick]

``make bench-runtime`` runs it under ``scripts/with_postgres.sh``, which exports
``FASTAPI_MEDIC_TEST_PG_URL`` when a PostgreSQL server is up; without it the PostgreSQL route
is skipped.

Configurations (the same app each time):

* ``bare``: FastAPI alone;
* ``medic``: ``fastapi_medic.instrument(app, engine=engine)``, every probe on (correlation id,
  logging filter, breadcrumbs, statement and pool listeners, watchdog, startup report), no
  exporter;
* ``asgi-correlation-id``: ``CorrelationIdMiddleware`` added with ``app.add_middleware``;
* ``otel``: OpenTelemetry's FastAPI and SQLAlchemy instrumentors, API only (no SDK: the
  cheapest way to run them). The SQLAlchemy instrumentor declares ``sqlalchemy < 2.1`` and
  does nothing on 2.1, which the results record.
* ``bare-again``: the bare app once more, as a control;
* ``medic-mwonly``, ``medic-noengine``, ``medic-nowatchdog``, ``passthrough``, ``probe-ctx``,
  ``probe-header``: variants for finding where a cost comes from;
* ``medic-baseline`` (with ``--baseline-src DIR``): ``medic`` again, importing fastapi-medic
  from another source tree (``git archive <rev> src | tar -x -C DIR`` gives one), to compare
  two versions of the probes in the same run.

Routes: ``/hello`` (async, small JSON), ``/db`` (async, ``AsyncSession`` from a yield
dependency, one ``SELECT`` by primary key; SQLite through aiosqlite) and ``/pg`` (the same
on PostgreSQL through asyncpg).

Measurements:

1. **Throughput under uvicorn**: one server process per configuration on 127.0.0.1 (uvloop,
   httptools, no access log), fresh ones every round; a load generator with a fixed number of
   keep-alive connections, each sending the next request as soon as the previous answer
   arrived, for a fixed duration. uvicorn serves every request in a task of its own, so
   per-task context costs are included. With two CPUs or more, the load generator runs on
   one and the servers on another, so a server's throughput is its own cost per request
   (the server's CPU use during each run is recorded too; it stays at about 100%). The loads
   alternate between the servers in short runs (the order rotates every round), and the
   ratio to bare is taken per round, between runs seconds apart, then the median over
   rounds: on a shared machine that is far steadier than a ratio of medians (both are
   recorded). ``bare-again``, a second bare server, shows how far apart two identical
   servers land.
2. **CPU per request in-process**: a fresh process per configuration and round drives the
   ASGI app directly (a task per request) and divides ``time.process_time`` by the count.
   When valgrind is installed, the same driver also runs under callgrind twice per
   configuration and route, with few and with many requests: the difference in executed
   instructions divided by the difference in requests is the cost of one request, exact
   and repeatable where CPU time swings by tens of percent on a shared machine. The CPU
   targets are judged on it when it is there (``--no-instructions`` skips it).
3. **Idle watchdog**: CPU of an idle uvicorn process with ``instrument()`` minus that of an
   idle bare one, as a share of one core.

Every ratio is reported with its spread: the lowest and highest per-round value next to the
median, so a difference smaller than the spread reads as noise.

Prints a table and writes every number to ``bench-runtime-results.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONFIGS = ("bare", "medic", "asgi-correlation-id", "otel")
TARGETS = {"hello": (0.95, 1.05), "db": (0.93, 1.10), "pg": (0.93, 1.10)}
ROOT = Path(__file__).resolve().parent.parent


def say(text: str = "") -> None:
    """The script's output (a script, not the library: it reports on stdout)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# -- the app ---------------------------------------------------------------------------------


def build_app(config: str, sqlite_path: str, pg_url: str | None) -> Any:
    """The benchmark app with ``config`` applied."""
    from collections.abc import AsyncIterator

    from fastapi import Depends, FastAPI
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    engines = {"db": create_async_engine(f"sqlite+aiosqlite:///{sqlite_path}")}
    if pg_url:
        engines["pg"] = create_async_engine(pg_url, pool_size=10, max_overflow=15)
    app = FastAPI()
    query = text("SELECT name FROM items WHERE id = :id")

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    def route(name: str) -> None:
        engine = engines[name]

        async def session() -> AsyncIterator[AsyncSession]:
            async with AsyncSession(engine) as s:
                yield s

        async def read(s: AsyncSession = Depends(session)) -> dict[str, Any]:  # noqa: B008
            result = await s.execute(query, {"id": 7})
            return {"name": result.scalar()}

        app.add_api_route(f"/{name}", read, methods=["GET"])

    for name in engines:
        route(name)

    if config == "medic-mwonly":
        # Only the ASGI middleware, none of the other probes.
        from fastapi_medic.runtime.collector import Collector
        from fastapi_medic.runtime.middleware import MedicMiddleware

        stack = app.build_middleware_stack
        app.build_middleware_stack = lambda: MedicMiddleware(stack(), Collector())  # type: ignore[method-assign]
    elif config.startswith("medic"):
        from fastapi_medic.runtime import instrument

        # Variants for finding where the cost is: medic-noengine (no engine given: no
        # statement or pool tracking), medic-nowatchdog.
        engine = None if config == "medic-noengine" else list(engines.values())
        instrument(app, engine=engine, watchdog=config != "medic-nowatchdog")
    elif config.startswith("probe-"):
        # Diagnostic variants: one piece of the middleware's work at a time.
        import contextvars as cv

        var: Any = cv.ContextVar("bench", default=None)
        original_probe = app.build_middleware_stack
        part = config[len("probe-") :]

        class Probe:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                token = var.set(object()) if part == "ctx" else None

                async def wrapped(message: Any) -> None:
                    if part == "header" and message["type"] == "http.response.start":
                        message["headers"] = [*message.get("headers", ()), (b"x-id", b"a" * 32)]
                    await send(message)

                try:
                    await self.inner(scope, receive, wrapped)
                finally:
                    if token is not None:
                        var.reset(token)

        app.build_middleware_stack = lambda: Probe(original_probe())  # type: ignore[method-assign]
    elif config == "passthrough":
        # The floor for any outermost pure-ASGI middleware: one more layer, send wrapped.
        original = app.build_middleware_stack

        class Passthrough:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                async def wrapped(message: Any) -> None:
                    await send(message)

                await self.inner(scope, receive, wrapped)

        app.build_middleware_stack = lambda: Passthrough(original())  # type: ignore[method-assign]
    elif config == "asgi-correlation-id":
        from asgi_correlation_id import CorrelationIdMiddleware

        app.add_middleware(CorrelationIdMiddleware)
    elif config == "otel":
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        FastAPIInstrumentor.instrument_app(app)
        SQLAlchemyInstrumentor().instrument(engines=[e.sync_engine for e in engines.values()])
    elif config not in ("bare", "bare-again"):
        raise SystemExit(f"unknown configuration {config!r}")
    return app


def seed(sqlite_path: str, pg_url: str | None) -> None:
    from sqlalchemy import create_engine, text

    urls = [f"sqlite:///{sqlite_path}"]
    if pg_url:
        urls.append(pg_url.replace("+asyncpg", "+psycopg"))
    for url in urls:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS items"))
            conn.execute(text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"))
            conn.execute(
                text("INSERT INTO items VALUES (:id, :name)"),
                [{"id": i, "name": f"item-{i}"} for i in range(100)],
            )
        engine.dispose()


# -- child processes -------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    app = build_app(args.config, args.sqlite, args.pg)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="on",
    )


def cpu(args: argparse.Namespace) -> None:
    import uvloop

    app = build_app(args.config, args.sqlite, args.pg)

    async def one(path: str) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench"), (b"accept", b"*/*")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        status = 0
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    async def run() -> dict[str, float]:
        path = f"/{args.route}"
        for _ in range(args.warmup):
            await asyncio.get_running_loop().create_task(one(path))
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        for _ in range(args.n):
            status = await asyncio.get_running_loop().create_task(one(path))
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        cpu_s, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
        if args.asgi_only:
            return {"cpu_us": cpu_s / args.n * 1e6, "wall_rps": args.n / wall}
        # The research notes' method too: through httpx's ASGITransport, client included.
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(args.warmup):
                await client.get(path)
            start_httpx = time.process_time()
            for _ in range(args.n):
                await client.get(path)
            httpx_s = time.process_time() - start_httpx
        return {
            "cpu_us": cpu_s / args.n * 1e6,
            "wall_rps": args.n / wall,
            "cpu_httpx_us": httpx_s / args.n * 1e6,
        }

    say(json.dumps(uvloop.run(run())))


# -- load generator --------------------------------------------------------------------------


async def _worker(port: int, path: str, stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    loop = asyncio.get_running_loop()
    ok = bad = 0
    try:
        while loop.time() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            i = lower.index(b"content-length:") + 15
            length = int(lower[i : lower.index(b"\r\n", i)])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                ok += 1
            else:
                bad += 1
    finally:
        writer.close()
        counts.append(ok)
        counts.append(-bad)


async def _load(port: int, path: str, duration: float, concurrency: int) -> tuple[float, int]:
    loop = asyncio.get_running_loop()
    counts: list[int] = []
    stop = loop.time() + duration
    start = loop.time()
    await asyncio.gather(*(_worker(port, path, stop, counts) for _ in range(concurrency)))
    elapsed = loop.time() - start
    ok = sum(c for c in counts if c > 0)
    errors = -sum(c for c in counts if c < 0)
    return ok / elapsed, errors


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child(mode: str, config: str, common: list[str], *extra: str) -> list[str]:
    return [sys.executable, __file__, mode, "--config", config, *common, *extra]


#: source tree imported by the ``medic-baseline`` configuration (``--baseline-src``)
_BASELINE: list[str] = []


def _env(config: str) -> dict[str, str] | None:
    if config != "medic-baseline" or not _BASELINE:
        return None
    path = os.pathsep.join([_BASELINE[0], os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path}


def _start_server(
    config: str, common: list[str], cpus: set[int] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen(
        _child("serve", config, common, "--port", str(port)),
        cwd=ROOT,
        env=_env(config),
    )
    if cpus:
        # Set before the server starts its threads: each inherits it.
        os.sched_setaffinity(proc.pid, cpus)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{config} server exited with {proc.returncode}") from None
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{config} server did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the run ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0], allow_abbrev=False)
    sub = parser.add_subparsers(dest="mode")
    for mode in ("serve", "cpu"):
        p = sub.add_parser(mode)
        p.add_argument("--config", required=True)
        p.add_argument("--sqlite", required=True)
        p.add_argument("--pg")
        p.add_argument("--port", type=int, default=0)
        p.add_argument("--route", default="hello")
        p.add_argument("--n", type=int, default=3000)
        p.add_argument("--warmup", type=int, default=300)
        p.add_argument("--asgi-only", action="store_true", help="skip the httpx measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--warmup-s", type=float, default=1.5)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--cpu-requests", type=int, default=2000)
    parser.add_argument("--cpu-rounds", type=int, default=5)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="1 round, short runs")
    parser.add_argument("--output", default="bench-runtime-results.json")
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help="comma-separated, bare first; also medic-noengine, medic-nowatchdog, passthrough",
    )
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument(
        "--instructions-only",
        action="store_true",
        help="only count instructions (runs beside other work: the counts do not move)",
    )
    parser.add_argument(
        "--no-instructions",
        dest="instructions",
        action="store_false",
        help="skip the instruction counts (valgrind), the slowest phase",
    )
    parser.add_argument("--routes", help="comma-separated subset of hello,db,pg")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let the load generator and the servers share every CPU",
    )
    parser.add_argument(
        "--baseline-src",
        help="a source tree (its src/ directory) run as the medic-baseline configuration",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.mode == "serve":
        serve(args)
        return 0
    if args.mode == "cpu":
        cpu(args)
        return 0
    if args.quick:
        args.rounds, args.duration, args.cpu_rounds, args.idle_s = 1, 2.0, 2, 3.0
        args.cpu_requests = 1000

    configs = _configs(args)
    pg = os.environ.get("FASTAPI_MEDIC_TEST_PG_URL")
    pg_url = pg.replace("postgresql://", "postgresql+asyncpg://", 1) if pg else None
    routes = ["hello", "db"] + (["pg"] if pg_url else [])
    if args.routes:
        wanted = args.routes.split(",")
        unknown = set(wanted) - set(routes)
        if unknown:
            raise SystemExit(f"unknown or unavailable routes: {', '.join(sorted(unknown))}")
        routes = wanted
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_path = str(Path(tmp) / "bench.db")
        seed(sqlite_path, pg_url)
        common = ["--sqlite", sqlite_path] + (["--pg", pg_url] if pg_url else [])
        results: dict[str, Any] = {
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "platform": platform.platform(terse=True),
            },
            "settings": {k: v for k, v in vars(args).items() if k != "mode"},
            "routes": routes,
            "configs": configs,
            "server": {c: {r: [] for r in routes} for c in configs},
            "server_errors": dict.fromkeys(configs, 0),
            "server_busy": {c: {r: [] for r in routes} for c in configs},
            "server_cpu_us": {c: {r: [] for r in routes} for c in configs},
            "cpu": {c: {r: [] for r in routes} for c in configs},
            "cpu_httpx": {c: {r: [] for r in routes} for c in configs},
        }
        if args.instructions_only:
            _instructions(common, routes, results)
            Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
            return 0
        _throughput(args, common, routes, results)
        if args.throughput_only:
            _summarise_throughput(results, routes)
            return 0
        _cpu(args, common, routes, results)
        if args.instructions and shutil.which("valgrind"):
            _instructions(common, routes, results)
        elif args.instructions:
            say("valgrind is not installed: no instruction counts (apt-get install valgrind)")
        results["idle"] = _idle(common, args.idle_s)
    _summarise(results, routes)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    say(f"\nwrote {args.output}")
    return 0


def _configs(args: argparse.Namespace) -> tuple[str, ...]:
    configs = tuple(args.configs.split(","))
    if args.baseline_src:
        _BASELINE.append(str(Path(args.baseline_src).resolve()))
        if "medic-baseline" not in configs:
            configs += ("medic-baseline",)
    elif "medic-baseline" in configs:
        raise SystemExit("medic-baseline needs --baseline-src")
    return configs


def _throughput(
    args: argparse.Namespace, common: list[str], routes: list[str], results: dict[str, Any]
) -> None:
    # Every round starts a fresh server per configuration, and the loads alternate between
    # them in short runs: a noisy neighbour then hits all of them alike, each round gives a
    # ratio between runs seconds apart, and no configuration keeps one process's luck (its
    # hash seed and memory layout move its speed by several percent) for the whole phase.
    import uvloop

    configs = results["configs"]
    # The load generator on one CPU, the servers on another: each server's throughput then
    # depends on its own cost per request, not on how the scheduler shares two cores.
    previous = os.sched_getaffinity(0)
    cpus = sorted(previous)
    pinned = len(cpus) >= 2 and not args.no_pin
    results["pinned"] = pinned
    if pinned:
        os.sched_setaffinity(0, {cpus[0]})
    try:
        for rnd in range(args.rounds):
            order = configs[rnd % len(configs) :] + configs[: rnd % len(configs)]
            servers = {
                config: _start_server(config, common, {cpus[1]} if pinned else None)
                for config in order
            }
            try:
                for route in routes:
                    for _, port in servers.values():
                        uvloop.run(_load(port, f"/{route}", args.warmup_s, args.concurrency))
                    for config in order:
                        _measure(args, servers[config], config, route, results)
                        say(
                            f"round {rnd + 1} {route:6} {config:20}"
                            f" {results['server'][config][route][-1]:9.0f} rps,"
                            f" server busy {results['server_busy'][config][route][-1]:4.0%}"
                        )
            finally:
                for proc, _ in servers.values():
                    _stop(proc)
    finally:
        os.sched_setaffinity(0, previous)


def _measure(
    args: argparse.Namespace,
    server: tuple[subprocess.Popen[bytes], int],
    config: str,
    route: str,
    results: dict[str, Any],
) -> None:
    import uvloop

    proc, port = server
    cpu_before, wall_before = _proc_cpu(proc.pid), time.perf_counter()
    rps, errors = uvloop.run(_load(port, f"/{route}", args.duration, args.concurrency))
    busy = (_proc_cpu(proc.pid) - cpu_before) / (time.perf_counter() - wall_before)
    results["server"][config][route].append(rps)
    results["server_errors"][config] += errors
    results["server_busy"][config][route].append(busy)
    results["server_cpu_us"][config][route].append(busy / rps * 1e6 if rps else 0.0)


def _cpu(
    args: argparse.Namespace, common: list[str], routes: list[str], results: dict[str, Any]
) -> None:
    configs = results["configs"]
    for rnd in range(args.cpu_rounds):
        order = configs[rnd % len(configs) :] + configs[: rnd % len(configs)]
        for config in order:
            for route in routes:
                cmd = _child("cpu", config, common, "--route", route)
                cmd += ["--n", str(args.cpu_requests)]
                out = subprocess.run(
                    cmd, cwd=ROOT, capture_output=True, text=True, check=True, env=_env(config)
                )
                values = json.loads(out.stdout.strip().splitlines()[-1])
                results["cpu"][config][route].append(values["cpu_us"])
                results["cpu_httpx"][config][route].append(values["cpu_httpx_us"])


#: Requests per instruction count, (fewer, more): the difference divided by the difference
#: in requests is the cost of one request, start-up and warm-up cancelled out.
_COUNTS = {"hello": (300, 1300), "db": (100, 400), "pg": (100, 400)}


def _instructions(common: list[str], routes: list[str], results: dict[str, Any]) -> None:
    # CPU time swings by tens of percent on a shared machine; the instructions a request
    # executes do not. callgrind counts them for the whole process (every thread), with a
    # fixed hash seed so two runs of the same code take the same paths.
    results["instructions"] = {c: {} for c in results["configs"]}
    env_seed = {"PYTHONHASHSEED": "0"}
    for route in routes:
        few, many = _COUNTS[route]
        for config in results["configs"]:
            totals = []
            for n in (few, many):
                with tempfile.TemporaryDirectory() as tmp:
                    out = Path(tmp) / "callgrind.out"
                    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
                    cmd += _child("cpu", config, common, "--route", route, "--n", str(n))
                    cmd += ["--warmup", "50", "--asgi-only"]
                    env = {**(_env(config) or os.environ), **env_seed}
                    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
                    totals.append(_callgrind_total(out))
            per_request = (totals[1] - totals[0]) / (many - few)
            results["instructions"][config][route] = per_request
            say(f"instructions {route:6} {config:20} {per_request:12.0f} per request")


def _callgrind_total(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no instruction total in {path}")


def _idle(common: list[str], seconds: float) -> dict[str, float]:
    out: dict[str, float] = {}
    for config in ("bare", "medic"):
        proc, _ = _start_server(config, common)
        try:
            time.sleep(1.0)  # let start-up work finish
            before = _proc_cpu(proc.pid)
            time.sleep(seconds)
            out[config] = (_proc_cpu(proc.pid) - before) / seconds * 100.0
        finally:
            _stop(proc)
    out["watchdog_pct_of_core"] = out["medic"] - out["bare"]
    return out


def _summarise_throughput(results: dict[str, Any], routes: list[str]) -> None:
    for route in routes:
        bare = results["server"]["bare"][route]
        for config in results["configs"]:
            rows = results["server"][config][route]
            ratios = [a / b for a, b in zip(rows, bare, strict=True)]
            cpu_us = statistics.median(results["server_cpu_us"][config][route])
            say(
                f"{route:6} {config:20} {statistics.median(rows):8.0f} rps"
                f"  x{statistics.median(ratios):.3f} paired {_spread(ratios)}"
                f"  server CPU {cpu_us:6.1f} us/request"
            )


def _paired(results: dict[str, Any], phase: str, config: str, route: str) -> list[float]:
    """Per-round ratios to bare (runs of the same round are seconds apart)."""
    rows, bare = results[phase][config][route], results[phase]["bare"][route]
    return [a / b for a, b in zip(rows, bare, strict=True)]


def _spread(values: list[float]) -> str:
    return f"[{min(values):.3f}-{max(values):.3f}]"


def _summarise(results: dict[str, Any], routes: list[str]) -> None:
    med = statistics.median
    summary: dict[str, Any] = {}
    say(
        "\n| config | route | uvicorn rps | x bare | x bare paired [range] | CPU us/req (ASGI)"
        " | x bare paired [range] | CPU us/req (httpx) | x bare |"
    )
    say("|---|---|---|---|---|---|---|---|---|")
    for route in routes:
        bare_rps = med(results["server"]["bare"][route])
        bare_cpu = med(results["cpu"]["bare"][route])
        bare_httpx = med(results["cpu_httpx"]["bare"][route])
        for config in results["configs"]:
            rps = med(results["server"][config][route])
            cpu_us = med(results["cpu"][config][route])
            httpx_us = med(results["cpu_httpx"][config][route])
            paired = _paired(results, "server", config, route)
            cpu_paired = _paired(results, "cpu", config, route)
            row = {
                "rps": rps,
                "rps_ratio": rps / bare_rps,
                "rps_ratio_paired": med(paired),
                "rps_ratio_range": [min(paired), max(paired)],
                "cpu_us": cpu_us,
                "cpu_ratio": cpu_us / bare_cpu,
                "cpu_ratio_paired": med(cpu_paired),
                "cpu_ratio_range": [min(cpu_paired), max(cpu_paired)],
                "cpu_httpx_us": httpx_us,
                "cpu_httpx_ratio": httpx_us / bare_httpx,
            }
            counted = results.get("instructions", {})
            if route in counted.get(config, {}) and route in counted.get("bare", {}):
                row["instructions"] = counted[config][route]
                row["instructions_ratio"] = counted[config][route] / counted["bare"][route]
            summary.setdefault(config, {})[route] = row
            say(
                f"| {config} | {route} | {rps:.0f} | {row['rps_ratio']:.3f} |"
                f" {row['rps_ratio_paired']:.3f} {_spread(paired)} | {cpu_us:.1f} |"
                f" {row['cpu_ratio_paired']:.3f} {_spread(cpu_paired)} | {httpx_us:.1f} |"
                f" {row['cpu_httpx_ratio']:.3f} |"
            )
    idle = results["idle"]
    say(
        f"\nidle CPU: bare {idle['bare']:.2f}% of a core, medic {idle['medic']:.2f}%;"
        f" watchdog {idle['watchdog_pct_of_core']:.2f}% (target <= 1%)"
    )
    verdicts = {}
    for route in routes:
        want_rps, want_cpu = TARGETS[route]
        row = summary["medic"][route]
        # Instructions when counted: CPU time on a shared machine is too noisy to judge by.
        cpu_ratio = row.get("instructions_ratio", row["cpu_ratio_paired"])
        verdicts[route] = {
            "throughput": row["rps_ratio_paired"] >= want_rps,
            "cpu": cpu_ratio <= want_cpu,
        }
        if "instructions_ratio" in row:
            say(
                f"medic {route}: {row['instructions']:.0f} instructions per request,"
                f" x{row['instructions_ratio']:.3f} of bare (target <= {want_cpu})"
            )
        say(
            f"medic {route}: throughput {row['rps_ratio_paired']:.3f} paired"
            f" / {row['rps_ratio']:.3f} medians (target >= {want_rps}),"
            f" CPU {row['cpu_ratio_paired']:.3f} paired / {row['cpu_ratio']:.3f} medians"
            f" / {row['cpu_httpx_ratio']:.3f} via httpx (target <= {want_cpu}),"
            f" +{row['cpu_us'] - summary['bare'][route]['cpu_us']:.1f} us"
        )
    verdicts["idle"] = idle["watchdog_pct_of_core"] <= 1.0
    results["summary"] = summary
    results["targets_met"] = verdicts


if __name__ == "__main__":
    sys.exit(main())
