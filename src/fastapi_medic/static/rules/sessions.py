"""MED2xx, sessions: shared sessions, dependencies that never close them, sessions that
outlive their request."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi_medic.findings import Cause, Finding, Frame, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import CallRef, FunctionInfo, Ref
from fastapi_medic.static.project import Project
from fastapi_medic.static.sqla import SESSION_FACTORIES, external_call, resolved_session
from fastapi_medic.static.walker import StaticRule

__all__ = [
    "AsyncSessionExpiresOnCommit",
    "AsyncSessionInSyncFunction",
    "SessionAtImport",
    "SessionDependencyNotClosed",
    "SessionInBackgroundTask",
    "SessionNotClosed",
]


class SessionAtImport(StaticRule):
    """A database session created once and shared by every request.

    ## What it does
    Checks for a SQLAlchemy session (`SessionLocal()`, `Session(engine)`, `AsyncSession(...)`)
    created at module level, or stored on `app.state`, and used by code that handles
    requests.

    ## Why it matters
    A session is a unit of work for one request, not a connection pool. Shared, it mixes
    the transactions of concurrent requests: one request's rollback discards another's
    writes, a failed flush leaves every later request with `PendingRollbackError`, objects
    go stale, and under threads the session is used concurrently, which SQLAlchemy does not
    support. Module-level sessions in scripts that no request reaches are not reported.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    db = SessionLocal()
    app = FastAPI()


    @app.get("/count")
    def count():
        return db.execute(text("select count(*) from items")).scalar_one()
    ```

    Use instead:
    ```python
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        with SessionLocal() as db:
            yield db


    @app.get("/count")
    def count(db: Annotated[Session, Depends(get_db)]):
        return db.execute(text("select count(*) from items")).scalar_one()
    ```
    """

    code = "MED201"
    name = "session-at-import"
    severity = Severity.ERROR
    cause = Cause.SESSION_STATE
    tags = frozenset({"sqlalchemy"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level and app-state sessions that request code uses."""
        model = ctx.project
        if not ctx.imports_any("sqlalchemy", "sqlmodel"):
            return
        shared: dict[tuple[str, str], tuple[int, str]] = {}
        for rel, summary in model.modules.items():
            for name, call in summary.assigned_calls.items():
                if ":" not in name and resolved_session(model, rel, None, call.func + "()"):
                    shared[(rel, name)] = (call.line, call.func)
        has_state = any(summary.state_assigns for summary in model.modules.values())
        if not shared and not has_state:
            return
        used: dict[tuple[str, str], tuple[str, FunctionInfo, int]] = {}
        for rel, qualname in sorted(ctx.request_reachable):
            fn = model.function(rel, qualname)
            if fn is None:
                continue
            for site in fn.calls:
                head = site.callee.split(".", 1)[0]
                symbol = model.resolve(rel, fn, head)
                if symbol is not None and symbol.kind == "value":
                    key = (symbol.rel, symbol.qualname)
                    if key in shared and key not in used:
                        used[key] = (rel, fn, site.line)
        for key, (line, func) in sorted(shared.items()):
            if key not in used:
                continue
            user_rel, fn, use_line = used[key]
            yield self.finding(
                f"Session `{key[1]}` is created at import and shared by all requests",
                location=Location(key[0], line),
                fix="Yield one session per request from a dependency (`with SessionLocal() as db`)",
                chain=(
                    Frame(f"{key[1]} = {func}()", key[0], line),
                    Frame(fn.qualname, user_rel, use_line),
                ),
                evidence={"used_in": fn.qualname},
            )
        for rel, summary in model.modules.items():
            for where, target, func, line, column in summary.state_assigns:
                fn = summary.functions.get(where) if where else None
                if resolved_session(model, rel, fn, func + "()"):
                    yield self.finding(
                        f"Session stored on `{target}` is shared by all requests",
                        location=Location(rel, line, column),
                        fix="Store the session factory or engine, and open a session per request",
                    )


class SessionDependencyNotClosed(StaticRule):
    """A session dependency that does not guarantee the session is closed.

    ## What it does
    Checks for dependencies that hand out a SQLAlchemy session without closing it on every
    path: a `return` instead of `yield`, a `yield` outside `try/finally` (or a `with` /
    `async with` block that owns the session), and `Depends(SessionLocal)` that makes the
    factory itself the dependency.

    ## Why it matters
    FastAPI runs the code after a `yield` when the response is done, and runs a `finally`
    block even when the endpoint raised. Without it, every request that fails (or every
    request, with `return`) leaves a connection checked out: the pool empties and requests
    hang until `QueuePool limit ... connection timed out`. This is the classic "works for
    an hour, then hangs" failure.

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
        yield db
        db.close()


    @app.get("/count")
    def count(db: Session = Depends(get_db)):
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

    code = "MED202"
    name = "session-dependency-not-closed"
    severity = Severity.ERROR
    cause = Cause.POOL_EXHAUSTION
    tags = frozenset({"sqlalchemy", "dependencies"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report session dependencies without a guaranteed close."""
        model = ctx.project
        for rel, qualname in sorted(ctx.dependency_functions):
            fn = model.function(rel, qualname)
            if fn is None:
                continue
            problem = _dependency_problem(ctx, rel, fn)
            if problem is not None:
                message, fix = problem
                yield self.finding(
                    message,
                    location=Location(rel, fn.line, fn.column),
                    fix=fix,
                    subject=f"dependency {fn.qualname}",
                )
        yield from self._factory_as_dependency(ctx)

    def _factory_as_dependency(self, ctx: ProjectContext) -> Iterator[Finding]:
        model = ctx.project
        for rel, qualname in sorted(ctx.endpoints | ctx.dependency_functions):
            fn = model.function(rel, qualname)
            if fn is None:
                continue
            for param in fn.params:
                for value in (param.default, *param.metadata):
                    if not isinstance(value, CallRef) or not value.args:
                        continue
                    if value.func.rpartition(".")[2] not in ("Depends", "Security"):
                        continue
                    target = value.args[0]
                    if not isinstance(target, Ref):
                        continue
                    if resolved_session(model, rel, fn, target.dotted + "()"):
                        yield self.finding(
                            f"`Depends({target.dotted})` opens a session nobody closes",
                            location=Location(rel, param.line, param.column),
                            fix="Depend on a generator that yields the session inside `with`",
                            subject=ctx.route_label(rel, fn),
                        )


def _dependency_problem(ctx: ProjectContext, rel: str, fn: FunctionInfo) -> tuple[str, str] | None:
    model = ctx.project
    if not fn.is_generator:
        if fn.returned and resolved_session(model, rel, fn, fn.returned):
            return (
                f"Dependency `{fn.name}` returns a session that is never closed",
                "Yield the session inside `try/finally` (or `with`) instead of returning it",
            )
        return None
    if not fn.yields or not resolved_session(model, rel, fn, fn.yields):
        return None
    closed = fn.yields in fn.closed_in_finally or any(
        c.endswith(".close") for c in fn.closed_in_finally
    )
    if fn.yield_guard == "with" or (fn.yield_guard == "finally" and closed):
        return None
    if fn.yield_guard == "finally":
        return (
            f"Dependency `{fn.name}` does not close its session in `finally`",
            f"Call `{fn.yields}.close()` in the `finally` block",
        )
    return (
        f"Dependency `{fn.name}` yields a session without `try/finally`",
        "Wrap the yield in `try/finally` closing the session, or use `with SessionLocal() as db`",
    )


class SessionNotClosed(StaticRule):
    """A session opened in request code and not closed on every path.

    ## What it does
    Checks for functions that run during a request (endpoints, dependencies and what they
    call) and create a SQLAlchemy session with a plain call (`db = SessionLocal()`) without
    a `with` block, without closing it in `finally`, and without handing it back to the
    caller.

    ## Why it matters
    A session that is never closed keeps its connection until garbage collection returns
    it, and one closed only on the happy path leaks whenever an exception is raised first.
    Either way the pool drains a little with every failing request until the service hangs.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    @app.get("/count")
    def count():
        db = SessionLocal()
        total = db.execute(text("select count(*) from items")).scalar_one()
        db.close()
        return total
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    @app.get("/count")
    def count():
        with SessionLocal() as db:
            return db.execute(text("select count(*) from items")).scalar_one()
    ```
    """

    code = "MED204"
    name = "session-not-closed"
    severity = Severity.WARNING
    cause = Cause.POOL_EXHAUSTION
    tags = frozenset({"sqlalchemy"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report sessions created by plain calls in request code and not closed safely."""
        model = ctx.project
        if not ctx.imports_any("sqlalchemy", "sqlmodel"):
            return
        for rel, qualname in sorted(ctx.request_reachable):
            fn = model.function(rel, qualname)
            if fn is None:
                continue
            for name, value in fn.local_types.items():
                if value.startswith("import:") or not value.endswith("()"):
                    continue
                if name in fn.managed or any(p.name == name for p in fn.params):
                    continue
                if name in (fn.yields, fn.returned) or name in fn.closed_in_finally:
                    continue
                if not resolved_session(model, rel, fn, name):
                    continue
                closed = name in fn.closed
                yield self.finding(
                    f"Session `{name}` in `{fn.name}` is "
                    + ("not closed when an exception is raised" if closed else "never closed"),
                    location=Location(rel, fn.line, fn.column),
                    fix=f"Open it with `with {value[:-2]}() as {name}:`",
                    subject=ctx.route_label(rel, fn),
                    evidence={"session": name, "closed_on_success": closed},
                )


