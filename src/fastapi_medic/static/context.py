"""What project-wide rules receive: the project, the FastAPI model, configuration."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from fastapi_medic.config import Config
from fastapi_medic.findings import Frame
from fastapi_medic.static.callgraph import AsyncCall, CallGraph
from fastapi_medic.static.catalog_blocking import BlockingCatalogue, default_catalogue
from fastapi_medic.static.fastapi_model import AppModel, build_app_model
from fastapi_medic.static.model import CallRef, CallSite, FunctionInfo, ModuleSummary
from fastapi_medic.static.project import Project

__all__ = ["ProjectContext"]


class ProjectContext:
    """Shared, lazily computed views of the project for ``check_project`` rules."""

    def __init__(self, project: Project, config: Config, root: Path | None = None) -> None:
        self.project = project
        self.config = config
        self.root = root if root is not None else config.root
        #: results several rules share (import graph, logging set-up), computed once
        self.shared: dict[str, object] = {}

    @cached_property
    def app(self) -> AppModel:
        """Apps, routers, routes and dependency trees."""
        return build_app_model(self.project)

    @cached_property
    def blocking(self) -> BlockingCatalogue:
        """The blocking-call catalogue with the configured additions and removals."""
        return default_catalogue(self.config.blocking_extend, self.config.blocking_remove)

    def route_label(self, rel: str, fn: FunctionInfo) -> str | None:
        """``GET /orders`` when the function is a route endpoint, else None."""
        routes = self.app.routes_of(rel, fn.qualname)
        return routes[0].label if routes else None

    @cached_property
    def async_calls(self) -> list[AsyncCall]:
        """Blocking calls on the event loop, direct or through the call graph.

        Functions that only run at start-up or shutdown (lifespan, startup handlers, and
        what they call) are left out: blocking there delays start-up, not requests.
        """
        calls = CallGraph(self.project, self.blocking).async_calls()
        startup = self.startup_only
        return [c for c in calls if (c.rel, c.function.qualname) not in startup]

    @cached_property
    def startup_only(self) -> frozenset[tuple[str, str]]:
        """Functions reachable from lifespan and startup/shutdown handlers, and not from
        requests."""
        from fastapi_medic.static.callgraph import reachable
        from fastapi_medic.static.lifecycle import lifespan_functions

        roots = lifespan_functions(self.project, self.app)
        if not roots:
            return frozenset()
        return reachable(self.project, roots) - self.request_reachable

    @cached_property
    def dependency_functions(self) -> frozenset[tuple[str, str]]:
        """(module, qualname) of every function used as a dependency of some route.

        A class used as a dependency contributes its ``__init__``: FastAPI injects its
        parameters the same way.
        """
        found: set[tuple[str, str]] = set()
        for route in self.app.routes:
            for top in route.dependencies:
                for dep in top.walk():
                    symbol = dep.symbol
                    if symbol is None:
                        continue
                    if symbol.kind == "function":
                        found.add((symbol.rel, symbol.qualname))
                    elif symbol.kind == "class" and not symbol.instance:
                        for owner, info in self.project.mro(symbol.rel, symbol.qualname):
                            init = info.methods.get("__init__")
                            if init is not None:
                                found.add((owner, init))
                                break
        return frozenset(found)

    @cached_property
    def imported_tops(self) -> frozenset[str]:
        """The top-level names of every module the project imports (``sqlalchemy``, ...)."""
        return frozenset(
            imp.module.partition(".")[0]
            for summary in self.project.modules.values()
            for imp in summary.imports
            if not imp.level
        )

    def imports_any(self, *tops: str) -> bool:
        """True when some module imports one of these top-level packages."""
        return not self.imported_tops.isdisjoint(tops)

    @cached_property
    def route_modules(self) -> frozenset[str]:
        """Modules that declare routes or create apps and routers."""
        modules = {route.rel for route in self.app.routes}
        modules.update(rel for rel, _ in self.app.objects)
        return frozenset(modules)

    @cached_property
    def app_imports(self) -> frozenset[str]:
        """The route modules and every project module they import at module level."""
        if not self.route_modules:
            return frozenset()
        return frozenset(self.project.import_closure(self.route_modules))

    @staticmethod
    def calls_of(summary: ModuleSummary) -> list[tuple[FunctionInfo | None, CallSite]]:
        """Every call of a module with its function: module level first, then functions."""
        sites: list[tuple[FunctionInfo | None, CallSite]] = [
            (None, site) for site in summary.module_calls
        ]
        sites += [(fn, site) for fn in summary.functions.values() for site in fn.calls]
        return sites

    @cached_property
    def endpoints(self) -> frozenset[tuple[str, str]]:
        """(module, qualname) of every route endpoint."""
        return frozenset((route.rel, route.qualname) for route in self.app.routes)

    @cached_property
    def request_reachable(self) -> frozenset[tuple[str, str]]:
        """Functions that run while a request is handled: endpoints, dependencies, and the
        project functions they call (a few levels down)."""
        from fastapi_medic.static.callgraph import reachable

        return reachable(self.project, self.endpoints | self.dependency_functions | self.hooks)

    @cached_property
    def hooks(self) -> frozenset[tuple[str, str]]:
        """Middleware functions and exception handlers registered with decorators."""
        found: set[tuple[str, str]] = set()
        for rel, summary in self.project.modules.items():
            for fn in summary.functions.values():
                for decorator in fn.decorators:
                    value = decorator.value
                    if isinstance(value, CallRef) and value.func.endswith(
                        (".middleware", ".exception_handler")
                    ):
                        found.add((rel, fn.qualname))
        return frozenset(found)

    @staticmethod
    def frame(rel: str, fn: FunctionInfo, line: int | None = None) -> Frame:
        """A chain frame for a function (at ``line``, or its definition)."""
        return Frame(fn.qualname, rel, line if line is not None else fn.line)
