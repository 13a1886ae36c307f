"""The live-check codes (MED850-899): what ``repro``, ``load`` and ``doctor``'s probe report."""

from __future__ import annotations

from fastapi_medic.findings import Cause, Severity, Source
from fastapi_medic.registry import Rule

__all__ = [
    "AppHang",
    "AppStartupFailure",
    "ResponseModelMismatch",
    "RouteErrorUnderLoad",
    "ServerErrorResponse",
    "UnimportableApp",
]


class _LiveRule(Rule):
    source = Source.LIVE


class UnimportableApp(_LiveRule):
    """The app cannot be imported.

    ## What it does
    Checks for an application module that raises while it is imported, in a fresh process
    started from the project directory.

    ## Why it matters
    A server that cannot import the app never starts: every request fails, and the platform
    often shows only "application failed to start". The traceback points at the first line of
    your own code on the import path; the cause is usually a missing package, a module path
    that only works from another directory, or a setting read at import time.

    ## Example
    ```python
    import os

    from fastapi import FastAPI

    DATABASE_URL = os.environ["DATABASE_URL"]  # KeyError when the variable is not set

    app = FastAPI()
    ```

    Use instead:
    ```python
    import os

    from fastapi import FastAPI

    app = FastAPI()


    def database_url() -> str:
        return os.environ.get("DATABASE_URL", "sqlite:///./app.db")
    ```
    """

    code = "MED850"
    name = "unimportable-app"
    severity = Severity.CRITICAL
    cause = Cause.IMPORT_ERROR


class AppStartupFailure(_LiveRule):
    """The app's startup (lifespan) fails.

    ## What it does
    Checks for a lifespan handler or startup event that raises before the app serves its first
    request.

    ## Why it matters
    Uvicorn and gunicorn stop the worker when startup fails, so the app restarts in a loop and
    answers nothing. Startup code usually connects to the database or reads settings: the
    failing line tells you which one is missing in this environment.

    ## Example
    ```python
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("postgresql+psycopg://app@db-host/app")


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with engine.connect() as conn:  # raises when the database is unreachable
            conn.execute(text("SELECT 1"))
        yield


    app = FastAPI(lifespan=lifespan)
    ```

    Use instead:
    ```python
    import logging
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine("postgresql+psycopg://app@db-host/app")
    logger = logging.getLogger(__name__)


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError:
            logger.exception("database unreachable at startup; readiness reports it")
        yield


    app = FastAPI(lifespan=lifespan)
    ```
    """

    code = "MED851"
    name = "failing-startup"
    severity = Severity.CRITICAL
    cause = Cause.CONFIG


class ServerErrorResponse(_LiveRule):
    """A route answers 5xx because of an unhandled exception.

    ## What it does
    Checks for requests that end in a server error, and shows the server-side traceback at your
    innermost frame, the dependencies resolved and the statements run before it.

    ## Why it matters
    The client sees only "Internal Server Error". The traceback, which names the failing line,
    is in the server's logs, if logging is configured; reproducing the request in-process shows
    it at once, and `repro --bisect` names the failing dependency or part of the endpoint.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()
    PRICES = {"apple": 120}


    @app.get("/price")
    def price(item: str = "pear") -> dict[str, int]:
        return {"cents": PRICES[item]}  # KeyError: 500
    ```

    Use instead:
    ```python
    from fastapi import FastAPI, HTTPException

    app = FastAPI()
    PRICES = {"apple": 120}


    @app.get("/price")
    def price(item: str = "pear") -> dict[str, int]:
        if item not in PRICES:
            raise HTTPException(404, "unknown item")
        return {"cents": PRICES[item]}
    ```
    """

    code = "MED852"
    name = "route-server-error"
    severity = Severity.ERROR
    cause = Cause.UNHANDLED


class ResponseModelMismatch(_LiveRule):
    """What the endpoint returns does not fit its response model.

    ## What it does
    Checks for responses that fail validation against the route's `response_model` (or return
    annotation), and names the failing fields.

    ## Why it matters
    FastAPI validates the endpoint's return value after the endpoint succeeded: the database
    work is done, yet the client gets a 500 and the log shows `ResponseValidationError`. A
    nullable column, a renamed attribute or a missing `from_attributes` is the usual cause.

    ## Example
    ```python
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class UserOut(BaseModel):
        id: int
        email: str


    @app.get("/me", response_model=UserOut)
    def me() -> dict[str, object]:
        return {"id": 1, "email": None}  # a NULL column
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class UserOut(BaseModel):
        id: int
        email: str | None


    @app.get("/me", response_model=UserOut)
    def me() -> dict[str, object]:
        return {"id": 1, "email": None}
    ```
    """

    code = "MED853"
    name = "response-model-mismatch"
    severity = Severity.ERROR
    cause = Cause.RESPONSE_VALIDATION


class AppHang(_LiveRule):
    """The app does not answer in time.

    ## What it does
    Checks for an import, a startup or a request that has not finished when the deadline
    passes, and shows the stack of the hung thread at that moment.

    ## Why it matters
    A hang is worse than an error: the worker stops answering every request, health checks
    time out and the platform restarts it, with nothing in the logs. The usual causes are a
    blocking call in an async route, a network call without a timeout, or waiting for a
    connection from an exhausted pool.

    ## Example
    ```python
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report() -> dict[str, str]:
        time.sleep(120)  # blocks the event loop: every other request waits too
        return {"status": "done"}
    ```

    Use instead:
    ```python
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report() -> dict[str, str]:
        await asyncio.sleep(120)
        return {"status": "done"}
    ```
    """

    code = "MED854"
    name = "hanging-app"
    severity = Severity.CRITICAL
    cause = Cause.SERVER_PROCESS


class RouteErrorUnderLoad(_LiveRule):
    """A route fails under concurrent load.

    ## What it does
    Checks for routes whose requests fail (5xx, timeouts, dropped connections) during a
    bounded concurrent load, and groups the failures by exception.

    ## Why it matters
    Many production failures need concurrency: an exhausted pool, a session shared between
    requests, a race on module-level state. One request at a time passes; ten at once fail.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine("sqlite:///./app.db")
    db = Session(engine)  # one session shared by every request and thread
    app = FastAPI()


    @app.get("/count")
    def count() -> dict[str, int]:
        return {"n": db.execute(text("SELECT 1")).scalar_one()}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine("sqlite:///./app.db")
    app = FastAPI()


    @app.get("/count")
    def count() -> dict[str, int]:
        with Session(engine) as db:
            return {"n": db.execute(text("SELECT 1")).scalar_one()}
    ```
    """

    code = "MED855"
    name = "route-error-under-load"
    severity = Severity.ERROR
    cause = Cause.UNHANDLED
