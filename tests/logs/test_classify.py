"""Cause classes: each pattern family recognised, and look-alikes left alone."""

from __future__ import annotations

import textwrap

import pytest

from fastapi_medic.findings import Cause
from fastapi_medic.logs.classify import classify
from fastapi_medic.logs.tracebacks import Traceback, parse_traceback_text


def _tb(
    exception: str, *, frame: str = '  File "/app/api.py", line 9, in route\n    x()\n'
) -> Traceback:
    tb = parse_traceback_text(f"Traceback (most recent call last):\n{frame}{exception}\n")
    assert tb is not None
    return tb


POSITIVE = [
    (
        Cause.POOL_EXHAUSTION,
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached",
    ),
    (
        Cause.POOL_EXHAUSTION,
        "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already",
    ),
    (
        Cause.POOL_EXHAUSTION,
        "psycopg.OperationalError: FATAL: remaining connection slots are reserved",
    ),
    (Cause.EVENT_LOOP, "sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called"),
    (Cause.EVENT_LOOP, "RuntimeError: Event loop is closed"),
    (
        Cause.EVENT_LOOP,
        "RuntimeError: Task <Task pending> got Future <Future> attached to a different loop",
    ),
    (Cause.EVENT_LOOP, "RuntimeError: asyncio.run() cannot be called from a running event loop"),
    (
        Cause.SESSION_STATE,
        "sqlalchemy.orm.exc.DetachedInstanceError: Instance <User> is not bound to a Session",
    ),
    (
        Cause.SESSION_STATE,
        "PendingRollbackError: Can't reconnect until invalid transaction is rolled back",
    ),
    (
        Cause.SESSION_STATE,
        "sqlalchemy.exc.InvalidRequestError: This session is in 'prepared' state",
    ),
    (
        Cause.SESSION_STATE,
        "ConnectionDoesNotExistError: connection was closed in the middle of operation",
    ),
    (
        Cause.DEPENDENCY_SIGNATURE,
        "TypeError: get_db() missing 1 required positional argument: 'request'",
    ),
    (
        Cause.DEPENDENCY_SIGNATURE,
        "fastapi.exceptions.FastAPIError: Invalid args for response field! Hint: check that",
    ),
    (
        Cause.DEPENDENCY_SIGNATURE,
        "RuntimeError: no validator found for <class 'app.Client'>, see arbitrary_types_allowed",
    ),
    (Cause.IMPORT_ERROR, "ModuleNotFoundError: No module named 'app'"),
    (
        Cause.IMPORT_ERROR,
        "ImportError: cannot import name 'User' from partially initialized module 'app.models'",
    ),
    (Cause.IMPORT_ERROR, "ImportError: libpq.so.5: cannot open shared object file"),
    (
        Cause.CONFIG,
        "sqlalchemy.exc.NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres",
    ),
    (
        Cause.CONFIG,
        "sqlalchemy.exc.InvalidRequestError: The asyncio extension requires an async driver",
    ),
    (Cause.CONFIG, 'psycopg.OperationalError: could not translate host name "db" to address'),
    (Cause.CONFIG, "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432)"),
    (
        Cause.CONFIG,
        'asyncpg.exceptions.InvalidPasswordError: password authentication failed for user "app"',
    ),
    (
        Cause.CONFIG,
        "pydantic_core._pydantic_core.ValidationError: 1 validation error for AppSettings",
    ),
    (Cause.RESPONSE_VALIDATION, "fastapi.exceptions.ResponseValidationError: 1 validation error:"),
    (Cause.RESPONSE_VALIDATION, "TypeError: Object of type Decimal is not JSON serializable"),
    (Cause.SERVER_PROCESS, "MemoryError"),
    (Cause.SERVER_PROCESS, "OSError: [Errno 98] Address already in use"),
    (Cause.SERVER_PROCESS, "OSError: [Errno 24] Too many open files"),
]


@pytest.mark.parametrize(("cause", "exception"), POSITIVE, ids=lambda v: str(v)[:40])
def test_exception_is_classified_by_its_cause(cause: Cause, exception: str) -> None:
    c = classify(_tb(exception))

    assert c is not None
    assert c.cause is cause


