"""MED5xx: import cycles and layers (routers -> services -> repositories -> models)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Frame, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.imports import cycles, shared_edges
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["AppImportedByItsModules", "ImportCycle", "LayerViolation", "SideEffectAtImport"]


#: The default layers, top to bottom, recognised by folder or module name.
DEFAULT_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("routers", ("routers", "routes", "api", "endpoints", "views", "controllers")),
    ("services", ("services", "service", "use_cases", "usecases")),
    ("repositories", ("repositories", "repository", "repos", "crud", "dal")),
    ("models", ("models", "schemas", "entities")),
)


class ImportCycle(StaticRule):
    """Modules that import each other at module level.

    ## What it does
    Checks for loops in the module-level imports between the project's modules (imports
    under `TYPE_CHECKING` and inside functions are left out). Each loop is reported once,
    with its full path and the import that is cheapest to break. When a
    `from module import name` in the loop asks for a function or class that its module
    defines below the import that started the loop, the loop fails at import time with
    "cannot import name ... (most likely due to a circular import)" and the finding is an
    error; otherwise it is a warning about coupling.

    ## Why it matters
    Whether a loop fails depends on which module is imported first, so it shows up only in
    production, a worker, a test or a script that enters the loop elsewhere: "partially
    initialized module" at start-up. Even a loop that works couples the modules so that
    neither can be changed or tested alone.

    ## Example
    ```python
    # app/services.py
    from app.repository import save


    def place_order() -> None:
        save()


    def notify() -> None:
        pass
    ```

    Use instead:
    ```python
    # app/services.py: the repository no longer imports the services
    from app.repository import save


    def place_order() -> None:
        save()
    ```
    """

    code = "MED501"
    name = "import-cycle"
    severity = Severity.WARNING
    cause = Cause.IMPORT_ERROR
    tags = frozenset({"imports", "architecture"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report each import loop once, at its cheapest edge."""
        for cycle in cycles(ctx.project, shared_edges(ctx)):
            edge = cycle.cheapest
            fails = cycle.failure is not None
            chain = [Frame(f"import {e.target}", e.source, e.line) for e in cycle.edges]
            yield self.finding(
                ("Import cycle fails at import: " if fails else "Import cycle: ")
                + f"{len(cycle.edges)} modules",
                location=Location(edge.source, edge.line, edge.column),
                fix=f"Break it here: move this import of {edge.target} into the function "
                "that uses it, or move the shared code to a lower module",
                chain=chain,
                severity=Severity.ERROR if fails else None,
                evidence={"path": cycle.path, "fails": cycle.failure},
            )


Layers = tuple[tuple[str, tuple[str, ...]], ...]


def _within(path: str, prefix: str) -> bool:
    """``prefix`` names ``path`` or a package above it, at any depth (src layouts)."""
    return f"/{path}/".find(f"/{prefix}/") >= 0


def _layer_of(rel: str, layers: Layers) -> tuple[int, str] | None:
    """(layer position, anchor) of a module, or None when it is in no layer.

    A pattern with a dot or a slash (`app.routers`, `app/api`) names a package: every module
    under it is in that layer, and the anchor is empty. A plain name (`services`) matches the
    first component of the module's path, from the package root, that carries it; the anchor
    is the folder holding that component, and only modules with the same anchor are compared:
    `pkg/api` and `pkg/services` are sibling layers, `pkg/tools/api` is not their `api`.
    """
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    path = "/".join(parts)
    for position, (_, names) in enumerate(layers):
        for pattern in names:
            if ("." in pattern or "/" in pattern) and _within(
                path, pattern.replace(".", "/").strip("/")
            ):
                return position, ""
    # a module's own name counts only at the top of its package (`app/models.py`): deeper,
    # `api.py` or `services.py` are usually a helper's names, not the application's layers
    folders = parts if rel.endswith("/__init__.py") or len(parts) <= 2 else parts[:-1]
    for index, part in enumerate(folders):
        for position, (_, names) in enumerate(layers):
            if part in names:
                return position, "/".join(parts[:index])
    return None


