"""MED401, MED405, MED409: where and whether logging is configured."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import ModuleSummary
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["LoggingConfiguredAtImport", "LoggingNotConfigured", "RootHandlerAddedAtImport"]


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
    `structlog.configure`, no `loguru` sink, no `log_config=` passed to `uvicorn.run` or
    `uvicorn.Config`, and no `--log-config` in the start commands the project ships.

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
                tail = call.func.rpartition(".")[2]
                # present at all: `log_config=LOGGING if json else None` still configures
                if tail in ("run", "Config") and any(k == "log_config" for k, _ in call.kwargs):
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


class RootHandlerAddedAtImport(StaticRule):
    """A handler added to the root logger when a library module is imported.

    ## What it does
    Checks for `logging.getLogger().addHandler(...)`, `logging.root.addHandler(...)` and
    the same call on a module-level name bound to the root logger, at module level in a
    module that the application imports but that is not where the process starts (a
    router, a service, a helper). Calls under `if __name__ == "__main__":` are left out.

    ## Why it matters
    Every record of the process, uvicorn's and the libraries' included, goes through the
    root logger's handlers. A handler that a router adds on import sits next to the one the
    entrypoint or `--log-config` installs, so each line is written twice, in two formats, or
    goes to a stream or file nobody reads; importing the module twice (a reload, a test)
    adds it again. Configure handlers once, where the process starts, and let modules only
    create their own named loggers.

    ## Example
    ```python
    import logging

    from fastapi import APIRouter

    logging.getLogger().addHandler(logging.StreamHandler())
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

    code = "MED409"
    name = "root-handler-at-import"
    severity = Severity.WARNING
    cause = Cause.LOGGING
    tags = frozenset({"logging", "imports"})
    preview = True
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level handlers added to the root logger outside the entry modules."""
        model = ctx.project
        entries = _entry_modules(ctx)
        for rel in sorted(ctx.app_imports - entries):
            summary = model.modules.get(rel)
            if summary is None:
                continue
            for kind, name, line, column in summary.module_handlers:
                if any(start <= line <= end for start, end in summary.main_blocks):
                    continue
                if not _is_root_logger(model, summary, kind, name):
                    continue
                yield self.finding(
                    "Handler added to the root logger when this module is imported",
                    location=Location(rel, line, column),
                    fix="Add handlers once, in the entrypoint's logging setup",
                )


def _is_root_logger(model: Project, summary: ModuleSummary, kind: str, name: str) -> bool:
    """Whether the receiver of a module-level ``addHandler`` is the root logger."""
    rel = summary.path
    if kind == "getLogger":  # getLogger().addHandler(...): the walk checked the arguments
        symbol = model.resolve(rel, None, name)
        return symbol is not None and symbol.external == "logging.getLogger"
    symbol = model.resolve(rel, None, name)
    if symbol is not None and symbol.external == "logging.root":
        return True
    call = summary.assigned_calls.get(name)  # root = logging.getLogger()
    if call is None or call.kwargs or len(call.args) > 1:
        return False
    if call.args and call.args[0] not in (None, "", "root"):
        return False
    getter = model.resolve(rel, None, call.func)
    return getter is not None and getter.external == "logging.getLogger"
