"""MED4xx: errors that never reach the logs."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import CallRef, FunctionInfo, Ref
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = [
    "ExceptionHandlerWithoutTraceback",
    "ExceptionSwallowedInRequest",
    "LoggerCannotEmit",
    "LoggingConfiguredAtImport",
    "LoggingDisabled",
    "LoggingNotConfigured",
    "PrintInRequestPath",
    "SecretInLog",
    "secret_name",
]


class ExceptionSwallowedInRequest(StaticRule):
    """A broad `except` in request handling that loses the traceback.

    ## What it does
    Checks for `except Exception:` (or a bare `except:`) in endpoints, dependencies,
    middleware, exception handlers and the functions they call, when the handler turns the
    error into a 500 response or `HTTPException(500)` without logging the traceback
    (`logger.exception(...)`, `exc_info=True`, `traceback.print_exc()`,
    `sentry_sdk.capture_exception()`). Handlers that re-raise, hand the exception to a
    helper, or only `pass` (usually a deliberate best-effort step) are not reported.

    ## Why it matters
    The client gets a 500, the server's log stays empty: this is the "prod logs show
    nothing" failure. `HTTPException` responses are not logged by FastAPI, and a message
    logged with `logger.error(str(e))` has no stack, so nobody can tell which line failed.
    Log the exception with its traceback before answering, or let it propagate to the
    server, which logs it.

    ## Example
    ```python
    from fastapi import FastAPI, HTTPException

    app = FastAPI()


    def charge(order_id: int) -> None:
        raise RuntimeError("card declined by the provider")


    @app.post("/orders/{order_id}/pay")
    def pay(order_id: int):
        try:
            charge(order_id)
        except Exception as exc:
            raise HTTPException(status_code=500, detail=str(exc))
        return {"paid": True}
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI, HTTPException

    logger = logging.getLogger(__name__)
    app = FastAPI()


    def charge(order_id: int) -> None:
        raise RuntimeError("card declined by the provider")


    @app.post("/orders/{order_id}/pay")
    def pay(order_id: int):
        try:
            charge(order_id)
        except Exception as exc:
            logger.exception("payment failed for order %s", order_id)
            raise HTTPException(status_code=500, detail="payment failed") from exc
        return {"paid": True}
    ```
    """

    code = "MED403"
    name = "exception-swallowed-in-request"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report broad handlers in request code that answer or pass without a traceback."""
        reachable = ctx.request_reachable
        for rel, summary in ctx.project.modules.items():
            for qualname, line, column, outcome, logged in summary.handlers:
                # A handler that only passes is usually a deliberate best-effort step;
                # an error answered with a 5xx and no traceback is the blind spot.
                if outcome != "500" or logged == "traceback":
                    continue
                if (rel, qualname) not in reachable:
                    continue
                fn = summary.functions.get(qualname)
                if logged == "message":
                    message = "`except Exception` answers 500 and logs no traceback"
                else:
                    message = "`except Exception` answers 500 and logs nothing"
                yield self.finding(
                    message,
                    location=Location(rel, line, column),
                    fix="Call `logger.exception(...)` in the handler, or let the error propagate",
                    subject=ctx.route_label(rel, fn) if fn is not None else None,
                )


#: Ruff/flake8-print codes for the same pattern: a line that silences them is deliberate.
_EQUIVALENT_NOQA = frozenset({"T201", "T20"})


