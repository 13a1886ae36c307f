"""The runtime probe codes (MED7xx)."""

from __future__ import annotations

from fastapi_medic.findings import Cause, Severity, Source
from fastapi_medic.registry import Rule

# --- runtime-core: MED701-719 (middleware, startup report, probe failures) -------------------


class _CoreRule(Rule):
    source = Source.RUNTIME
    tags = frozenset({"runtime"})


class UnhandledException(_CoreRule):
    """An exception escaped a route and the client got a 500.

    ## What it does
    Checks for requests that end with an exception no handler turned into a response.

    ## Why it matters
    The client sees only "Internal Server Error"; the traceback lives in the server log. The
    probe logs it once, with the request id echoed in the response's `X-Request-ID` header, the
    route template and your own innermost frame, so a user's report leads straight to the line.
    Exceptions that a handler turns into a response (`HTTPException`, your own handlers) are not
    reported.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        prices = {1: 10}
        return {"price": prices[item_id]}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI, HTTPException

    app = FastAPI()


    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        prices = {1: 10}
        if item_id not in prices:
            raise HTTPException(status_code=404, detail="item not found")
        return {"price": prices[item_id]}
    ```
    """

    code = "MED701"
    name = "unhandled-exception-in-request"
    severity = Severity.ERROR
    cause = Cause.UNHANDLED


class SlowRequest(_CoreRule):
    """A request took longer than the slow-request threshold.

    ## What it does
    Checks for requests whose total time, background tasks included, exceeds `slow_request`.

    ## Why it matters
    Slow requests hold a worker slot and often a database connection; under load they queue
    the others until clients time out. The finding carries the request's breadcrumbs: each SQL
    statement (without parameter values) with its duration, so you see where the time went.

    ## Example
    ```python
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report() -> dict[str, str]:
        await asyncio.sleep(2.0)  # stands for an unindexed query or a slow API
        return {"status": "done"}
    ```

    Use instead:
    ```python
    from fastapi import BackgroundTasks, FastAPI

    app = FastAPI()


    def build_report() -> None:
        pass  # build the report outside the request


    @app.post("/report", status_code=202)
    async def report(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(build_report)
        return {"status": "queued"}
    ```

    ## Known problems
    Background tasks run inside the request in FastAPI, so a long one makes its request slow.

    ## Options
    `instrument(app, slow_request=1.0)`: the threshold in seconds.
    """

    code = "MED702"
    name = "slow-request"
    severity = Severity.WARNING
    cause = Cause.SERVER_PROCESS


class ServerErrorResponse(_CoreRule):
    """A route answered with a 5xx status without raising.

    ## What it does
    Checks for responses with a 5xx status that a route or handler returned deliberately.

    ## Why it matters
    A 5xx built by your own code (`HTTPException(500)`, `JSONResponse(status_code=503)`) leaves
    no traceback: the server log shows the status only. The probe records the route, the
    request id and the breadcrumbs that led there.

    ## Example
    ```python
    from fastapi import FastAPI, HTTPException

    app = FastAPI()


    @app.get("/health")
    async def health() -> dict[str, str]:
        raise HTTPException(status_code=500, detail="database down")
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI, HTTPException

    app = FastAPI()
    log = logging.getLogger(__name__)


    @app.get("/health")
    async def health() -> dict[str, str]:
        log.error("health check failed: database down")
        raise HTTPException(status_code=503, detail="database down")
    ```

    ## Known problems
    The corrected example still answers 503; the difference is a log line saying why.
    """

    code = "MED703"
    name = "server-error-response"
    severity = Severity.WARNING
    cause = Cause.UNHANDLED


class MissingEnvironmentVariable(_CoreRule):
    """An environment variable your code reads is not set at startup.

    ## What it does
    Checks for environment variables named in your code that are unset when the app starts.

    ## Why it matters
    `os.environ["DATABASE_URL"]` fails at import or, worse, on the first request in production;
    `os.getenv("API_KEY")` silently returns `None`. The startup report lists each name as set
    or missing, never its value.

    ## Example
    ```python
    import os

    from fastapi import FastAPI

    app = FastAPI()
    timeout = float(os.getenv("UPSTREAM_TIMEOUT", "5"))
    api_key = os.getenv("PAYMENTS_API_KEY")
    ```

    Use instead:
    ```python
    import os

    from fastapi import FastAPI

    app = FastAPI()
    timeout = float(os.getenv("UPSTREAM_TIMEOUT", "5"))
    api_key = os.environ["PAYMENTS_API_KEY"]  # set it in the deployment; fails fast when absent
    ```

    ## Known problems
    Names are found by reading the source of the app's package for `os.environ[...]`,
    `os.getenv(...)` and `environ.get(...)` with literal names; a name read with a default is
    reported at info level only.
    """

    code = "MED704"
    name = "missing-environment-variable"
    severity = Severity.WARNING
    cause = Cause.CONFIG


