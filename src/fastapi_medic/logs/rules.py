"""The log-triage codes (MED801-849): one per cause class, plus the logging blind spot.

Each rule names, in ``earlier``, the static rules and runtime probes that catch the same
cause before it reaches production; findings carry them as ``caught_earlier_by``.
"""

from __future__ import annotations

from typing import ClassVar

from fastapi_medic.findings import Cause, Severity, Source
from fastapi_medic.registry import Rule

__all__ = ["LOG_RULES", "LogRule", "rule_for"]


class LogRule(Rule):
    """Base of the log-triage codes."""

    source = Source.LOGS
    tags = frozenset({"logs"})
    #: codes of the static rules or runtime probes that would have caught the cause earlier
    earlier: ClassVar[tuple[str, ...]] = ()
    #: what catches the cause earlier when no code of ours does
    earlier_hint: ClassVar[str] = "fastapi-medic repro --bisect"

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Register the rule, and name the earlier checks in its documentation."""
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        if cls.__doc__ and (cls.__dict__.get("earlier") or cls.__dict__.get("earlier_hint")):
            codes = ", ".join(f"[{code}]({code}.md)" for code in cls.earlier)
            line = f"Caught before production by {codes or cls.earlier_hint}."
            heading = "" if "## References" in cls.__doc__ else "## References\n\n    "
            cls.__doc__ = f"{cls.__doc__.rstrip()}\n\n    {heading}{line}\n    "


class PoolExhaustionInLogs(LogRule):
    """The connection pool or the database ran out of connections.

    ## What it does
    Checks for `QueuePool limit ... reached`, "too many clients", reserved connection slots,
    driver pool timeouts and connections the garbage collector had to return to the pool.

    ## Why it matters
    Once every connection is checked out, each new request waits `pool_timeout` seconds and
    fails with a 500: the API looks down although the database is idle. The usual causes
    are sessions that are never closed, or pools that add up to more connections than the
    database accepts once every worker and replica opens its own.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine("postgresql+psycopg://app@db/app", pool_size=5)
    app = FastAPI()


    @app.get("/items")
    def items():
        session = Session(engine)  # never closed: its connection leaks
        return session.execute(text("select 1")).all()
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine("postgresql+psycopg://app@db/app", pool_size=5)
    app = FastAPI()


    def get_session():
        with Session(engine) as session:
            yield session


    @app.get("/items")
    def items(session: Session = Depends(get_session)):
        return session.execute(text("select 1")).all()
    ```
    """

    code = "MED801"
    name = "pool-exhaustion-in-logs"
    severity = Severity.CRITICAL
    cause = Cause.POOL_EXHAUSTION
    earlier = ("MED202", "MED204", "MED205", "MED203", "MED208", "MED209", "MED720", "MED723")


class EventLoopErrorInLogs(LogRule):
    """The event loop was blocked, closed, or shared between loops.

    ## What it does
    Checks for `MissingGreenlet`, "Event loop is closed", objects attached to a different
    loop, loops started inside a running loop, tasks destroyed while pending, coroutines
    never awaited, asyncio's slow-callback warnings and blockbuster's `BlockingError`.

    ## Why it matters
    A blocked loop stalls every request of the worker at once; an async client created at
    import is bound to a loop that is gone by the time a request uses it. Under uvicorn
    these show up as 500s or timeouts that never happen in a quick local test.

    ## Example
    ```python
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report():
        time.sleep(2)  # blocks the event loop for every request
        return {"ok": True}
    ```

    Use instead:
    ```python
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report():
        await asyncio.sleep(2)
        return {"ok": True}
    ```
    """

    code = "MED802"
    name = "event-loop-error-in-logs"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
    earlier = ("MED101", "MED102", "MED103", "MED105", "MED106", "MED107", "MED210", "MED730")


class SessionStateErrorInLogs(LogRule):
    """A database session or connection was used in a state that no longer allows it.

    ## What it does
    Checks for `DetachedInstanceError`, `PendingRollbackError`, invalid or aborted
    transactions, sessions used by two tasks at once, prepared-statement clashes and
    connections the server closed while the app still held them.

    ## Why it matters
    These errors come from a session that lives longer than one request (a global session,
    a session handed to a background task) or from objects used after their session closed.
    One failed statement then poisons every later request that shares the session.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine("postgresql+psycopg://app@db/app")
    session = Session(engine)  # one session shared by every request
    app = FastAPI()


    @app.get("/items")
    def items():
        return session.execute(text("select 1")).all()
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine("postgresql+psycopg://app@db/app")
    app = FastAPI()


    def get_session():
        with Session(engine) as session:
            yield session


    @app.get("/items")
    def items(session: Session = Depends(get_session)):
        return session.execute(text("select 1")).all()
    ```
    """

    code = "MED803"
    name = "session-state-error-in-logs"
    severity = Severity.ERROR
    cause = Cause.SESSION_STATE
    earlier = ("MED201", "MED205", "MED206", "MED202")


class DependencySignatureErrorInLogs(LogRule):
    """A route or dependency was called with arguments that do not fit its signature.

    ## What it does
    Checks for `TypeError` about missing or unexpected arguments, FastAPI's "Invalid args
    for response field" and parameter types Pydantic can neither validate nor build.

    ## Why it matters
    A dependency called as `get_db()` instead of passed as `Depends(get_db)`, or a heavy
    object in a parameter default, works in one code path and fails in another. The error
    is raised by FastAPI's machinery, so the traceback's last frames are not yours.

    ## Example
    ```python
    from fastapi import Depends, FastAPI

    app = FastAPI()


    def get_user(token: str):
        return {"token": token}


    @app.get("/me")
    def me(user=Depends(get_user())):
        return user
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI

    app = FastAPI()


    def get_user(token: str):
        return {"token": token}


    @app.get("/me")
    def me(user=Depends(get_user)):
        return user
    ```
    """

    code = "MED804"
    name = "dependency-signature-error-in-logs"
    severity = Severity.ERROR
    cause = Cause.DEPENDENCY_SIGNATURE
    earlier = ("MED301", "MED302", "MED305")


class ImportErrorInLogs(LogRule):
    """The app or one of its modules could not be imported.

    ## What it does
    Checks for uvicorn's "Could not import module" and "Attribute not found in module",
    `ModuleNotFoundError`, `ImportError` and circular imports ("partially initialized
    module").

    ## Why it matters
    The server starts, fails to import the app and exits, or a worker imports a module
    lazily and fails on the first request that needs it. The usual causes are a different
    working directory or entrypoint than in development, a package missing from the image,
    and import cycles that only bite in one import order.

    ## Example
    ```python
    # app/models.py
    from app.services import price_of  # app/services.py imports app.models too


    class Item:
        price = price_of("item")
    ```

    Use instead:
    ```python
    # app/models.py
    class Item:
        def price(self):
            from app.services import price_of  # imported when needed, no cycle at import

            return price_of("item")
    ```
    """

    code = "MED805"
    name = "import-error-in-logs"
    severity = Severity.CRITICAL
    cause = Cause.IMPORT_ERROR
    earlier = ("MED501", "MED503", "MED504", "MED601", "MED602", "MED610", "MED630", "MED632")


class ConfigErrorInLogs(LogRule):
    """The app's configuration does not fit the environment it runs in.

    ## What it does
    Checks for database URLs with an unknown scheme or driver, unparsable URLs, sync drivers
    in async engines, hosts that do not resolve, refused connections, rejected credentials,
    settings that fail validation and `KeyError` on `os.environ`.

    ## Why it matters
    These failures depend on the environment, not the code: the same commit works on a
    laptop and fails in the container because a variable is missing or points at
    `localhost`. Fix the deployment's configuration rather than the code.

    ## Example
    ```python
    import os

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(os.environ["DATABASE_URL"])  # KeyError when unset
    ```

    Use instead:
    ```python
    from pydantic_settings import BaseSettings
    from sqlalchemy.ext.asyncio import create_async_engine


    class Settings(BaseSettings):
        database_url: str = "sqlite+aiosqlite:///./dev.db"


    def make_engine(settings: Settings):
        return create_async_engine(settings.database_url)
    ```
    """

    code = "MED806"
    name = "config-error-in-logs"
    severity = Severity.ERROR
    cause = Cause.CONFIG
    earlier = ("MED207", "MED303", "MED640", "MED641", "MED643", "MED644", "MED646", "MED704")


class ResponseValidationErrorInLogs(LogRule):
    """A route returned data that its response model rejects or JSON cannot hold.

    ## What it does
    Checks for FastAPI's `ResponseValidationError` and serialisation errors of returned
    values.

    ## Why it matters
    The endpoint itself ran fine; the 500 comes from the data it returned (a missing field,
    a `None` where the model requires a value, an object JSON cannot encode). The traceback
    ends inside FastAPI, so look at the route named in the finding, not the last frame.

    ## Example
    ```python
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class UserOut(BaseModel):
        email: str


    @app.get("/me", response_model=UserOut)
    def me():
        return {"name": "Ada"}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class UserOut(BaseModel):
        email: str


    @app.get("/me", response_model=UserOut)
    def me():
        return {"email": "ada@example.com"}
    ```

    ## References
    `fastapi-medic repro "GET /me" --bisect` separates the response model from the endpoint.
    """

    code = "MED807"
    name = "response-validation-error-in-logs"
    severity = Severity.ERROR
    cause = Cause.RESPONSE_VALIDATION


class ServerProcessFailureInLogs(LogRule):
    """A server process timed out, was killed or could not start.

    ## What it does
    Checks for gunicorn's `WORKER TIMEOUT`, workers killed by a signal or out of memory,
    workers that failed to boot, "address already in use", running out of file descriptors,
    and proxies that time out or find no app behind them (nginx upstream errors, Heroku's
    H10, H12 and H13).

    ## Why it matters
    Every request in flight on that worker is lost, and clients see 502s or resets from the
    proxy rather than a traceback. A worker timeout with async workers usually means a
    blocking call held the event loop for longer than `--timeout`.

    ## Example
    ```python
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/export")
    async def export():
        time.sleep(60)  # gunicorn kills the worker after --timeout seconds
        return {"ok": True}
    ```

    Use instead:
    ```python
    from fastapi import BackgroundTasks, FastAPI

    app = FastAPI()


    def build_export() -> None:
        pass  # the slow work, off the request


    @app.post("/export", status_code=202)
    async def export(tasks: BackgroundTasks):
        tasks.add_task(build_export)
        return {"queued": True}
    ```
    """

    code = "MED808"
    name = "server-process-failure-in-logs"
    severity = Severity.CRITICAL
    cause = Cause.SERVER_PROCESS
    earlier = ("MED101", "MED102", "MED730", "MED702")


class LoggingErrorInLogs(LogRule):
    """A log call failed inside the `logging` module.

    ## What it does
    Checks for `--- Logging error ---` blocks, which `logging` prints when a handler or a
    message's formatting raises.

    ## Why it matters
    The message that should have explained a failure is lost, and only a traceback about
    logging remains. Wrong `%` arguments, an unserialisable object in a JSON formatter and a
    handler writing to a closed stream are the usual causes.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)


    def charge(order_id: int, amount: float) -> None:
        logger.info("charging order %s", order_id, amount)  # one argument too many
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)


    def charge(order_id: int, amount: float) -> None:
        logger.info("charging order %s: %s", order_id, amount)
    ```
    """

    code = "MED809"
    name = "logging-error-in-logs"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    earlier_hint = "Ruff PLE1205 / PLE1206 (logging format arguments)"


class UnhandledExceptionInLogs(LogRule):
    """An exception of no known cause class escaped a request or a task.

    ## What it does
    Checks for tracebacks that match no other log-triage class, and reports them grouped by
    exception type and your own innermost frame.

    ## Why it matters
    This is the ordinary application bug: the client got a 500, and the frame named in the
    finding is the last line of your code before the failure. Groups are ordered by how
    often they happened, so the first one usually hurts most.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()
    PRICES = {1: 10}


    @app.get("/items/{item_id}")
    def price(item_id: int):
        return {"price": PRICES[item_id]}  # KeyError for unknown ids
    ```

    Use instead:
    ```python
    from fastapi import FastAPI, HTTPException

    app = FastAPI()
    PRICES = {1: 10}


    @app.get("/items/{item_id}")
    def price(item_id: int):
        if item_id not in PRICES:
            raise HTTPException(status_code=404, detail="unknown item")
        return {"price": PRICES[item_id]}
    ```
    """

    code = "MED810"
    name = "unhandled-exception-in-logs"
    severity = Severity.ERROR
    cause = Cause.UNHANDLED
    earlier = ("MED701",)


class ServerErrorWithoutTraceback(LogRule):
    """Responses with status 500 in the access log, and no traceback anywhere in the logs.

    ## What it does
    Checks for access-log lines (uvicorn, gunicorn, JSON records with a status field) that
    answer 500 when none of the logs read contains a single traceback.

    ## Why it matters
    Something turns exceptions into 500s without logging them: a catch-all handler, a
    `try/except` that returns an error response, logging switched off or sent nowhere. You
    cannot diagnose the failure from these logs; make the server log the traceback first.

    ## Example
    ```python
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    app = FastAPI()


    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        return JSONResponse({"detail": "internal error"}, status_code=500)
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    logger = logging.getLogger(__name__)
    app = FastAPI()


    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        logger.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)
    ```
    """

    code = "MED811"
    name = "server-error-without-traceback"
    severity = Severity.ERROR
    cause = Cause.LOGGING
    earlier = ("MED403", "MED407", "MED401", "MED402", "MED408", "MED703")


#: The rule reporting each cause class found in a traceback or a log line.
LOG_RULES: dict[Cause, type[LogRule]] = {
    rule.cause: rule
    for rule in (
        PoolExhaustionInLogs,
        EventLoopErrorInLogs,
        SessionStateErrorInLogs,
        DependencySignatureErrorInLogs,
        ImportErrorInLogs,
        ConfigErrorInLogs,
        ResponseValidationErrorInLogs,
        ServerProcessFailureInLogs,
        LoggingErrorInLogs,
        UnhandledExceptionInLogs,
    )
    if rule.cause is not None
}


def rule_for(cause: Cause) -> type[LogRule]:
    """The rule that reports ``cause``."""
    return LOG_RULES.get(cause, UnhandledExceptionInLogs)
