"""MED3xx, settings: configuration read when a module is imported instead of when the app
starts."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["EnvironmentReadAtImport", "SettingsInRouteModule"]

_BASE_SETTINGS = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
    }
)


class EnvironmentReadAtImport(StaticRule):
    """A required environment variable read when a module is imported.

    ## What it does
    Checks for `os.environ["NAME"]` at module level in modules the application imports
    (route modules and everything they import from the project).

    ## Why it matters
    The lookup runs on import: when the variable is missing, the process dies with a
    `KeyError` before uvicorn logs anything useful, and the same happens to every test,
    script and migration that imports the module. The value is also frozen before tests or
    the lifespan handler could set it. Reads with a default (`os.getenv("X", "dev")`) and a
    module-level engine built once from a URL are not reported.

    ## Example
    ```python
    import os

    from fastapi import FastAPI

    API_TOKEN = os.environ["PAYMENTS_API_TOKEN"]
    app = FastAPI()


    @app.get("/ping")
    def ping():
        return {"configured": bool(API_TOKEN)}
    ```

    Use instead:
    ```python
    import os
    from functools import lru_cache

    from fastapi import FastAPI

    app = FastAPI()


    @lru_cache
    def api_token() -> str:
        return os.environ["PAYMENTS_API_TOKEN"]


    @app.get("/ping")
    def ping():
        return {"configured": bool(api_token())}
    ```
    """

    code = "MED303"
    name = "environment-read-at-import"
    severity = Severity.WARNING
    cause = Cause.CONFIG
    tags = frozenset({"settings"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level ``os.environ[...]`` in modules the app imports."""
        model = ctx.project
        if not any(summary.env_reads for summary in model.modules.values()):
            return
        imported = ctx.app_imports
        for rel in sorted(imported):
            summary = model.modules.get(rel)
            if summary is None:
                continue
            for base, key, line, column in summary.env_reads:
                symbol = model.resolve(rel, None, base)
                if symbol is None or symbol.external != "os.environ":
                    continue
                name = f'"{key}"' if key else "..."
                yield self.finding(
                    f"`os.environ[{name}]` at import: a missing variable crashes the start",
                    location=Location(rel, line, column),
                    fix="Read it in an `lru_cache` getter or a settings object built at startup",
                    subject=f"env {key}" if key else None,
                )


class SettingsInRouteModule(StaticRule):
    """A settings object built at import in a module that declares routes.

    ## What it does
    Checks for `settings = Settings()` at module level in modules that declare routes,
    where `Settings` is a `pydantic-settings` `BaseSettings` subclass or a project class named
    `...Settings`.

    ## Why it matters
    The settings are read from the environment the moment the router is imported: before
    a test can override them, before `.env` loading in the lifespan handler, and once per
    import path. Route handlers then see values that differ from what the app was started
    with, and `app.dependency_overrides` cannot replace them. A cached getter injected with
    `Depends(get_settings)` reads them once, at the right time, and can be overridden.

    ## Example
    ```python
    from fastapi import APIRouter
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        page_size: int = 50


    router = APIRouter()
    settings = Settings()


    @router.get("/items")
    def items():
        return {"page_size": settings.page_size}
    ```

    Use instead:
    ```python
    from functools import lru_cache
    from typing import Annotated

    from fastapi import APIRouter, Depends
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        page_size: int = 50


    @lru_cache
    def get_settings() -> Settings:
        return Settings()


    router = APIRouter()


    @router.get("/items")
    def items(settings: Annotated[Settings, Depends(get_settings)]):
        return {"page_size": settings.page_size}
    ```
    """

    code = "MED304"
    name = "settings-in-route-module"
    severity = Severity.WARNING
    cause = Cause.CONFIG
    tags = frozenset({"settings", "dependencies"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level settings objects in modules with routes."""
        model = ctx.project
        for rel in sorted(ctx.route_modules):
            summary = model.modules.get(rel)
            if summary is None:
                continue
            for name, call in summary.assigned_calls.items():
                if ":" in name or call.args or call.kwargs:
                    continue
                symbol = model.resolve(rel, None, call.func)
                if (
                    symbol is None
                    or symbol.kind != "class"
                    or not self._is_settings(ctx, symbol.rel, symbol.qualname)
                ):
                    continue
                yield self.finding(
                    f"`{name} = {call.func}()` reads the settings when the router is imported",
                    location=Location(rel, call.line, call.column),
                    fix="Inject them with `Depends(get_settings)` from an `lru_cache` getter",
                )

    @staticmethod
    def _is_settings(ctx: ProjectContext, rel: str, qualname: str) -> bool:
        if qualname.rpartition(".")[2].endswith("Settings"):
            return True
        for owner, info in ctx.project.mro(rel, qualname):
            for base in info.bases:
                resolved = ctx.project.resolve(owner, None, base)
                if resolved is not None and resolved.external in _BASE_SETTINGS:
                    return True
        return False