class SessionInBackgroundTask(StaticRule):
    """The request's session handed to a background task.

    ## What it does
    Checks for `background_tasks.add_task(...)`, `asyncio.create_task(...)` and
    `asyncio.ensure_future(...)` that receive the session injected into the endpoint
    (a parameter holding a SQLAlchemy session).

    ## Why it matters
    FastAPI closes a `yield` dependency's session when the response is sent, and background
    tasks run after that. The task then works with a closed session: lazy loads fail with
    `DetachedInstanceError`, writes silently reopen a new transaction that nobody commits,
    or the connection is returned to the pool while the task still uses it.

    ## Example
    ```python
    from fastapi import BackgroundTasks, Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        with SessionLocal() as db:
            yield db


    def audit(db: Session, event: str) -> None:
        db.execute(text("insert into audit(event) values (:e)"), {"e": event})
        db.commit()


    @app.post("/orders")
    def create_order(tasks: BackgroundTasks, db: Session = Depends(get_db)):
        tasks.add_task(audit, db, "order created")
        return {"ok": True}
    ```

    Use instead:
    ```python
    from fastapi import BackgroundTasks, Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("sqlite:///app.db")
    SessionLocal = sessionmaker(bind=engine)
    app = FastAPI()


    def get_db():
        with SessionLocal() as db:
            yield db


    def audit(event: str) -> None:
        with SessionLocal() as db:
            db.execute(text("insert into audit(event) values (:e)"), {"e": event})
            db.commit()


    @app.post("/orders")
    def create_order(tasks: BackgroundTasks, db: Session = Depends(get_db)):
        tasks.add_task(audit, "order created")
        return {"ok": True}
    ```
    """

    code = "MED205"
    name = "session-in-background-task"
    severity = Severity.ERROR
    cause = Cause.SESSION_STATE
    tags = frozenset({"sqlalchemy", "background-tasks"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report request sessions passed to work that runs after the response."""
        model = ctx.project
        for rel, summary in model.modules.items():
            for where, call in summary.arg_calls:
                method = call.func.rpartition(".")[2]
                if where is None or method not in ("add_task", "create_task", "ensure_future"):
                    continue
                fn = summary.functions.get(where)
                if fn is None:
                    continue
                params = {p.name for p in fn.params}
                for name in _argument_names(call):
                    if name in params and resolved_session(model, rel, fn, name):
                        yield self.finding(
                            f"Request session `{name}` passed to `{method}`; it closes first",
                            location=Location(rel, call.line, call.column),
                            fix="Open a new session inside the task (`with SessionLocal() as db`)",
                            subject=ctx.route_label(rel, fn),
                        )
                        break


def _argument_names(call: CallRef) -> Iterator[str]:
    values = [*call.args, *(v for _, v in call.kwargs)]
    while values:
        value = values.pop()
        if isinstance(value, Ref) and "." not in value.dotted:
            yield value.dotted
        elif isinstance(value, CallRef):
            values.extend([*value.args, *(v for _, v in value.kwargs)])


class AsyncSessionExpiresOnCommit(StaticRule):
    """An async session factory that expires objects on commit.

    ## What it does
    Checks for `async_sessionmaker(...)` (and `sessionmaker(class_=AsyncSession)`) created
    without `expire_on_commit=False`.

    ## Why it matters
    After `await session.commit()`, every loaded object is expired; the next attribute
    access must reload it, and an async session cannot do that implicitly. Returning an
    object after commit, or reading one of its attributes, fails with `MissingGreenlet`
    (a 500 that only appears on the write paths). SQLAlchemy's asyncio guide recommends
    `expire_on_commit=False` for this reason.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    SessionLocal = async_sessionmaker(engine)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    ```
    """

    code = "MED206"
    name = "async-session-expires-on-commit"
    severity = Severity.WARNING
    cause = Cause.SESSION_STATE
    tags = frozenset({"sqlalchemy", "async"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report async session factories that keep the default ``expire_on_commit``."""
        model = ctx.project
        for rel, summary in model.modules.items():
            for where, call in summary.arg_calls:
                if call.func.rpartition(".")[2] not in ("sessionmaker", "async_sessionmaker"):
                    continue
                fn = summary.functions.get(where) if where else None
                factory = external_call(model, rel, fn, call.func)
                kind = SESSION_FACTORIES.get(factory or "")
                if kind is None:
                    continue
                if kind == "sync":
                    class_ = call.kwarg("class_")
                    if not isinstance(class_, Ref):
                        continue
                    target = model.resolve(rel, fn, class_.dotted)
                    if target is None or target.external != "sqlalchemy.ext.asyncio.AsyncSession":
                        continue
                if call.kwarg("expire_on_commit") is False:
                    continue
                yield self.finding(
                    "Async session factory expires objects on commit (MissingGreenlet)",
                    location=Location(rel, call.line, call.column),
                    fix="Pass `expire_on_commit=False`",
                )


_ASYNC_SESSION_METHODS = frozenset(
    {
        "execute",
        "scalars",
        "scalar",
        "get",
        "commit",
        "flush",
        "refresh",
        "rollback",
        "close",
        "merge",
        "delete",
        "stream",
        "run_sync",
    }
)


class AsyncSessionInSyncFunction(StaticRule):
    """An async SQLAlchemy session or engine used from a plain `def`.

    ## What it does
    Checks for calls of an `AsyncSession`'s or async engine's coroutine methods (`execute`,
    `commit`, `get`, `connect`, ...) inside a sync `def`, where they cannot be awaited.

    ## Why it matters
    The call only creates a coroutine: nothing reaches the database, the write is silently
    lost, and Python warns `coroutine ... was never awaited` at some later point. It often
    appears when an endpoint is turned into `def` to fix a blocking call while it still
    uses the async session.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI()


    async def get_db():
        async with SessionLocal() as db:
            yield db


    @app.post("/audit")
    def audit(db: AsyncSession = Depends(get_db)):
        db.execute(text("insert into audit(event) values ('seen')"))
        return {"ok": True}
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI()


    async def get_db():
        async with SessionLocal() as db:
            yield db


    @app.post("/audit")
    async def audit(db: AsyncSession = Depends(get_db)):
        await db.execute(text("insert into audit(event) values ('seen')"))
        return {"ok": True}
    ```
    """

    code = "MED210"
    name = "async-session-in-sync-function"
    severity = Severity.ERROR
    cause = Cause.SESSION_STATE
    tags = frozenset({"sqlalchemy", "async"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report coroutine methods of async sessions and engines called from sync code."""
        model = ctx.project
        if not ctx.imports_any("sqlalchemy", "sqlmodel"):
            return
        for rel, summary in model.modules.items():
            for fn in summary.functions.values():
                if fn.is_async or fn.qualname == "<lambda>":
                    continue
                for site in fn.calls:
                    method = site.callee.rpartition(".")[2]
                    if method not in _ASYNC_SESSION_METHODS and method not in ("connect", "begin"):
                        continue
                    symbol = model.resolve_call(rel, fn, site)
                    if symbol is None or symbol.kind != "external":
                        continue
                    owner = symbol.external.rpartition(".")[0]
                    if owner in _ASYNC_SESSIONS and method in _ASYNC_SESSION_METHODS:
                        what = "session"
                    elif owner == "sqlalchemy.ext.asyncio.create_async_engine()":
                        what = "engine"
                    else:
                        continue
                    yield self.finding(
                        f"Async {what} `.{method}()` in sync `{fn.name}` is never awaited",
                        location=Location(
                            rel, site.line, site.column, site.end_line, site.end_column
                        ),
                        fix="Make the function `async def` and `await` the call",
                        subject=ctx.route_label(rel, fn),
                    )


_ASYNC_SESSIONS = frozenset(
    {"sqlalchemy.ext.asyncio.AsyncSession()", "sqlalchemy.ext.asyncio.async_sessionmaker()()"}
)
