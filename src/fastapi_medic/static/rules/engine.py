"""MED2xx, engines and pools: engines built per request, drivers that do not fit the
engine, and pools that do not fit the deployment."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi_medic.findings import Cause, Finding, Frame, Location, Severity
from fastapi_medic.static.callgraph import decorator_names
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import LAZY, CallRef, Ref
from fastapi_medic.static.project import Project
from fastapi_medic.static.sqla import (
    ENGINE_FACTORIES,
    engine_url,
    external_call,
    resolved_session,
    url_driver,
)
from fastapi_medic.static.walker import StaticRule

__all__ = [
    "EngineDriverMismatch",
    "EnginePerRequest",
    "PoolExceedsServerConnections",
    "PoolSmallerThanThreadpool",
]

_ONCE = frozenset({"lru_cache", "cache", "cached"})


@dataclass(frozen=True)
class EngineCall:
    """A call of ``create_engine`` / ``create_async_engine``."""

    rel: str
    where: str | None
    call: CallRef
    kind: str  # "sync" or "async"


def engine_calls(ctx: ProjectContext) -> Iterator[EngineCall]:
    """Every engine factory call in the project."""
    model = ctx.project
    for rel, summary in model.modules.items():
        for where, call in summary.arg_calls:
            if call.func.rpartition(".")[2] not in ("create_engine", "create_async_engine"):
                continue
            fn = summary.functions.get(where) if where else None
            kind = ENGINE_FACTORIES.get(external_call(model, rel, fn, call.func) or "")
            if kind is not None:
                yield EngineCall(rel, where, call, kind)


class EnginePerRequest(StaticRule):
    """An engine created while a request is handled.

    ## What it does
    Checks for `create_engine()` / `create_async_engine()` in endpoints, dependencies and
    the functions they call. Engines built once (module level, the lifespan handler, or a
    function cached with `functools.lru_cache`) are not reported.

    ## Why it matters
    An engine owns a connection pool. One per request opens a new pool and new connections
    every time, never reuses them, and keeps them open until the engine is garbage
    collected: the database's connection limit is reached under modest load ("too many
    clients already") and every request pays for a fresh TCP and TLS handshake.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    app = FastAPI()


    @app.get("/ready")
    def ready():
        engine = create_engine("postgresql://app@db/app")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return {"ready": True}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("postgresql://app@db/app")
    app = FastAPI()


    @app.get("/ready")
    def ready():
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return {"ready": True}
    ```
    """

    code = "MED203"
    name = "engine-per-request"
    severity = Severity.ERROR
    cause = Cause.POOL_EXHAUSTION
    tags = frozenset({"sqlalchemy"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report engine factories called from request-handling functions."""
        for item in engine_calls(ctx):
            if item.where is None or (item.rel, item.where) not in ctx.request_reachable:
                continue
            fn = ctx.project.function(item.rel, item.where)
            if fn is None or _ONCE.intersection(decorator_names(fn)):
                continue
            if any(c.line == item.call.line and c.flags & LAZY for c in fn.calls):
                continue  # cached: `if engine is None: engine = create_engine(...)`
            name = item.call.func.rpartition(".")[2]
            yield self.finding(
                f"`{name}()` runs on every request in `{fn.name}`",
                location=Location(item.rel, item.call.line, item.call.column),
                fix="Create the engine once at module level or in the lifespan handler",
                subject=ctx.route_label(item.rel, fn),
                chain=(Frame(fn.qualname, item.rel, item.call.line),),
            )


class EngineDriverMismatch(StaticRule):
    """An engine whose database URL names a driver of the other kind.

    ## What it does
    Checks for `create_engine()` with an async driver URL (`postgresql+asyncpg://`,
    `sqlite+aiosqlite://`) and `create_async_engine()` with a sync one
    (`postgresql+psycopg2://`, or a bare `postgresql://`, whose default driver is sync).
    URLs are read from literals and module-level constants, and judged with SQLAlchemy's
    own URL parser and dialect registry when it is installed.

    ## Why it matters
    The mismatch fails at the first connection, often only in production where the real URL
    is used: `The asyncio extension requires an async driver to be used` or
    `MissingGreenlet: greenlet_spawn has not been called`. Drivers with both flavours
    (`psycopg` 3, `oracledb`) are accepted by both engines.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql://app@db/app")
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    ```
    """

    code = "MED207"
    name = "engine-driver-mismatch"
    severity = Severity.ERROR
    cause = Cause.CONFIG
    tags = frozenset({"sqlalchemy"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report engine factories whose literal URL names the wrong kind of driver."""
        for item in engine_calls(ctx):
            url = engine_url(ctx.project, item.rel, item.call)
            parsed = url_driver(url) if url else None
            if parsed is None or parsed[2] is None:
                continue
            dialect, driver, is_async = parsed
            if is_async == (item.kind == "async"):
                continue
            factory = "create_async_engine" if item.kind == "async" else "create_engine"
            wanted = "an async" if item.kind == "async" else "a sync"
            yield self.finding(
                f"`{factory}()` with the {'async' if is_async else 'sync'} driver "
                f"`{dialect}+{driver}`",
                location=Location(item.rel, item.call.line, item.call.column),
                fix=f"Use {wanted} driver in the URL, or the other engine factory",
                evidence={"dialect": dialect, "driver": driver},
            )


_WORKERS = [
    re.compile(r"(?:--workers|-w)[ =](?P<n>\d+)"),
    re.compile(r"WEB_CONCURRENCY[\"']?\s*[=:]\s*[\"']?(?P<n>\d+)"),
]
_DEPLOY_FILES = ("Dockerfile", "Procfile", "Makefile", "render.yaml", "fly.toml", "app.yaml")


def _declared_workers(ctx: ProjectContext) -> tuple[int, str] | None:
    """The largest worker count the project states, and where."""
    best: tuple[int, str] | None = None
    for rel, summary in ctx.project.modules.items():
        if Path(rel).name.startswith("gunicorn") and isinstance(
            summary.constants.get("workers"), int
        ):
            count = int(summary.constants["workers"])
            if best is None or count > best[0]:
                best = (count, f"{rel}: workers = {count}")
    for rel, summary in ctx.project.modules.items():
        for where, call in summary.arg_calls:
            workers = call.kwarg("workers")
            if call.func.rpartition(".")[2] != "run" or not isinstance(workers, int):
                continue
            fn = summary.functions.get(where) if where else None
            if external_call(ctx.project, rel, fn, call.func) == "uvicorn.run" and (
                best is None or workers > best[0]
            ):
                best = (workers, f"{rel}:{call.line}: uvicorn.run(workers={workers})")
    root = ctx.root
    candidates = [root / name for name in _DEPLOY_FILES]
    candidates += sorted(root.glob("docker-compose*.y*ml")) + sorted(root.glob("compose*.y*ml"))
    candidates += sorted(root.glob("Dockerfile.*"))
    for path in candidates:
        try:
            if not path.is_file() or path.stat().st_size > 1_000_000:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for pattern in _WORKERS:
            for match in pattern.finditer(text):
                count = int(match.group("n"))
                if best is None or count > best[0]:
                    best = (count, f"{path.name}: {match.group(0)}")
    return best


class PoolExceedsServerConnections(StaticRule):
    """Pools that can open more connections than the database accepts.

    ## What it does
    Checks for engines whose `pool_size` + `max_overflow` (SQLAlchemy's defaults are 5 and
    10), times the number of worker processes the project declares (gunicorn's `workers`,
    `--workers`/`-w` in start commands, `WEB_CONCURRENCY`, `uvicorn.run(workers=...)`),
    exceed the database server's connection limit (PostgreSQL's default `max_connections`
    is 100). Engines with `NullPool` or `StaticPool`, and SQLite, are skipped.

    ## Why it matters
    Every worker process has its own pool. At peak load they all fill, and the database
    refuses the extra connections: `FATAL: sorry, too many clients already` or "remaining
    connection slots are reserved", as random 500s that appear only under load or after a
    scale-up. The arithmetic is in the finding's evidence.

    ## Example
    ```python
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import create_engine

    engine = create_engine("postgresql://app@db/app", pool_size=10, max_overflow=5)
    app = FastAPI()

    if __name__ == "__main__":
        uvicorn.run("app:app", host="0.0.0.0", workers=8)
    ```

    Use instead:
    ```python
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import create_engine

    engine = create_engine("postgresql://app@db/app", pool_size=5, max_overflow=5)
    app = FastAPI()

    if __name__ == "__main__":
        uvicorn.run("app:app", host="0.0.0.0", workers=8)
    ```

    ## Options
    - `max-connections` (default 100): the database server's connection limit.
    """

    code = "MED208"
    name = "pool-exceeds-server-connections"
    severity = Severity.ERROR
    cause = Cause.POOL_EXHAUSTION
    tags = frozenset({"sqlalchemy", "deployment"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report engines whose pools, times the workers, exceed the connection limit."""
        workers = _declared_workers(ctx)
        if workers is None:
            return
        limit = getattr(ctx.config, "max_connections", 100)
        for item in engine_calls(ctx):
            if item.where is not None:
                continue
            sizes = _pool_sizes(ctx, item)
            if sizes is None:
                continue
            pool_size, overflow = sizes
            per_worker = pool_size + overflow
            total = per_worker * workers[0]
            if total <= limit:
                continue
            yield self.finding(
                f"Up to {total} connections ({workers[0]} workers x {per_worker}) > limit {limit}",
                location=Location(item.rel, item.call.line, item.call.column),
                fix=f"Lower pool_size + max_overflow to {max(1, limit // workers[0])} "
                "or fewer per worker",
                evidence={
                    "workers": workers[0],
                    "workers_from": workers[1],
                    "pool_size": pool_size,
                    "max_overflow": overflow,
                    "per_worker": per_worker,
                    "total": total,
                    "max_connections": limit,
                },
            )


def _pool_sizes(ctx: ProjectContext, item: EngineCall) -> tuple[int, int] | None:
    call = item.call
    poolclass = call.kwarg("poolclass")
    if isinstance(poolclass, Ref) and poolclass.dotted.rpartition(".")[2] in (
        "NullPool",
        "StaticPool",
    ):
        return None
    url = engine_url(ctx.project, item.rel, call)
    if url is not None and url.startswith("sqlite"):
        return None
    pool_size = call.kwarg("pool_size")
    overflow = call.kwarg("max_overflow")
    if pool_size is not None and not isinstance(pool_size, int):
        return None  # computed elsewhere: unknown
    if overflow is not None and not isinstance(overflow, int):
        return None
    return (5 if pool_size is None else pool_size, 10 if overflow is None else max(overflow, 0))


#: Threads FastAPI (through AnyIO) uses for sync endpoints and dependencies, per process.
THREADPOOL_SIZE = 40


class PoolSmallerThanThreadpool(StaticRule):
    """A connection pool smaller than the thread pool that uses it.

    ## What it does
    Checks for an application whose sync (`def`) endpoints use a sync SQLAlchemy session
    while the engine's `pool_size` + `max_overflow` (5 + 10 by default) is smaller than the
    40 threads FastAPI runs sync endpoints on in each worker process.

    ## Why it matters
    Under load up to 40 requests per worker run at once, each holding a connection for the
    whole request. Those beyond the pool's capacity wait `pool_timeout` (30 s by default)
    and then fail with `QueuePool limit of size 5 overflow 10 reached, connection timed
    out`: latency spikes first, then 500s. Size the pool for the concurrency, or bound the
    concurrency to the pool. It is reported as information: short requests return their
    connection quickly, so the limit may never be reached.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("postgresql://app@db/app")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        with SessionLocal() as db:
            yield db


    @app.get("/count")
    def count(db: Session = Depends(get_db)):
        return db.execute(text("select count(*) from items")).scalar_one()
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("postgresql://app@db/app", pool_size=20, max_overflow=20)
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        with SessionLocal() as db:
            yield db


    @app.get("/count")
    def count(db: Session = Depends(get_db)):
        return db.execute(text("select count(*) from items")).scalar_one()
    ```
    """

    code = "MED209"
    name = "pool-smaller-than-threadpool"
    severity = Severity.INFO
    cause = Cause.POOL_EXHAUSTION
    tags = frozenset({"sqlalchemy", "deployment"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report a single sync engine whose pool cannot serve every sync request thread."""
        engines = [e for e in engine_calls(ctx) if e.where is None and e.kind == "sync"]
        if len(engines) != 1:
            return  # with several engines, which one a route uses is not known statically
        item = engines[0]
        sizes = _pool_sizes(ctx, item)
        if sizes is None or sum(sizes) >= THREADPOOL_SIZE:
            return
        sync_routes = [r for r in ctx.app.routes if _uses_sync_session(ctx, r.rel, r.qualname)]
        if not sync_routes:
            return
        capacity = sum(sizes)
        yield self.finding(
            f"{THREADPOOL_SIZE} threads per worker share a pool of {capacity} connections",
            location=Location(item.rel, item.call.line, item.call.column),
            fix=f"Raise pool_size + max_overflow to {THREADPOOL_SIZE}, or limit concurrency",
            evidence={
                "pool_size": sizes[0],
                "max_overflow": sizes[1],
                "threads_per_worker": THREADPOOL_SIZE,
                "sync_routes_with_session": len(sync_routes),
                "example_route": sync_routes[0].label,
            },
        )


def _uses_sync_session(ctx: ProjectContext, rel: str, qualname: str) -> bool:
    """True when a sync endpoint depends, directly or not, on a sync session provider."""
    fn = ctx.project.function(rel, qualname)
    if fn is None or fn.is_async:
        return False
    for route in ctx.app.routes_of(rel, qualname):
        for top in route.dependencies:
            for dep in top.walk():
                symbol = dep.symbol
                if symbol is None or symbol.kind != "function":
                    continue
                provider = ctx.project.function(symbol.rel, symbol.qualname)
                if (
                    provider is not None
                    and provider.yields is not None
                    and resolved_session(ctx.project, symbol.rel, provider, provider.yields)
                    == "sync"
                ):
                    return True
    return False
