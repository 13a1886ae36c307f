"""MED1xx: calls that block the event loop inside ``async def`` code."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from fastapi_medic.findings import Cause, Finding, Frame, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import AWAITED
from fastapi_medic.static.walker import StaticRule, WalkContext, dotted

__all__ = ["BlockingCallInAsyncFunction", "DanglingTask"]


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

    def check_project(self, project: object, ctx: object) -> Iterable[Finding]:
        """Resolve each call inside every async function and match it against the catalogue."""
        assert isinstance(ctx, ProjectContext)  # noqa: S101 - the engine passes one
        return self._findings(ctx)

    def _findings(self, ctx: ProjectContext) -> Iterator[Finding]:
        catalogue = ctx.blocking
        model = ctx.project
        for rel, summary in model.modules.items():
            for fn in summary.functions.values():
                if not fn.is_async:
                    continue
                for call in fn.calls:
                    if call.flags & AWAITED:
                        continue
                    symbol = model.resolve(rel, fn, call.callee)
                    if symbol is None or symbol.kind != "external":
                        continue
                    kind = catalogue.match(symbol.external)
                    if kind is None:
                        continue
                    where = ctx.describe(rel, fn)
                    name = symbol.external
                    yield self.finding(
                        _short(f"Blocking {kind.label} `{name}` in async `{fn.name}`", 79),
                        location=Location(rel, call.line, call.column, call.end_line, call.end_column),
                        fix=kind.fix,
                        subject=where if where != fn.qualname else None,
                        chain=(
                            ctx.frame(rel, fn, call.line),
                            Frame(name, rel, call.line),
                        ),
                        evidence={"call": symbol.external, "kind": kind.label},
                    )


_TASK_FACTORIES = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_LOOP_METHODS = ("loop.create_task", "get_event_loop().create_task", "get_running_loop().create_task")


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
        if name is None or not name.endswith(("create_task", "ensure_future")):
            return None
        resolved = ctx.resolve(name)
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
