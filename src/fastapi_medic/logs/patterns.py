"""The failure patterns: what a log says, the cause class it belongs to, and what to do.

Each pattern names substrings of an exception (``Type: message``) or of a log line. The table
is ordered from the most specific to the most general; the first pattern that matches wins.
"""

from __future__ import annotations

import dataclasses

from fastapi_medic.findings import Cause, Severity

__all__ = ["EARLIER", "IGNORED_TYPES", "PATTERNS", "Pattern"]


@dataclasses.dataclass(frozen=True, slots=True)
class Pattern:
    """One recognisable failure.

    Attributes:
        ident: stable identifier, part of the group signature.
        cause: the shared cause class.
        needles: the text matches when it contains any of these.
        explanation: the finding's message: what happened, in one line under 80 characters.
        fix: one imperative line.
        also: when set, the text must also contain one of these.
        types: when set, the exception type must end with one of these.
        severity: overrides the rule's severity (warnings such as slow callbacks).
        earlier: the static rules and runtime probes that catch this very pattern earlier
            (the rule's own list is used when empty).
    """

    ident: str
    cause: Cause
    needles: tuple[str, ...]
    explanation: str
    fix: str
    also: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    severity: Severity | None = None
    earlier: tuple[str, ...] = ()


_P = Pattern
_LIFESPAN_FIX = "Create async clients and engines in the lifespan, not at import time"
_BLOCKING_FIX = "Move blocking calls out of `async def` (use a `def` route or run_in_threadpool)"

