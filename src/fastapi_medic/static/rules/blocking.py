"""MED1xx: calls that block the event loop inside ``async def`` code."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Applicability, Cause, Edit, Finding, Fix, Location, Severity
from fastapi_medic.static.callgraph import AsyncCall
from fastapi_medic.static.catalog_blocking import (
    ENGINE,
    FILE,
    FILE_METADATA,
    SESSION,
    BlockingKind,
)
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = [
    "AsyncRouteWithoutAwait",
    "BlockingCallInAsyncFunction",
    "BlockingCallThroughCallGraph",
    "SyncSessionInAsyncFunction",
]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BlockingCallInAsyncFunction(StaticRule):
    """A blocking call written directly inside an `async def`.

    ## What it does
    Checks for calls that block the thread, such as `requests.get`, `time.sleep`, `open`,
    `subprocess.run`, sync database drivers and cloud SDK clients, made directly in the body
    of an `async def` function: a route, a dependency, a middleware or any helper coroutine.
    Names are resolved through imports and aliases, and through objects whose class is known
    (`session = requests.Session()`, `self.client = httpx.Client()`, a parameter annotated
    `httpx.Client`), so `from time import sleep as pause` and `client.get(...)` are caught.

    ## Why it matters
    An `async def` route runs on the event loop. While it waits on a blocking call, no other
    request of that worker makes progress: latency climbs for everyone, health checks time out
    and the worker is restarted under load. A sync `def` route runs in the thread pool and is
    not affected. Calls handed to `run_in_threadpool`, `asyncio.to_thread`,
    `loop.run_in_executor` or `BackgroundTasks.add_task` do not run on the loop and are not
    flagged, nor is code inside a nested `def` or `lambda`.

    ## Example
    ```python
    import requests
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/rates")
    async def rates():
        return requests.get("https://rates.example.com/latest", timeout=5).json()
    ```

    Use instead:
    ```python
    import httpx
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/rates")
    async def rates():
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get("https://rates.example.com/latest")
        return response.json()
    ```

    Sync SQLAlchemy sessions and engines are reported by MED103, and blocking reached
    through the project's own functions by MED102.

    ## Fix safety
    `time.sleep(x)` becomes `await asyncio.sleep(x)` (and `import asyncio` is added when
    missing). The fix is safe: the coroutine is suspended for the same time, and other
    requests run meanwhile. Other calls have no automatic fix.

    ## Options
    - `[tool.fastapi-medic.blocking] extend = ["mylib.fetch"]` adds calls to the catalogue;
      `remove = ["open"]` takes entries out. An entry ending in `().` covers every method of
      an instance (`"mylib.Client()."`).
    """

    code = "MED101"
    name = "blocking-call-in-async-function"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async", "performance"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report each catalogued call written directly in an async function."""
        for item in ctx.async_calls:
            if not item.direct or item.path.kind in (SESSION, ENGINE):
                continue
            name = item.path.call
            yield self.finding(
                _short(
                    f"Blocking {item.path.kind.label} `{name}` in async `{item.function.name}`", 79
                ),
                location=_location(item),
                fix=item.path.kind.fix,
                subject=ctx.route_label(item.rel, item.function),
                chain=(ctx.frame(item.rel, item.function, item.call.line), *item.path.frames),
                evidence={"call": name, "kind": item.path.kind.label},
                severity=_severity(item.path.kind),
                autofix=_sleep_fix(ctx, item),
            )


class BlockingCallThroughCallGraph(StaticRule):
    """An async function that blocks through the project's own sync functions.

    ## What it does
    Checks for calls from an `async def` to one of the project's own sync functions or
    methods (in any module, through any number of calls) that ends in a blocking call:
    an HTTP request, a sleep, file or socket I/O, a sync database session or driver.
    The finding sits on the call inside the async function and carries the whole chain.

    ## Why it matters
    The blocking call is usually not in the route: it hides in a helper, a service or a
    repository one or two calls away, where single-file linters cannot see it. It blocks
    the event loop all the same, and every request of the worker waits. Awaited calls,
    functions handed to a thread pool, and functions cached with `functools.lru_cache`
    (which pay their I/O once) are not followed.

    ## Example
    ```python
    import requests
    from fastapi import FastAPI

    app = FastAPI()


    def fetch_profile(user_id: int) -> dict:
        return requests.get(f"https://profiles.example.com/{user_id}", timeout=5).json()


    @app.get("/users/{user_id}")
    async def get_user(user_id: int):
        return fetch_profile(user_id)
    ```

    Use instead:
    ```python
    import requests
    from fastapi import FastAPI
    from fastapi.concurrency import run_in_threadpool

    app = FastAPI()


    def fetch_profile(user_id: int) -> dict:
        return requests.get(f"https://profiles.example.com/{user_id}", timeout=5).json()


    @app.get("/users/{user_id}")
    async def get_user(user_id: int):
        return await run_in_threadpool(fetch_profile, user_id)
    ```
    """

    code = "MED102"
    name = "blocking-call-through-call-graph"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async", "performance", "call-graph"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report each call from async code into project code that ends up blocking."""
        for item in ctx.async_calls:
            if item.direct:
                continue
            callee = item.path.frames[0].label
            yield self.finding(
                _short(f"`{callee}` blocks the event loop ({item.path.kind.label})", 79),
                location=_location(item),
                fix="Await an async version, or call it with `await run_in_threadpool(...)`",
                subject=ctx.route_label(item.rel, item.function),
                chain=(ctx.frame(item.rel, item.function, item.call.line), *item.path.frames),
                evidence={
                    "call": item.path.call,
                    "kind": item.path.kind.label,
                    "depth": len(item.path.frames),
                },
                severity=_severity(item.path.kind),
            )