class OtelSqlalchemyInactive(_CoreRule):
    """OpenTelemetry's SQLAlchemy instrumentation is installed but does nothing.

    ## What it does
    Checks for `opentelemetry-instrumentation-sqlalchemy` next to a SQLAlchemy it refuses.

    ## Why it matters
    The instrumentor declares `sqlalchemy < 2.1`; with 2.1 it logs one line and instruments
    nothing, so your traces silently lose every database span. fastapi-medic's own statement
    breadcrumbs still work.

    ## Example
    ```text
    sqlalchemy==2.1.9
    opentelemetry-instrumentation-sqlalchemy==0.66b1
    ```

    Use instead:
    ```text
    sqlalchemy==2.0.58
    opentelemetry-instrumentation-sqlalchemy==0.66b1
    ```
    """

    code = "MED705"
    name = "inactive-otel-sqlalchemy"
    severity = Severity.INFO
    cause = Cause.CONFIG


class AsyncioDebugIgnored(_CoreRule):
    """`PYTHONASYNCIODEBUG` is set but uvicorn turns asyncio debug mode off.

    ## What it does
    Checks for `PYTHONASYNCIODEBUG=1` under uvicorn on Python 3.11 or older.

    ## Why it matters
    uvicorn creates its loop itself and on these Python versions the variable has no effect,
    so you believe slow callbacks are being logged while nothing is. The fastapi-medic
    watchdog reports stalls whatever the loop's debug setting.

    ## Example
    ```sh
    PYTHONASYNCIODEBUG=1 uvicorn app:app
    ```

    Use instead:
    ```sh
    uvicorn app:app  # with fastapi_medic.instrument(app) in app.py
    ```
    """

    code = "MED706"
    name = "ignored-asyncio-debug-mode"
    severity = Severity.INFO
    cause = Cause.EVENT_LOOP


class ProbeFailed(_CoreRule):
    """One of fastapi-medic's own runtime probes raised.

    ## What it does
    Checks for exceptions inside fastapi-medic's runtime hooks.

    ## Why it matters
    The probes fail open: your request completes unchanged and the probe's work for that
    request is skipped. The failure is counted (`probe_errors`) and its traceback logged once
    on the `fastapi_medic.runtime` logger so it can be reported and fixed.

    ## Example
    ```text
    WARNING fastapi_medic.runtime: fastapi-medic probe middleware.end failed
    ```

    Use instead:
    ```text
    (no warning: upgrade fastapi-medic or report the logged traceback)
    ```
    """

    code = "MED719"
    name = "runtime-probe-failure"
    severity = Severity.WARNING
    cause = Cause.TOOL


# --- runtime-probes: MED720-759 (connections, sessions, pool, event loop, strict mode) ---------


class _ProbeRule(Rule):
    source = Source.RUNTIME
    tags = frozenset({"runtime"})


class LeakedConnection(_ProbeRule):
    """A request ended with a pooled connection still checked out.

    ## What it does
    Checks for connections a request took from an engine's pool and did not return by the
    time the response was sent and its dependencies were closed.

    ## Why it matters
    A connection that is never returned stays checked out until the garbage collector finds
    it, if ever. Each such request takes one more slot, and after `pool_size + max_overflow`
    of them every request waits `pool_timeout` seconds and fails with
    `QueuePool limit ... reached`. The finding points at your line that checked the
    connection out, so you see which code path forgets to close it.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite:///app.db")
    app = FastAPI()


    @app.get("/count")
    def count() -> dict[str, int]:
        conn = engine.connect()
        return {"n": conn.execute(text("SELECT 1")).scalar_one()}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite:///app.db")
    app = FastAPI()


    @app.get("/count")
    def count() -> dict[str, int]:
        with engine.connect() as conn:
            return {"n": conn.execute(text("SELECT 1")).scalar_one()}
    ```

    ## Known problems
    A connection a request hands over on purpose (to a background thread or a cache) is
    reported too; return it before the request ends or check it out outside the request.
    """

    code = "MED720"
    name = "leaked-connection"
    severity = Severity.ERROR
    cause = Cause.POOL_EXHAUSTION


class UnclosedSession(_ProbeRule):
    """A request ended with an ORM session still holding a connection.

    ## What it does
    Checks for `Session` and `AsyncSession` objects that began a transaction during a request
    and were neither closed nor committed or rolled back when it ended.

    ## Why it matters
    The open transaction keeps its connection out of the pool, and on PostgreSQL the
    server shows it as `idle in transaction`, holding locks. The usual cause is a session
    created in a route or a dependency without `with` / `async with` or a `finally` that
    closes it, so one error path leaks it. The finding points at your line whose query
    opened the transaction.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    Session = async_sessionmaker(engine)
    app = FastAPI()


    @app.get("/count")
    async def count() -> dict[str, int]:
        session = Session()
        result = await session.execute(text("SELECT 1"))
        return {"n": result.scalar_one()}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    Session = async_sessionmaker(engine)
    app = FastAPI()


    @app.get("/count")
    async def count() -> dict[str, int]:
        async with Session() as session:
            result = await session.execute(text("SELECT 1"))
            return {"n": result.scalar_one()}
    ```
    """

    code = "MED721"
    name = "unclosed-session"
    severity = Severity.ERROR
    cause = Cause.SESSION_STATE


