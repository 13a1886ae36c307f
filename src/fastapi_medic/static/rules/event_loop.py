"""MED105-MED107: event-loop misuse: dropped tasks, nested loops, loop-bound objects at import."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule, WalkContext, dotted

__all__ = ["AsyncClientAtImport", "DanglingTask", "NestedEventLoop"]

_TASK_FACTORIES = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_LOOP_METHODS = (
    "loop.create_task",
    "get_event_loop().create_task",
    "get_running_loop().create_task",
)


class DanglingTask(StaticRule):
    """An `asyncio` task created and immediately dropped.

    ## What it does
    Checks for `asyncio.create_task(...)` and `asyncio.ensure_future(...)` used as a bare
    statement, with the returned task stored nowhere.

    ## Why it matters
    The event loop keeps only a weak reference to tasks. A task nobody references can be
    garbage-collected before it finishes, so the work silently never completes ("tasks never
    finishing"), and its exception is never seen. Keep a reference in a set and discard it when
    done, or use FastAPI's `BackgroundTasks` or a `TaskGroup`.

    ## Example
    ```python
    import asyncio


    async def audit(event: str) -> None:
        await asyncio.sleep(0)


    async def record(event: str) -> None:
        asyncio.create_task(audit(event))
    ```

    Use instead:
    ```python
    import asyncio

    background: set[asyncio.Task[None]] = set()


    async def audit(event: str) -> None:
        await asyncio.sleep(0)


    async def record(event: str) -> None:
        task = asyncio.create_task(audit(event))
        background.add(task)
        task.add_done_callback(background.discard)
    ```
    """

    code = "MED105"
    name = "dangling-task"
    severity = Severity.WARNING
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async"})

    def visit_Expr(self, node: ast.Expr, ctx: WalkContext) -> Iterable[Finding] | None:
        """Flag a statement that is only a task-creating call."""
        value = node.value
        if type(value) is not ast.Call:
            return None
        func = value.func
        if type(func) is not ast.Attribute and type(func) is not ast.Name:
            return None
        name = dotted(func)
        if name is None:
            return None
        resolved = ctx.resolve(name)  # `from asyncio import create_task as spawn` too
        if resolved not in _TASK_FACTORIES and not resolved.endswith(_LOOP_METHODS):
            return None
        short = name.rpartition(".")[2]
        return [
            self.finding(
                f"Task from `{short}` is not kept and may never finish",
                location=ctx.location(value),
                fix="Keep a reference to the task (a set with add_done_callback(discard))",
            )
        ]


_NESTED_LOOP = {
    "asyncio.run": "`asyncio.run()`",
    "anyio.run": "`anyio.run()`",
    "nest_asyncio.apply": "`nest_asyncio.apply()`",
}


def _nested_loop_call(name: str) -> str | None:
    if name in _NESTED_LOOP:
        return _NESTED_LOOP[name]
    if name.startswith("asyncio.") and name.endswith("().run_until_complete"):
        return "`loop.run_until_complete()`"
    return None


class NestedEventLoop(StaticRule):
    """An event loop started inside request handling.

    ## What it does
    Checks for `asyncio.run()`, `anyio.run()`, `loop.run_until_complete()` and
    `nest_asyncio.apply()` in async functions, route endpoints and dependencies, and for
    `nest_asyncio.apply()` anywhere in the application.

    ## Why it matters
    Inside an `async def` there is already a running loop: `asyncio.run()` raises
    `RuntimeError: asyncio.run() cannot be called from a running event loop` and the request
    fails with a 500. In a sync route it starts a fresh loop per request, so every async
    client, engine or lock created on the server's loop fails with "attached to a different
    loop" or "Event loop is closed". `nest_asyncio` cannot patch uvloop, the loop uvicorn
    prefers, so the app fails at start-up in production while working locally.

    ## Example
    ```python
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    async def fetch_rates() -> dict:
        await asyncio.sleep(0)
        return {"EUR": 1.0}


    @app.get("/rates")
    def rates():
        return asyncio.run(fetch_rates())
    ```

    Use instead:
    ```python
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    async def fetch_rates() -> dict:
        await asyncio.sleep(0)
        return {"EUR": 1.0}


    @app.get("/rates")
    async def rates():
        return await fetch_rates()
    ```
    """

    code = "MED106"
    name = "nested-event-loop"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report loop-starting calls where a loop already runs or per request."""
        model = ctx.project
        for rel, summary in model.modules.items():
            for fn in summary.functions.values():
                role = "async function" if fn.is_async else None
                if role is None and ctx.app.routes_of(rel, fn.qualname):
                    role = "route"
                if role is None and (rel, fn.qualname) in ctx.dependency_functions:
                    role = "dependency"
                for call in fn.calls:
                    tail = call.callee.rpartition(".")[2]
                    if tail not in ("run", "run_until_complete", "apply"):
                        continue
                    symbol = model.resolve_call(rel, fn, call)
                    if symbol is None or symbol.kind != "external":
                        continue
                    what = _nested_loop_call(symbol.external)
                    if what is None or (role is None and tail != "apply"):
                        continue
                    where = f"{role} `{fn.name}`" if role else f"`{fn.name}`"
                    yield self.finding(
                        f"{what} in {where} starts a second event loop",
                        location=Location(
                            rel, call.line, call.column, call.end_line, call.end_column
                        ),
                        fix="Make the caller `async def` and `await` the coroutine instead",
                        subject=ctx.route_label(rel, fn),
                        chain=(ctx.frame(rel, fn, call.line),),
                        evidence={"call": symbol.external},
                    )
            for call in summary.module_calls:
                if call.callee.rpartition(".")[2] != "apply":
                    continue
                symbol = model.resolve(rel, None, call.callee)
                if symbol is not None and symbol.external == "nest_asyncio.apply":
                    yield self.finding(
                        "`nest_asyncio.apply()` patches the server's event loop",
                        location=Location(
                            rel, call.line, call.column, call.end_line, call.end_column
                        ),
                        fix="Remove it; await coroutines instead of running nested loops",
                        evidence={"call": symbol.external},
                    )


_LOOP_BOUND = {
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "redis.asyncio.Redis": "redis.asyncio.Redis",
    "redis.asyncio.from_url": "redis.asyncio.from_url",
    "redis.asyncio.Redis.from_url": "redis.asyncio.Redis.from_url",
    "motor.motor_asyncio.AsyncIOMotorClient": "AsyncIOMotorClient",
    "asyncio.get_event_loop": "asyncio.get_event_loop",
}


class AsyncClientAtImport(StaticRule):
    """An async client or loop-bound object created when a module is imported.

    ## What it does
    Checks for module-level `aiohttp.ClientSession()`, `httpx.AsyncClient()`,
    `redis.asyncio` clients, Motor clients and `asyncio.get_event_loop()`.

    ## Why it matters
    These objects attach to the event loop that first uses them. When tests run each test on
    its own loop, or a worker restarts its loop, the second loop finds connections owned by
    the first: "Event loop is closed" and "attached to a different loop" errors that appear
    only in tests or after a reload. `aiohttp` also refuses sessions created outside a
    coroutine. Create them in the lifespan handler and keep them on `app.state`. A
    module-level `create_async_engine()` is not reported: it is the documented pattern.

    ## Example
    ```python
    import httpx
    from fastapi import FastAPI

    client = httpx.AsyncClient(base_url="https://rates.example.com")
    app = FastAPI()


    @app.get("/rates")
    async def rates():
        return (await client.get("/latest")).json()
    ```

    Use instead:
    ```python
    from contextlib import asynccontextmanager

    import httpx
    from fastapi import FastAPI, Request


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with httpx.AsyncClient(base_url="https://rates.example.com") as client:
            app.state.client = client
            yield


    app = FastAPI(lifespan=lifespan)


    @app.get("/rates")
    async def rates(request: Request):
        return (await request.app.state.client.get("/latest")).json()
    ```
    """

    code = "MED107"
    name = "async-client-at-import"
    severity = Severity.WARNING
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async", "tests"})
    preview = True
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level construction of loop-bound objects."""
        model = ctx.project
        for rel, summary in model.modules.items():
            for name, call in summary.assigned_calls.items():
                if ":" in name:
                    continue  # created inside a factory function
                symbol = model.resolve(rel, None, call.func)
                if symbol is None or symbol.kind != "external":
                    continue
                label = _LOOP_BOUND.get(symbol.external)
                if label is None:
                    continue
                yield self.finding(
                    f"`{label}()` created at import and bound to the first event loop",
                    location=Location(rel, call.line, call.column),
                    fix="Create it in the lifespan handler and keep it on `app.state`",
                    evidence={"call": symbol.external, "name": name},
                )