class LayerViolation(StaticRule):
    """A lower layer importing a higher one.

    ## What it does
    Checks for imports that go up the layers: by default routers (`routers`, `api`,
    `endpoints`, `views`) above services (`services`, `use_cases`) above repositories
    (`repositories`, `repos`, `crud`, `dal`) above models (`models`, `schemas`,
    `entities`). A module's layer is the first folder on its path, from the package root,
    with such a name, or, at the top of its package, its own name (`app/models.py`); a
    `models` package inside `services` belongs to the services. Only sibling layers are
    compared: `app/api` and `app/services` are, but an `api` package inside an integration
    (`app/integrations/slack/api`) or deeper in a helper package is not the app's `api`. A
    repository importing a router, or a model importing a service, is reported with its
    import line.

    ## Why it matters
    Upward imports are how import cycles start, and they tie the data layer to HTTP
    details: the repository can no longer be used by a worker or a script without
    importing FastAPI routes, and a change in a route breaks the database code.

    ## Example
    ```python
    # app/repositories/orders.py
    from app.routers.products import PRICE_FIELDS


    def fields() -> list[str]:
        return list(PRICE_FIELDS)
    ```

    Use instead:
    ```python
    # app/repositories/orders.py: the constant moves down to app/models
    from app.models import PRICE_FIELDS


    def fields() -> list[str]:
        return list(PRICE_FIELDS)
    ```

    ## Options
    - `layers`: the layers, top to bottom, replacing the default. A plain name (`routers`)
      matches folders as above; a dotted or slashed pattern (`app.routers`, `app/api`)
      puts every module of that package in the layer, wherever it sits.
    """

    code = "MED502"
    name = "layer-violation"
    severity = Severity.WARNING
    cause = Cause.IMPORT_ERROR
    tags = frozenset({"imports", "architecture"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report imports from a lower layer into a higher one."""
        layers = ctx.config.layers or DEFAULT_LAYERS
        for source, edges in shared_edges(ctx).items():
            placed = _layer_of(source, layers)
            if placed is None:
                continue
            low, anchor = placed
            for edge in edges:
                target = _layer_of(edge.target, layers)
                if target is None or target[1] != anchor or target[0] >= low:
                    continue
                high = target[0]
                yield self.finding(
                    f"{layers[low][0]} module imports {layers[high][0]} module {edge.target}",
                    location=Location(source, edge.line, edge.column),
                    fix=f"Move what {source} needs into the {layers[low][0]} layer or below",
                )


class AppImportedByItsModules(StaticRule):
    """A module of the app importing the module that creates the app.

    ## What it does
    Checks for project modules that import, at module level, the module where the
    `FastAPI()` app is created (`from app.main import app` in a router or service).

    ## Why it matters
    The app module imports the routers to include them; a router that imports the app
    module back closes a loop that fails depending on which module is imported first, and
    it usually wants the app only for settings or state that a dependency
    (`request.app.state`) provides without the import.

    ## Example
    ```python
    # app/routers/items.py
    from fastapi import APIRouter

    from app.main import app

    router = APIRouter()


    @router.get("/items")
    def items():
        return {"debug": app.debug}
    ```

    Use instead:
    ```python
    # app/routers/items.py
    from fastapi import APIRouter, Request

    router = APIRouter()


    @router.get("/items")
    def items(request: Request):
        return {"debug": request.app.debug}
    ```
    """

    code = "MED503"
    name = "app-imported-by-its-modules"
    severity = Severity.WARNING
    cause = Cause.IMPORT_ERROR
    tags = frozenset({"imports", "architecture"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level imports of an app module from route or library modules."""
        app_modules = {
            rel for (rel, name), obj in ctx.app.objects.items() if obj.is_app and ":" not in name
        }
        if not app_modules:
            return
        route_modules = {route.rel for route in ctx.app.routes}
        for source, edges in shared_edges(ctx).items():
            if source in app_modules or source not in route_modules:
                continue
            for edge in edges:
                if edge.target in app_modules:
                    yield self.finding(
                        f"Route module imports the app module {edge.target}",
                        location=Location(source, edge.line, edge.column),
                        fix="Use `request.app` (or a dependency) instead of importing the app",
                    )


#: Blocking kinds that reach another system: at import they slow start-up or crash it.
_REMOTE = (
    "HTTP request",
    "database driver",
    "sync SQLAlchemy session",
    "sync SQLAlchemy engine",
    "cloud SDK call",
    "SMTP",
    "socket I/O",
)


class SideEffectAtImport(StaticRule):
    """Network calls, database queries or `create_all()` when a module is imported.

    ## What it does
    Checks for module-level HTTP requests, database connections and queries, cloud SDK
    calls and `metadata.create_all()` in modules the application imports (route modules
    and everything they import), outside `if __name__ == "__main__":`.

    ## Why it matters
    Importing the app then needs the network and the database: the worker cannot start
    (or crashes in a loop) when the database is slow or down, every test and script pays
    the call, and several workers race to create tables at the same moment. A module-level
    engine is fine (it connects lazily); doing the work is not. Move it to the lifespan
    handler, a migration, or the first request that needs it.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import DeclarativeBase


    class Base(DeclarativeBase):
        pass


    engine = create_engine("postgresql://app@db/app")
    Base.metadata.create_all(engine)
    app = FastAPI()
    ```

    Use instead:
    ```python
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from sqlalchemy import create_engine
    from sqlalchemy.orm import DeclarativeBase


    class Base(DeclarativeBase):
        pass


    engine = create_engine("postgresql://app@db/app")


    @asynccontextmanager
    async def lifespan(app: FastAPI):
        Base.metadata.create_all(engine)
        yield


    app = FastAPI(lifespan=lifespan)
    ```
    """

    code = "MED504"
    name = "side-effect-at-import"
    severity = Severity.WARNING
    cause = Cause.IMPORT_ERROR
    tags = frozenset({"imports"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report module-level remote calls and table creation in modules the app imports."""
        model = ctx.project
        catalogue = ctx.blocking
        for rel in sorted(ctx.app_imports):
            summary = model.modules.get(rel)
            if summary is None:
                continue
            for site in summary.module_calls:
                if any(start <= site.line <= end for start, end in summary.main_blocks):
                    continue
                if site.callee.endswith("metadata.create_all"):
                    what = "`metadata.create_all()`"
                else:
                    symbol = model.resolve_call(rel, None, site)
                    if symbol is None or symbol.kind != "external":
                        continue
                    kind = catalogue.match(symbol.external)
                    if kind is None or kind.label not in _REMOTE:
                        continue
                    what = f"`{symbol.external}`"
                yield self.finding(
                    f"{what} runs when the module is imported",
                    location=Location(rel, site.line, site.column, site.end_line, site.end_column),
                    fix="Move it to the lifespan handler, a migration, or first use",
                )
