"""MED4xx: errors that never reach the logs."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["ExceptionSwallowedInRequest", "PrintInRequestPath"]


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