class PrintInRequestPath(StaticRule):
    """`print()` in code that handles requests.

    ## What it does
    Checks for `print(...)` calls in endpoints, dependencies, middleware, exception
    handlers and the functions they call.

    ## Why it matters
    In a container `stdout` is often block-buffered, so printed lines arrive late, out of
    order with the log, or never if the worker is killed. They carry no level, timestamp,
    logger name or request id, so log filters and aggregation drop or misfile them, and
    an error printed instead of logged is invisible where people look for errors. A line
    that already silences Ruff's print rule (`# noqa: T201`) is taken as deliberate.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/health")
    def health():
        print("health check")
        return {"ok": True}
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI

    logger = logging.getLogger(__name__)
    app = FastAPI()


    @app.get("/health")
    def health():
        logger.debug("health check")
        return {"ok": True}
    ```
    """

    code = "MED404"
    name = "print-in-request-path"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report builtin ``print`` calls made while a request is handled."""
        model = ctx.project
        for rel, qualname in sorted(ctx.request_reachable):
            fn = model.function(rel, qualname)
            if fn is None:
                continue
            noqa = model.modules[rel].noqa
            for site in fn.calls:
                if site.callee != "print":
                    continue
                if _EQUIVALENT_NOQA.intersection(noqa.get(site.line, ())):
                    continue  # `# noqa: T201`: Ruff's print rule was silenced on purpose here
                symbol = model.resolve_call(rel, fn, site)
                if symbol is None or symbol.external != "print":
                    continue
                yield self.finding(
                    f"`print()` in request code (`{fn.name}`) bypasses logging",
                    location=Location(rel, site.line, site.column, site.end_line, site.end_column),
                    fix="Use a module logger: `logging.getLogger(__name__)`",
                    subject=ctx.route_label(rel, fn),
                )


_DATABASES = frozenset(
    {"database", "db", "postgres", "postgresql", "mysql", "redis", "sqlalchemy", "mongo", "amqp"}
)
_SECRET_PARTS = frozenset(
    {"password", "passwd", "pwd", "secret", "apikey", "authorization", "cookie", "credentials"}
)
_SECRET_TAILS = frozenset({"token", "key"})  # access_token, api_key, private_key; not tokens
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("secret", "key")})
#: Parts that make the identifier about a secret, not the secret (secret_name, token_count).
_NOT_SECRET = frozenset(
    {
        "hash",
        "hashed",
        "length",
        "len",
        "count",
        "reset",
        "policy",
        "min",
        "max",
        "name",
        "names",
        "path",
        "endpoint",
        "url",
        "uri",
        "manager",
        "id",
        "ids",
        "type",
        "arn",
        "file",
        "prefix",
        "field",
        "env",
        "var",
        "expiry",
        "expires",
        "ttl",
        "valid",
        "is",
        "has",
        "header",
        "headers",
        "mode",
        "source",
        "provider",
    }
)


def secret_name(name: str) -> bool:
    """True when an identifier names a secret value (``password``, ``access_token``,
    ``api_key``), and not a derived or harmless one (``password_hash``, ``max_tokens``)."""
    parts = [p for p in name.lower().replace("-", "_").split("_") if p]
    if not parts:
        return False
    if parts[-1] in ("url", "uri", "dsn") and _DATABASES.intersection(parts[:-1]):
        return True  # database_url, SQLALCHEMY_DATABASE_URI: they carry the password
    if _NOT_SECRET.intersection(parts):
        return False
    if _SECRET_PARTS.intersection(parts):
        return True
    if parts[-1] == "token" or parts == ["key"]:
        return len(parts) > 1 or parts == ["token"]
    return len(parts) >= 2 and (parts[-2], parts[-1]) in _SECRET_PAIRS


class SecretInLog(StaticRule):
    """A password, token, key or whole request payload passed to a logger or `print`.

    ## What it does
    Checks for logging calls (`logger.info(...)`, `logging.warning(...)`, ...) and `print`
    whose arguments show a secret: a variable or attribute named like one (`password`,
    `access_token`, `api_key`, `client_secret`, `authorization`, `cookie`, a database URL
    such as `database_url`, which carries the password), a header looked
    up by such a name, the request's headers, cookies or body (`await request.json()`), or
    a Pydantic model dumped with `.model_dump()` / `.dict()` whose class has such a field.
    F-strings, `%` arguments and `extra=` are all read, and so is a message built earlier in
    the same function (`msg = f"... {token}"; logger.info(msg)`). Names of derived values
    (`password_hash`, `max_tokens`, `token_count`) are not secrets.

    ## Why it matters
    Logs are copied to aggregators, tickets, chat and laptops, and kept for months: a
    credential written there is leaked to everyone who can read them, and rotating it is
    the only remedy. Log an identifier (the user id, the key's last four characters)
    instead of the value.

    ## Example
    ```python
    import logging

    from fastapi import FastAPI
    from pydantic import BaseModel

    logger = logging.getLogger(__name__)
    app = FastAPI()


    class Login(BaseModel):
        email: str
        password: str


    @app.post("/login")
    def login(payload: Login):
        logger.info(f"login attempt {payload.email} {payload.password}")
        return {"ok": True}
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI
    from pydantic import BaseModel

    logger = logging.getLogger(__name__)
    app = FastAPI()


    class Login(BaseModel):
        email: str
        password: str


    @app.post("/login")
    def login(payload: Login):
        logger.info("login attempt for %s", payload.email)
        return {"ok": True}
    ```
    """

    code = "MED406"
    name = "secret-in-log"
    severity = Severity.ERROR
    cause = Cause.SECRETS
    tags = frozenset({"logging", "security"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report log and print calls whose arguments carry a secret or a whole payload."""
        model = ctx.project
        for rel, summary in model.modules.items():
            flows: dict[tuple[str, str], tuple[str, ...]] = {
                (where, name): shown for where, name, shown in summary.text_flows
            }
            for where, callee, line, column, direct in summary.log_calls:
                fn = summary.functions.get(where) if where else None
                if not self._is_log_call(model, rel, fn, callee):
                    continue
                mentions = direct
                if where is not None:  # one step of data flow: a message built earlier
                    mentions = (*direct, *(s for m in direct for s in flows.get((where, m), ())))
                what = self._secret(model, rel, fn, mentions)
                if what is None:
                    continue
                yield self.finding(
                    f"{what} written to the log",
                    location=Location(rel, line, column),
                    fix="Log an identifier instead of the value, or mask it",
                    subject=ctx.route_label(rel, fn) if fn is not None else None,
                )

    @staticmethod
    def _is_log_call(model: Project, rel: str, fn: object, callee: str) -> bool:
        from fastapi_medic.static.model import FunctionInfo

        where = fn if isinstance(fn, FunctionInfo) else None
        if callee == "print":
            symbol = model.resolve(rel, where, callee)
            return symbol is not None and symbol.external == "print"
        head = callee.split(".", 1)[0].lower()
        if "log" in head:  # logger.info, log.error, logging.warning, verbose_logger.debug
            return True
        symbol = model.resolve(rel, where, callee)
        return symbol is not None and symbol.external.startswith(
            ("logging.", "structlog.", "loguru.")
        )

    @staticmethod
    def _secret(model: Project, rel: str, fn: object, mentions: tuple[str, ...]) -> str | None:
        from fastapi_medic.static.model import FunctionInfo

        where = fn if isinstance(fn, FunctionInfo) else None
        for mention in mentions:
            kind, _, rest = mention.partition(":")
            if not rest:
                if secret_name(mention):
                    return f"Secret `{mention}`"
                continue
            if kind == "payload":
                return f"Request payload `{rest}()`"
            if kind == "headers":
                return f"Request `{rest.rpartition('.')[2]}`"
            if kind == "dump":
                symbol = model.resolve(rel, where, rest)
                if symbol is None or symbol.kind != "class":
                    continue
                for _, info in model.mro(symbol.rel, symbol.qualname):
                    fields = [f for f in info.attr_types if secret_name(f)]
                    if fields:
                        return f"Model `{rest}` with field `{fields[0]}`"
        return None


#: Calls that configure logging for the whole process.
_CONFIGURERS = frozenset(
    {
        "logging.basicConfig",
        "logging.config.dictConfig",
        "logging.config.fileConfig",
        "structlog.configure",
        "loguru.logger.add",
        "loguru.logger.configure",
    }
)
#: Modules that may configure logging: where the process starts.
_ENTRY_NAMES = frozenset(
    {"main.py", "__main__.py", "asgi.py", "wsgi.py", "server.py", "cli.py", "manage.py"}
)


def _configuring_calls(ctx: ProjectContext) -> list[tuple[str, str | None, int, int, str]]:
    """Every call that configures logging: (module, function or None, line, column, name)."""
    cached = ctx.shared.get("logging_setup")
    if isinstance(cached, list):
        return cached
    found = _find_configuring_calls(ctx)
    ctx.shared["logging_setup"] = found
    return found


def _find_configuring_calls(ctx: ProjectContext) -> list[tuple[str, str | None, int, int, str]]:
    project = ctx.project
    out: list[tuple[str, str | None, int, int, str]] = []
    for rel, summary in project.modules.items():
        for fn, site in ctx.calls_of(summary):
            head, _, tail = site.callee.rpartition(".")
            if tail not in ("basicConfig", "dictConfig", "fileConfig", "configure", "add"):
                continue
            if tail in ("configure", "add") and not head.endswith(("structlog", "logger")):
                continue  # set.add, settings.configure: not logging
            symbol = project.resolve_call(rel, fn, site)
            if symbol is not None and symbol.external in _CONFIGURERS:
                out.append(
                    (rel, fn.qualname if fn else None, site.line, site.column, symbol.external)
                )
    return out


def _entry_modules(ctx: ProjectContext) -> set[str]:
    """Modules where the process starts: those that create an app, and main-like files."""
    entries = {rel for (rel, _), obj in ctx.app.objects.items() if obj.is_app}
    entries.update(rel for rel in ctx.project.modules if rel.rpartition("/")[2] in _ENTRY_NAMES)
    return entries


class LoggingConfiguredAtImport(StaticRule):
    """Logging configured when a library module is imported.

    ## What it does
    Checks for `logging.basicConfig()`, `logging.config.dictConfig()`/`fileConfig()`,
    `structlog.configure()` and `loguru`'s `logger.add()` called at module level in a module
    that the application imports but that is not where the process starts (a router,
    a service, a model module).

    ## Why it matters
    Whichever module happens to be imported first decides the log format and level for the
    whole process: `basicConfig` does nothing once a handler exists, so the entrypoint's
    own configuration (or uvicorn's `--log-config`) is silently ignored, or the output is
    doubled. Tests and scripts that import the module get the side effect too. Configure
    logging once, where the process starts: the entrypoint or the lifespan handler.

    ## Example
    ```python
    import logging

    from fastapi import APIRouter

    logging.basicConfig(level=logging.INFO)
    logger = logging.getLogger(__name__)
    router = APIRouter()


    @router.get("/items")
    def items():
        logger.info("listing items")
        return []
    ```

    Use instead:
    ```python
    import logging

    from fastapi import APIRouter

    logger = logging.getLogger(__name__)
    router = APIRouter()


    @router.get("/items")
    def items():
        logger.info("listing items")
        return []
    ```
    """

    code = "MED405"
    name = "logging-configured-at-import"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging", "imports"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level logging configuration outside the entry modules."""
        calls = [c for c in _configuring_calls(ctx) if c[1] is None]
        if not calls:
            return
        entries = _entry_modules(ctx)
        imported = ctx.app_imports
        for rel, _, line, column, name in calls:
            if rel in entries or rel not in imported:
                continue
            yield self.finding(
                f"`{name.rpartition('.')[2]}()` at import of a module the app imports",
                location=Location(rel, line, column),
                fix="Configure logging once, in the entrypoint or the lifespan handler",
            )


class LoggingNotConfigured(StaticRule):
    """An application that logs but never configures logging.

    ## What it does
    Checks for projects with a FastAPI app whose code logs at `INFO` or `DEBUG`, while
    nothing configures logging: no `logging.basicConfig`/`dictConfig`/`fileConfig`, no
    `structlog.configure`, no `loguru` sink, no `log_config=` passed to `uvicorn.run`, and
    no `--log-config` in the start commands the project ships.

    ## Why it matters
    uvicorn configures only its own loggers. The application's loggers fall back to the
    root logger, which has no handler and the `WARNING` level, so every `logger.info(...)`
    is dropped: in production the logs show the access lines and nothing of what the
    application did. This is the classic "prod logs show nothing" case.

    ## Example
    ```python
    import logging

    from fastapi import FastAPI

    logger = logging.getLogger(__name__)
    app = FastAPI()


    @app.post("/orders")
    def create_order():
        logger.info("order created")
        return {"ok": True}
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI

    logging.basicConfig(level=logging.INFO)
    logger = logging.getLogger(__name__)
    app = FastAPI()


    @app.post("/orders")
    def create_order():
        logger.info("order created")
        return {"ok": True}
    ```
    """

    code = "MED401"
    name = "logging-not-configured"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report an app that logs below WARNING with no logging configuration anywhere."""
        apps = [(rel, name) for (rel, name), obj in ctx.app.objects.items() if obj.is_app]
        if not apps or _configuring_calls(ctx) or self._configured_elsewhere(ctx):
            return
        first = self._first_info_log(ctx.project)
        if first is None:
            return
        rel, name = sorted(apps)[0]
        call = ctx.project.modules[rel].assigned_calls.get(name)
        yield self.finding(
            "The app logs at INFO but nothing configures logging; those lines are dropped",
            location=Location(rel, call.line, call.column) if call else Location(rel),
            fix="Call `logging.basicConfig(level=logging.INFO)` (or dictConfig) at startup",
            evidence={"first_info_log": f"{first[0]}:{first[1]}"},
        )

    @staticmethod
    def _first_info_log(project: Project) -> tuple[str, int] | None:
        for rel, summary in project.modules.items():
            for fn in summary.functions.values():
                for site in fn.calls:
                    head, _, tail = site.callee.rpartition(".")
                    if tail in ("info", "debug") and "log" in head.lower():
                        return rel, site.line
        return None

    @staticmethod
    def _configured_elsewhere(ctx: ProjectContext) -> bool:
        for summary in ctx.project.modules.values():
            for _, call in summary.arg_calls:
                if call.func.rpartition(".")[2] == "run" and call.kwarg("log_config") is not None:
                    return True
        root = ctx.root
        for name in ("Dockerfile", "Procfile", "Makefile", "docker-compose.yml", "compose.yaml"):
            try:
                text = (root / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "--log-config" in text or "logconfig" in text or "--log-config-file" in text:
                return True
        return any(
            (root / name).is_file() for name in ("logging.conf", "logging.ini", "logging.yaml")
        )


def _restores(level: object) -> bool:
    """``logging.disable(logging.NOTSET)`` (or 0) switches logging back on."""
    return level == 0 or (isinstance(level, Ref) and level.dotted.endswith("NOTSET"))


class LoggingDisabled(StaticRule):
    """`logging.disable()` in code the application runs.

    ## What it does
    Checks for calls of `logging.disable(...)` in modules the application imports (route
    modules and everything they import), at module level or in their functions.

    ## Why it matters
    `logging.disable(level)` silences every logger of the process at and below `level`,
    including the ones of uvicorn, SQLAlchemy and your error reporting, and it stays in
    force until someone calls `logging.disable(logging.NOTSET)`. A line added to quiet a
    noisy library or a test run ends up hiding the tracebacks of production incidents.
    Raise the level of the noisy logger instead.

    ## Example
    ```python
    import logging

    from fastapi import FastAPI

    logging.disable(logging.WARNING)
    app = FastAPI()
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI

    logging.getLogger("noisy.library").setLevel(logging.ERROR)
    app = FastAPI()
    ```
    """

    code = "MED402"
    name = "logging-disabled"
    severity = Severity.ERROR
    cause = Cause.LOGGING
    tags = frozenset({"logging"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report ``logging.disable`` in modules the app imports."""
        model = ctx.project
        for rel in sorted(ctx.app_imports):
            summary = model.modules.get(rel)
            if summary is None:
                continue
            sites = ctx.calls_of(summary)
            restoring = {
                where
                for where, call in summary.arg_calls
                if call.func.endswith("disable") and _restores(call.args[0] if call.args else None)
            }
            for fn, site in sites:
                if not site.callee.endswith("disable"):
                    continue
                if (fn.qualname if fn else None) in restoring:
                    continue  # disabled around one step and restored with NOTSET
                symbol = model.resolve_call(rel, fn, site)
                if symbol is None or symbol.external != "logging.disable":
                    continue
                yield self.finding(
                    "`logging.disable()` silences every logger of the process",
                    location=Location(rel, site.line, site.column, site.end_line, site.end_column),
                    fix="Raise the level of the one noisy logger instead",
                )


_TRACEBACK_TAILS = frozenset(
    {"exception", "aexception", "print_exc", "print_exception", "format_exc", "capture_exception"}
)


class ExceptionHandlerWithoutTraceback(StaticRule):
    """A catch-all exception handler that answers without logging the traceback.

    ## What it does
    Checks for handlers registered for `Exception` (or status 500) with
    `@app.exception_handler(...)` or `app.add_exception_handler(...)` that return a response
    without logging the exception's traceback (`logger.exception(...)`, `exc_info=`,
    `traceback.print_exc()`, `sentry_sdk.capture_exception()`).

    ## Why it matters
    Such a handler replaces Starlette's default, which logs the traceback of every
    unhandled error. With it, every 500 of the application reaches the client and nothing
    reaches the log: the error is invisible exactly when it matters.

    ## Example
    ```python
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    app = FastAPI()


    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": "Internal Server Error"})
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    logger = logging.getLogger(__name__)
    app = FastAPI()


    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error on %s", request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "Internal Server Error"})
    ```
    """

    code = "MED407"
    name = "exception-handler-without-traceback"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report catch-all handlers that never log the traceback."""
        model = ctx.project
        for rel, summary in model.modules.items():
            handlers: list[str] = []
            for fn in summary.functions.values():
                for decorator in fn.decorators:
                    value = decorator.value
                    if (
                        isinstance(value, CallRef)
                        and value.func.endswith(".exception_handler")
                        and value.args
                        and _catches_all(value.args[0])
                    ):
                        handlers.append(fn.qualname)
            for callee, call, _ in summary.wiring:
                if callee.endswith("add_exception_handler") and len(call.args) > 1:
                    target = call.args[1]
                    if _catches_all(call.args[0]) and isinstance(target, Ref):
                        symbol = model.resolve(rel, None, target.dotted)
                        if symbol is not None and symbol.kind == "function" and symbol.rel == rel:
                            handlers.append(symbol.qualname)
            for qualname in sorted(set(handlers)):
                handler = summary.functions.get(qualname)
                if handler is None or self._logs_traceback(model, summary, handler):
                    continue
                yield self.finding(
                    f"Catch-all exception handler `{handler.name}` logs no traceback",
                    location=Location(rel, handler.line, handler.column),
                    fix="Log it with `logger.exception(...)` or `exc_info=exc` before answering",
                )

    @staticmethod
    def _logs_traceback(project: Project, summary: object, fn: FunctionInfo) -> bool:
        from fastapi_medic.static.model import ModuleSummary

        if any(site.callee.rpartition(".")[2] in _TRACEBACK_TAILS for site in fn.calls):
            return True
        if not isinstance(summary, ModuleSummary):
            return False
        for site in fn.calls:  # a helper the handler calls may log it (one level down)
            symbol = project.resolve_call(summary.path, fn, site)
            if symbol is None or symbol.kind != "function":
                continue
            helper = project.function(symbol.rel, symbol.qualname)
            if helper is not None and any(
                s.callee.rpartition(".")[2] in _TRACEBACK_TAILS for s in helper.calls
            ):
                return True
        exc_names = {p.name for p in fn.params[1:2]}
        for where, _, _, _, mentions in summary.log_calls:
            if where == fn.qualname and ("exc_info" in mentions or exc_names & set(mentions)):
                return True
        # the exception handed to a helper (report(exc)) may well be logged there
        return any(
            isinstance(arg, Ref) and arg.dotted in exc_names
            for where, call in summary.arg_calls
            if where == fn.qualname
            for arg in call.args
        )


def _catches_all(value: object) -> bool:
    """``Exception``, ``BaseException``, ``500`` or ``HTTP_500_INTERNAL_SERVER_ERROR``."""
    if value == 500:
        return True
    if isinstance(value, Ref):
        tail = value.dotted.rpartition(".")[2]
        return tail in ("Exception", "BaseException", "HTTP_500_INTERNAL_SERVER_ERROR")
    return False


_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50}
_CALL_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "exception": 40}


def _level(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _LEVELS.get(value.upper())
    if isinstance(value, Ref):
        return _LEVELS.get(value.dotted.rpartition(".")[2])
    return None


class LoggerCannotEmit(StaticRule):
    """A logger whose own calls can never be written.

    ## What it does
    Checks for loggers, in one module, set to `propagate = False` without any handler
    added to them, and loggers given a level (`logger.setLevel(logging.WARNING)`) above the
    level of the calls the module makes on them (`logger.info(...)`). Only levels set
    unconditionally at module level are judged; a level chosen in a function or a branch
    may be one of several.

    ## Why it matters
    A logger that does not propagate and has no handler of its own drops every record
    (Python's last-resort handler only prints warnings and above, to stderr). A level set
    above the calls silently filters them. Either way the messages someone wrote to
    diagnose production never appear, and nothing says so.

    ## Example
    ```python
    import logging

    from fastapi import FastAPI

    logger = logging.getLogger("orders")
    logger.propagate = False
    app = FastAPI()


    @app.post("/orders")
    def create_order():
        logger.info("order created")
        return {"ok": True}
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI

    logger = logging.getLogger("orders")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler())
    app = FastAPI()


    @app.post("/orders")
    def create_order():
        logger.info("order created")
        return {"ok": True}
    ```
    """

    code = "MED408"
    name = "logger-cannot-emit"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report loggers that drop their own module's calls."""
        for rel, summary in ctx.project.modules.items():
            calls = [site for _, site in ctx.calls_of(summary)]
            handled = {
                c.callee.rpartition(".")[0] for c in calls if c.callee.endswith(".addHandler")
            }
            for owner, line, column in summary.propagate_off:
                if owner in handled:
                    continue
                used = [c for c in calls if c.callee.rpartition(".")[0] == owner]
                if not any(c.callee.rpartition(".")[2] in _CALL_LEVELS for c in used):
                    continue
                yield self.finding(
                    f"`{owner}` does not propagate and has no handler: its records are lost",
                    location=Location(rel, line, column),
                    fix=f"Add a handler to `{owner}`, or let it propagate to the root logger",
                )
            for where, call in summary.arg_calls:
                receiver, _, method = call.func.rpartition(".")
                if method != "setLevel" or not receiver or not call.args:
                    continue
                if where is not None or any(
                    start <= call.line <= end for start, end in summary.conditional_blocks
                ):
                    continue  # set in a function or a branch: other levels are possible
                level = _level(call.args[0])
                if level is None:
                    continue
                below = [
                    c
                    for c in calls
                    if c.callee.rpartition(".")[0] == receiver
                    and _CALL_LEVELS.get(c.callee.rpartition(".")[2], 100) < level
                ]
                if not below:
                    continue
                first = min(below, key=lambda c: c.line)
                method = first.callee.rpartition(".")[2]
                yield self.finding(
                    f"`{receiver}` is set above its own `.{method}()` calls",
                    location=Location(rel, call.line, call.column),
                    fix="Lower the level, or log those messages at the level you keep",
                    evidence={"filtered_calls": len(below), "first_filtered_line": first.line},
                )