class PoolNearCapacity(_ProbeRule):
    """Connections in use came close to the pool's limit.

    ## What it does
    Checks for moments when the connections checked out of a pool reach 80% of
    `pool_size + max_overflow`.

    ## Why it matters
    Past the limit, requests queue for a connection for up to `pool_timeout` seconds and then
    fail. Getting close under normal load means the pool is too small for the concurrency
    of the worker, or requests hold connections too long (slow queries, work done while a
    session is open). The finding carries the numbers seen and the waits for a connection.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    # 100 concurrent requests per worker, each holding a connection
    engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_size=2, max_overflow=0)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    # size the pool for the worker's concurrency (and the server's max_connections)
    engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_size=10, max_overflow=10)
    ```

    ## Options
    `PoolTracker(engines, collector, near_capacity=0.8)`: the share of the limit that warns.
    """

    code = "MED722"
    name = "pool-near-capacity"
    severity = Severity.WARNING
    cause = Cause.POOL_EXHAUSTION


class PoolExhausted(_ProbeRule):
    """A request waited for a connection until `pool_timeout` and failed.

    ## What it does
    Checks for `QueuePool limit of size N overflow M reached` timeouts and explains them with
    the pool's numbers and who holds the connections.

    ## Why it matters
    SQLAlchemy's message gives the limits, not the cause. The finding lists how many
    connections each route and line held when the timeout fired, which separates a leak
    (connections held by requests that already ended) from a pool too small for the load.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite:///app.db", pool_size=1, max_overflow=0, pool_timeout=1)
    app = FastAPI()


    @app.get("/count")
    def count() -> dict[str, int]:
        conn = engine.connect()  # never closed: the second request times out
        return {"n": conn.execute(text("SELECT 1")).scalar_one()}
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite:///app.db", pool_size=5, max_overflow=10, pool_timeout=5)
    app = FastAPI()


    @app.get("/count")
    def count() -> dict[str, int]:
        with engine.connect() as conn:
            return {"n": conn.execute(text("SELECT 1")).scalar_one()}
    ```
    """

    code = "MED723"
    name = "pool-exhausted"
    severity = Severity.ERROR
    cause = Cause.POOL_EXHAUSTION


class EventLoopStall(_ProbeRule):
    """The event loop ran no other work for longer than the stall threshold.

    ## What it does
    Checks for stretches longer than `stall_threshold` (100 ms) in which the event loop
    could not run any other callback, and samples the loop thread's stack meanwhile.

    ## Why it matters
    While the loop is blocked, every request of the worker waits: latency jumps for all of
    them, health checks time out and the worker gets restarted. The cause can be any call:
    `time.sleep`, a sync database driver, a C extension, a CPU-bound loop. The finding names
    the route and request being served, your line on the stack, the innermost frame, and
    whether the samples show one long call or many short ones.

    ## Example
    ```python
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report() -> dict[str, str]:
        time.sleep(0.5)  # stands for any blocking call
        return {"status": "done"}
    ```

    Use instead:
    ```python
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/report")
    async def report() -> dict[str, str]:
        await asyncio.sleep(0.5)
        return {"status": "done"}
    ```

    ## Known problems
    Code that holds the GIL in C (a regular expression, a large `json.dumps`) is sampled
    only after it returns, so the stack may show the line after it. A stall shorter than the
    threshold is not reported, however often it happens.

    ## Options
    `instrument(app, stall_threshold=0.1)`: the threshold in seconds.
    """

    code = "MED730"
    name = "event-loop-stall"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP


class BlockingCallOnLoop(_ProbeRule):
    """Strict mode caught a known blocking function called on the event loop thread.

    ## What it does
    Checks for calls of known blocking functions (`time.sleep`, file and socket I/O,
    `sqlite3`, contended locks, ...) on the thread running the event loop, and makes them
    raise `BlockingError`.

    ## Why it matters
    A blocking call is harmless in a test with one request and stalls every request under
    load. Strict mode catches it on the first call, fast or slow, at the exact line, which a
    timing-based detector can miss in a fast test. It changes behaviour (the call raises), so
    it is meant for test suites: `instrument(app, strict=True)` or the pytest plugin.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/config")
    async def config() -> dict[str, str]:
        with open("config.txt") as f:
            return {"config": f.read()}
    ```

    Use instead:
    ```python
    import asyncio
    from pathlib import Path

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/config")
    async def config() -> dict[str, str]:
        text = await asyncio.to_thread(Path("config.txt").read_text)
        return {"config": text}
    ```

    ## Known problems
    Only functions on the list are caught; C extensions doing their own I/O are not (the
    stall detector sees them). Reads and writes of stdout, stderr and non-blocking sockets are
    allowed.

    ## References
    - [blockbuster](https://github.com/cbornet/blockbuster), whose list of functions is used
    """

    code = "MED731"
    name = "blocking-call-on-event-loop"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