LINES = [
    (Cause.SERVER_PROCESS, "[2026-11-25 10:01:02 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:7)"),
    (Cause.SERVER_PROCESS, "[1] [ERROR] Worker (pid:7) was sent SIGKILL! Perhaps out of memory?"),
    (Cause.SERVER_PROCESS, "[1] [ERROR] Worker (pid:9) was sent code 134!"),
    (
        Cause.IMPORT_ERROR,
        'ERROR:    Error loading ASGI app. Attribute "app" not found in module "main".',
    ),
    (Cause.EVENT_LOOP, "Task was destroyed but it is pending!"),
    (
        Cause.POOL_EXHAUSTION,
        "SAWarning: The garbage collector is trying to clean up non-checked-in connection",
    ),
    (Cause.LOGGING, "--- Logging error ---"),
    (
        Cause.SERVER_PROCESS,
        "2026/11/25 10:00:00 [error] 7#7: *9 upstream timed out (110: Connection timed out) "
        'while reading response header from upstream, request: "GET /report HTTP/1.1"',
    ),
    (
        Cause.SERVER_PROCESS,
        "2026/11/25 10:00:00 [error] 7#7: *3 connect() failed (111: Connection refused) while "
        'connecting to upstream, upstream: "http://127.0.0.1:8000/"',
    ),
    (
        Cause.SERVER_PROCESS,
        'heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/r"',
    ),
]


@pytest.mark.parametrize(("cause", "line"), LINES, ids=lambda v: str(v)[:40])
def test_log_line_without_traceback_is_classified_by_its_cause(cause: Cause, line: str) -> None:
    c = classify(None, line)

    assert c is not None
    assert c.cause is cause


@pytest.mark.parametrize(
    "line",
    [
        "ERROR:    Exception in ASGI application",
        "2026-11-25 10:00:00,000 ERROR app: payment declined for order 17",
        'INFO:     10.0.0.1:5 - "GET /errors HTTP/1.1" 200 OK',
        "[1] [INFO] Worker exiting (pid: 7)",
        "WARNING:  Invalid HTTP request received.",
    ],
)
def test_ordinary_error_lines_are_not_failures(line: str) -> None:
    assert classify(None, line) is None


@pytest.mark.parametrize(
    "exception",
    ["KeyboardInterrupt", "asyncio.exceptions.CancelledError", "SystemExit: 0"],
)
def test_server_shutdown_tracebacks_are_not_failures(exception: str) -> None:
    assert classify(_tb(exception)) is None


def test_type_error_that_is_not_about_arguments_is_unhandled() -> None:
    c = classify(_tb("TypeError: unsupported operand type(s) for +: 'int' and 'str'"))

    assert c is not None
    assert (c.cause, c.pattern) == (Cause.UNHANDLED, "unhandled")


def test_key_error_on_environ_is_a_configuration_problem() -> None:
    frames = '  File "/app/cfg.py", line 3, in <module>\n    URL = os.environ["DATABASE_URL"]\n'

    c = classify(_tb("KeyError: 'DATABASE_URL'", frame=frames))

    assert c is not None
    assert c.cause is Cause.CONFIG


def test_key_error_on_a_dict_is_not_a_configuration_problem() -> None:
    c = classify(_tb("KeyError: 'DATABASE_URL'"))

    assert c is not None
    assert c.cause is Cause.UNHANDLED


def test_unhandled_names_your_innermost_frame_not_the_library_frame() -> None:
    tb = parse_traceback_text(
        textwrap.dedent(
            """\
            Traceback (most recent call last):
              File "/app/api.py", line 9, in route
                helper()
              File "/app/helpers.py", line 4, in helper
                json.loads(s)
              File "/usr/local/lib/python3.11/json/__init__.py", line 346, in loads
                return _default_decoder.decode(s)
            json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)
            """
        )
    )

    c = classify(tb)

    assert c is not None
    assert c.frame is not None
    assert (c.frame.path, c.frame.line) == ("/app/helpers.py", 4)
    assert c.frame_is_user
    assert c.explanation == "Unhandled JSONDecodeError in helper"


def test_cause_in_the_root_exception_wins_over_the_wrapper() -> None:
    tb = parse_traceback_text(
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3.11/site-packages/asyncpg/x.py", line 1, in c\n'
        "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already\n\n"
        "The above exception was the direct cause of the following exception:\n\n"
        "Traceback (most recent call last):\n"
        '  File "/app/cart.py", line 77, in checkout\n'
        "sqlalchemy.exc.DBAPIError: (asyncpg.Error) wrapped\n"
    )

    c = classify(tb)

    assert c is not None
    assert c.cause is Cause.POOL_EXHAUSTION
    assert c.frame is not None
    assert c.frame.path == "/app/cart.py"