_TABLE: tuple[Pattern, ...] = (
    # --- proxies in front of the app (checked first: their lines quote other errors) ---
    _P(
        "proxy-timeout",
        Cause.SERVER_PROCESS,
        ("upstream timed out", "code=H12"),
        "The proxy or platform router gave up waiting for the app's answer",
        "Find the slow or blocking call; move long work out of the request",
    ),
    _P(
        "upstream-gone",
        Cause.SERVER_PROCESS,
        (
            "upstream prematurely closed connection",
            "while connecting to upstream",
            "code=H10",
            "code=H13",
        ),
        "The proxy found no app process to answer (crashed, or not listening)",
        "Read the app's own log just before this line; check its port and its crashes",
    ),
    # --- pool exhaustion ------------------------------------------------------------------
    _P(
        "queuepool-limit",
        Cause.POOL_EXHAUSTION,
        ("QueuePool limit of size", "QueuePool limit"),
        "Connection pool exhausted: requests timed out waiting for a connection",
        "Close sessions per request (yield dependency) and size the pool for the load",
    ),
    _P(
        "server-connection-slots",
        Cause.POOL_EXHAUSTION,
        (
            "too many clients already",
            "TooManyConnectionsError",
            "remaining connection slots are reserved",
            "Too many connections",
            "too many connections for",
        ),
        "The database refused a connection: all its connection slots are taken",
        "Keep (pool_size + max_overflow) x workers x replicas below max_connections",
    ),
    _P(
        "driver-pool-timeout",
        Cause.POOL_EXHAUSTION,
        ("PoolTimeout", "connection pool exhausted", "couldn't get a connection after"),
        "Connection pool exhausted: no connection was free in time",
        "Return connections after each request and size the pool for the load",
    ),
    _P(
        "connection-garbage-collected",
        Cause.POOL_EXHAUSTION,
        ("non-checked-in connection", "garbage collector is trying to clean up"),
        "A connection was never returned to the pool (a session leaked)",
        "Close every session: use a yield dependency or `async with`",
        severity=Severity.WARNING,
    ),
    # --- event loop -------------------------------------------------------------------------
    _P(
        "missing-greenlet",
        Cause.EVENT_LOOP,
        ("MissingGreenlet", "greenlet_spawn has not been called"),
        "Async SQLAlchemy did I/O outside an await (lazy load or sync call)",
        "Eager-load relationships (selectinload) and await every database call",
    ),
    _P(
        "blocking-call",
        Cause.EVENT_LOOP,
        ("BlockingError", "Blocking call to "),
        "A blocking call ran on the event loop",
        _BLOCKING_FIX,
    ),
    _P(
        "slow-callback",
        Cause.EVENT_LOOP,
        ("Executing <",),
        "One step of a task blocked the event loop",
        _BLOCKING_FIX,
        also=(" took ",),
        severity=Severity.WARNING,
    ),
    _P(
        "loop-closed",
        Cause.EVENT_LOOP,
        ("Event loop is closed",),
        "An async object outlived the event loop it was created in",
        _LIFESPAN_FIX,
    ),
    _P(
        "different-loop",
        Cause.EVENT_LOOP,
        ("attached to a different loop", "different event loop", "bound to a different"),
        "An async object made in one event loop was used from another",
        _LIFESPAN_FIX,
    ),
    _P(
        "loop-already-running",
        Cause.EVENT_LOOP,
        (
            "event loop is already running",
            "cannot be called from a running event loop",
            "while another loop is running",
        ),
        "Code started an event loop inside the running one",
        "Await the coroutine instead of calling asyncio.run() in request code",
    ),
    _P(
        "no-current-loop",
        Cause.EVENT_LOOP,
        ("There is no current event loop", "no running event loop"),
        "Loop-bound code ran in a thread or at import, where no loop runs",
        _LIFESPAN_FIX,
    ),
    _P(
        "task-destroyed-pending",
        Cause.EVENT_LOOP,
        ("Task was destroyed but it is pending",),
        "A task was dropped while it was still running",
        "Keep a reference to every task you create and await it (or use a TaskGroup)",
        severity=Severity.WARNING,
    ),
    _P(
        "never-awaited",
        Cause.EVENT_LOOP,
        ("was never awaited",),
        "A coroutine was called without `await`, so it never ran",
        "Add the missing `await`",
        severity=Severity.WARNING,
    ),
    # --- session state ----------------------------------------------------------------------
    _P(
        "detached-instance",
        Cause.SESSION_STATE,
        ("DetachedInstanceError", "is not bound to a Session"),
        "An ORM object was used after its session was closed",
        "Load what you need before the session closes; return schemas, not ORM objects",
    ),
    _P(
        "pending-rollback",
        Cause.SESSION_STATE,
        (
            "PendingRollbackError",
            "rolled back due to a previous exception",
            "until invalid transaction is rolled back",
            "current transaction is aborted",
            "InFailedSQLTransaction",
        ),
        "A session was used again after a failed statement",
        "Roll back the session on error and use one session per request",
    ),
    _P(
        "concurrent-session-use",
        Cause.SESSION_STATE,
        (
            "another operation is in progress",
            "concurrent operations are not permitted",
            "IllegalStateChangeError",
            "provisioning a new connection",
        ),
        "One session was used by two tasks at the same time",
        "Give each request and each task its own session",
    ),
    _P(
        "prepared-statement",
        Cause.SESSION_STATE,
        ("prepared statement", "InvalidCachedStatementError", "'prepared' state"),
        "A prepared statement clashed (often PgBouncer in transaction mode)",
        "Behind PgBouncer, turn off statement caching (statement_cache_size=0)",
    ),
    _P(
        "connection-closed",
        Cause.SESSION_STATE,
        (
            "closed the connection unexpectedly",
            "connection was closed in the middle of operation",
            "ConnectionDoesNotExistError",
            "connection already closed",
            "Lost connection to MySQL server",
            "MySQL server has gone away",
            "SSL SYSCALL error",
            "connection is closed",
        ),
        "The database closed a pooled connection that the app still used",
        "Set pool_pre_ping=True and pool_recycle below the server's idle timeout",
    ),
    # --- dependency signature ---------------------------------------------------------------
    _P(
        "invalid-response-field",
        Cause.DEPENDENCY_SIGNATURE,
        ("Invalid args for response field",),
        "FastAPI could not build a response model from a return annotation",
        "Annotate with a Pydantic model, or pass response_model=None",
    ),
    _P(
        "no-validator",
        Cause.DEPENDENCY_SIGNATURE,
        (
            "no validator found for",
            "Unable to generate pydantic-core schema for",
            "is not a valid Pydantic field type",
        ),
        "A parameter type that FastAPI can neither validate nor inject",
        "Wrap the object in Depends(...) or use a type Pydantic can validate",
    ),
    _P(
        "missing-argument",
        Cause.DEPENDENCY_SIGNATURE,
        (
            "required positional argument",
            "required keyword-only argument",
            "got an unexpected keyword argument",
            "takes 0 positional arguments",
        ),
        "A function was called with the wrong arguments (a dependency called directly?)",
        "Pass dependencies as Depends(func), not func(); check their parameters",
        types=("TypeError",),
    ),
    # --- import errors ----------------------------------------------------------------------
    _P(
        "circular-import",
        Cause.IMPORT_ERROR,
        ("partially initialized module", "circular import"),
        "A circular import left a module half-initialised",
        "Break the cycle: move shared code to a lower module or import it lazily",
    ),
    _P(
        "asgi-attribute",
        Cause.IMPORT_ERROR,
        ("not found in module",),
        "The server found the module but not the app attribute in it",
        "Point the server at module:attribute of the FastAPI instance",
        also=("Attribute ",),
    ),
    _P(
        "asgi-import",
        Cause.IMPORT_ERROR,
        ("Could not import module", "Error loading ASGI app"),
        "The server could not import the app module",
        "Start the server from the project root with the module path used in prod",
    ),
    _P(
        "module-not-found",
        Cause.IMPORT_ERROR,
        ("No module named",),
        "A module is missing from the environment the app runs in",
        "Declare the package in your dependencies and rebuild the image",
    ),
    _P(
        "cannot-import-name",
        Cause.IMPORT_ERROR,
        ("cannot import name",),
        "A name is missing from the module it is imported from",
        "Align package versions with the lock file; look for a circular import",
    ),
    _P(
        "import-error",
        Cause.IMPORT_ERROR,
        ("ImportError",),
        "An import failed",
        "Install the missing package and run from the project root",
        types=("ImportError",),
    ),
    # --- response validation ----------------------------------------------------------------
    _P(
        "response-validation",
        Cause.RESPONSE_VALIDATION,
        ("ResponseValidationError", "validation error for Response", "('response',"),
        "A route returned data that does not match its response model",
        "Return every field the response model requires, or make it optional",
    ),
    _P(
        "serialization",
        Cause.RESPONSE_VALIDATION,
        (
            "PydanticSerializationError",
            "Unable to serialize unknown type",
            "is not JSON serializable",
        ),
        "A route returned a value that cannot be serialised to JSON",
        "Return plain data or a Pydantic model; convert custom types first",
    ),
    # --- configuration ----------------------------------------------------------------------
    _P(
        "async-driver",
        Cause.CONFIG,
        ("requires an async driver", "is not async"),
        "An async engine was given a synchronous database driver",
        "Use an async driver in the URL: postgresql+asyncpg:// or sqlite+aiosqlite://",
    ),
    _P(
        "url-plugin",
        Cause.CONFIG,
        ("Can't load plugin: sqlalchemy.dialects", "NoSuchModuleError"),
        "The database URL names a scheme or driver SQLAlchemy cannot load",
        "Fix the URL scheme (postgresql+asyncpg://) and install that driver",
    ),
    _P(
        "url-parse",
        Cause.CONFIG,
        ("Could not parse SQLAlchemy URL", "Could not parse rfc1738 URL"),
        "The database URL could not be parsed",
        "Check DATABASE_URL: scheme://user:password@host:port/db, special characters quoted",
    ),
    _P(
        "host-not-resolvable",
        Cause.CONFIG,
        (
            "could not translate host name",
            "Name or service not known",
            "nodename nor servname provided",
            "Temporary failure in name resolution",
            "getaddrinfo failed",
        ),
        "The database host name does not resolve where the app runs",
        "Use a host reachable from the app's network (the service name, not localhost)",
    ),
    _P(
        "connection-refused",
        Cause.CONFIG,
        (
            "Connection refused",
            "ConnectionRefusedError",
            "Connect call failed",
            "could not connect to server",
            "Can't connect to MySQL server",
        ),
        "Nothing accepted the connection at the configured host and port",
        "Check the host and port in the URL, and that the server is up and reachable",
    ),
    _P(
        "bad-credentials",
        Cause.CONFIG,
        ("password authentication failed", "InvalidPasswordError", "Access denied for user"),
        "The database rejected the configured credentials",
        "Check the user and password the deployment passes in DATABASE_URL",
    ),
    _P(
        "database-missing",
        Cause.CONFIG,
        ("InvalidCatalogNameError", "unable to open database file"),
        "The configured database does not exist or cannot be opened",
        "Create the database, or fix its name or path in the URL",
    ),
    _P(
        "settings-validation",
        Cause.CONFIG,
        ("Settings", "Config"),
        "Settings failed validation: environment variables are missing or wrong",
        "Set the variables the error lists before starting the app",
        also=("validation error",),
    ),
    # --- server process ---------------------------------------------------------------------
    _P(
        "worker-timeout",
        Cause.SERVER_PROCESS,
        ("WORKER TIMEOUT",),
        "A gunicorn worker stopped answering and was killed",
        "Find the blocking call in async code; raise --timeout only for slow sync work",
        severity=Severity.CRITICAL,
    ),
    _P(
        "out-of-memory",
        Cause.SERVER_PROCESS,
        ("Perhaps out of memory", "MemoryError", "Out of memory", "OOMKilled"),
        "A worker was killed, most likely for running out of memory",
        "Find what grows (big responses, caches) or give the container more memory",
        severity=Severity.CRITICAL,
    ),
    _P(
        "address-in-use",
        Cause.SERVER_PROCESS,
        ("ddress already in use", "Connection in use:", "[Errno 98]", "[Errno 48]"),
        "The port is already taken by another process",
        "Stop the other process or bind another port; start the server once",
        severity=Severity.CRITICAL,
    ),
    _P(
        "worker-boot",
        Cause.SERVER_PROCESS,
        ("Worker failed to boot", "App failed to load"),
        "The server could not start its workers",
        "Fix the error logged just before this line; run the start command locally",
        severity=Severity.CRITICAL,
    ),
    _P(
        "worker-exited",
        Cause.SERVER_PROCESS,
        ("was sent code", "exited with code", "was sent SIGKILL", "was sent SIGSEGV"),
        "A worker process exited unexpectedly",
        "Look for the traceback or signal logged just before; check memory limits",
    ),
    _P(
        "too-many-open-files",
        Cause.SERVER_PROCESS,
        ("Too many open files",),
        "The process ran out of file descriptors",
        "Close clients, files and sessions per request before raising the ulimit",
    ),
    # --- logging ----------------------------------------------------------------------------
    _P(
        "logging-error",
        Cause.LOGGING,
        ("--- Logging error ---",),
        "A log call failed inside logging, so its message was lost",
        "Fix the format arguments or the handler named in the traceback",
        severity=Severity.WARNING,
    ),
)