class SyncSessionInAsyncFunction(StaticRule):
    """A sync SQLAlchemy session or engine used directly in an `async def`.

    ## What it does
    Checks for calls on a sync `Session` (from `sessionmaker()`, `Session(engine)`,
    `scoped_session`, SQLModel's `Session`, or a dependency that yields one) and on a sync
    `Engine` (`connect()`, `begin()`) inside an `async def`: `query`, `execute`, `scalars`,
    `get`, `commit`, `flush`, `refresh`, `rollback`. Each function is reported once, at the
    first such call.

    ## Why it matters
    Every statement waits on the database while holding the event loop: under load all
    requests of the worker stall behind one slow query, and a pool timeout turns into a
    hang. Mixed with async code it also produces `MissingGreenlet` and "event loop is
    closed" errors. Either use `AsyncSession` and await it, or declare the route with a
    plain `def` so FastAPI runs it in the thread pool. An `AsyncSession` is not reported.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()


    @app.get("/count")
    async def count(db: Session = Depends(get_db)):
        return db.execute(text("select count(*) from items")).scalar_one()
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()


    @app.get("/count")
    def count(db: Session = Depends(get_db)):
        return db.execute(text("select count(*) from items")).scalar_one()
    ```
    """

    code = "MED103"
    name = "sync-session-in-async-function"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async", "sqlalchemy"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report the first sync session or engine call of each async function."""
        seen: set[tuple[str, str]] = set()
        counts: dict[tuple[str, str], int] = {}
        first: dict[tuple[str, str], AsyncCall] = {}
        for item in ctx.async_calls:
            if item.direct and item.path.kind in (SESSION, ENGINE):
                key = (item.rel, item.function.qualname)
                counts[key] = counts.get(key, 0) + 1
                first.setdefault(key, item)
        for key, item in first.items():
            if key in seen:
                continue
            seen.add(key)
            what = "session" if item.path.kind is SESSION else "engine"
            method = item.path.call.rpartition(".")[2]
            yield self.finding(
                _short(f"Sync SQLAlchemy {what} `.{method}()` in async `{item.function.name}`", 79),
                location=_location(item),
                fix=item.path.kind.fix,
                subject=ctx.route_label(item.rel, item.function),
                chain=(ctx.frame(item.rel, item.function, item.call.line), *item.path.frames),
                evidence={"call": item.path.call, "calls_in_function": counts[key]},
            )


class AsyncRouteWithoutAwait(StaticRule):
    """An `async def` route or dependency that awaits nothing but blocks.

    ## What it does
    Checks for route endpoints and dependencies declared `async def` whose body has no
    `await`, `async for` or `async with`, and that make a blocking call (directly or
    through the project's functions).

    ## Why it matters
    FastAPI runs a plain `def` endpoint in its thread pool and an `async def` one on the
    event loop. An `async def` that never awaits gains nothing from being a coroutine, and
    its blocking work stalls every other request. Changing `async def` to `def` is the
    smallest fix: the same code then runs in a worker thread.

    ## Example
    ```python
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/reports")
    async def build_report():
        time.sleep(2)
        return {"status": "done"}
    ```

    Use instead:
    ```python
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/reports")
    def build_report():
        time.sleep(2)
        return {"status": "done"}
    ```
    """

    code = "MED104"
    name = "async-route-without-await"
    severity = Severity.WARNING
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async", "fastapi"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report async endpoints and dependencies that never await and do block."""
        blocking: dict[tuple[str, str], AsyncCall] = {}
        for item in ctx.async_calls:
            blocking.setdefault((item.rel, item.function.qualname), item)
        for key, item in sorted(blocking.items()):
            fn = item.function
            if fn.awaits:
                continue
            routes = ctx.app.routes_of(*key)
            if not routes and key not in ctx.dependency_functions:
                continue
            role = "route" if routes else "dependency"
            yield self.finding(
                _short(f"Async {role} `{fn.name}` awaits nothing but blocks; make it `def`", 79),
                location=Location(item.rel, fn.line, fn.column),
                fix="Declare it with `def` so FastAPI runs it in the thread pool",
                subject=routes[0].label if routes else None,
                chain=(ctx.frame(item.rel, fn, item.call.line), *item.path.frames),
                evidence={"call": item.path.call},
            )


def _location(item: AsyncCall) -> Location:
    call = item.call
    return Location(item.rel, call.line, call.column, call.end_line, call.end_column)


def _severity(kind: BlockingKind) -> Severity:
    # A stat call takes microseconds on a local disk, file I/O is usually short; network,
    # sleeps and databases are not.
    if kind is FILE_METADATA:
        return Severity.INFO
    return Severity.WARNING if kind is FILE else Severity.ERROR


def _sleep_fix(ctx: ProjectContext, item: AsyncCall) -> Fix | None:
    """``time.sleep(x)`` -> ``await asyncio.sleep(x)``, plus ``import asyncio`` if missing."""
    if item.path.call != "time.sleep":
        return None
    call = item.call
    summary = ctx.project.modules[item.rel]
    edits = [
        Edit(
            item.rel,
            call.line,
            call.column,
            call.line,
            call.column + len(call.callee.encode()),
            "await asyncio.sleep",
            original=call.callee,
        )
    ]
    bound = ctx.project.resolve(item.rel, None, "asyncio")
    if bound is None or bound.external != "asyncio":
        if "asyncio" in summary.bindings:
            return None  # the name is taken by something else: leave it to a person
        line = summary.import_line
        edits.insert(0, Edit(item.rel, line, 0, line, 0, "import asyncio\n"))
    return Fix(tuple(edits), Applicability.SAFE)
