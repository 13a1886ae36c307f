"""MED402-404, MED407, MED408: errors and records that never reach the logs."""

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
    "LoggingDisabled",
    "PrintInRequestPath",
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
                    continue  # a T201 noqa comment: Ruff's print rule was silenced on purpose here
                symbol = model.resolve_call(rel, fn, site)
                if symbol is None or symbol.external != "print":
                    continue
                yield self.finding(
                    f"`print()` in request code (`{fn.name}`) bypasses logging",
                    location=Location(rel, site.line, site.column, site.end_line, site.end_column),
                    fix="Use a module logger: `logging.getLogger(__name__)`",
                    subject=ctx.route_label(rel, fn),
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