_BLOCKING = ("MED101", "MED102", "MED104", "MED730", "MED731")
_SESSION_SCOPE = ("MED201", "MED205")
_IMPORTS = ("MED630", "MED632", "MED610")
_ENVIRONMENT = ("MED640", "MED704", "MED303")
#: pattern -> the codes that catch it before production
EARLIER: dict[str, tuple[str, ...]] = {
    "queuepool-limit": ("MED202", "MED204", "MED205", "MED209", "MED720", "MED723"),
    "server-connection-slots": ("MED208",),
    "driver-pool-timeout": ("MED202", "MED204", "MED723"),
    "connection-garbage-collected": ("MED202", "MED204", "MED720", "MED721"),
    "missing-greenlet": ("MED206", "MED210", "MED103"),
    "blocking-call": _BLOCKING,
    "slow-callback": _BLOCKING,
    "loop-closed": ("MED107",),
    "different-loop": ("MED107",),
    "no-current-loop": ("MED107",),
    "loop-already-running": ("MED106",),
    "task-destroyed-pending": ("MED105",),
    "detached-instance": ("MED206", "MED201"),
    "pending-rollback": _SESSION_SCOPE,
    "concurrent-session-use": _SESSION_SCOPE,
    "invalid-response-field": ("MED305",),
    "no-validator": ("MED305",),
    "missing-argument": ("MED301", "MED302"),
    "circular-import": ("MED501", "MED503"),
    "asgi-attribute": ("MED602", "MED610"),
    "asgi-import": ("MED601", "MED610"),
    "module-not-found": _IMPORTS,
    "cannot-import-name": _IMPORTS,
    "import-error": _IMPORTS,
    "async-driver": ("MED644", "MED207"),
    "url-plugin": ("MED642", "MED643"),
    "url-parse": ("MED641",),
    "host-not-resolvable": ("MED646",),
    "connection-refused": ("MED646",),
    "settings-validation": _ENVIRONMENT,
    "environment-variable-missing": _ENVIRONMENT,
    "worker-timeout": ("MED101", "MED102", "MED730"),
    "proxy-timeout": ("MED101", "MED102", "MED702", "MED730"),
    "upstream-gone": ("MED605", "MED607", "MED610"),
    "worker-boot": ("MED610",),
}

PATTERNS: tuple[Pattern, ...] = tuple(
    dataclasses.replace(pattern, earlier=EARLIER.get(pattern.ident, ())) for pattern in _TABLE
)

#: Exceptions that end a server normally or are answered by FastAPI: not failures.
IGNORED_TYPES = frozenset(
    {
        "KeyboardInterrupt",
        "SystemExit",
        "GeneratorExit",
        "CancelledError",
        "RequestValidationError",
        "WebSocketDisconnect",
        "ClientDisconnect",
    }
)
