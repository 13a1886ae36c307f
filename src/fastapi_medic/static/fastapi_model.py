"""Recognises FastAPI applications, routers, routes and dependency trees in a project.

Apps and routers come from :mod:`.app_objects`. Routes come from the decorators and
``add_api_route`` calls that register them on an object; the full path of each route is every
prefix on the way down from an app through ``include_router`` and ``mount``, and its
dependencies are those declared on the way plus the endpoint's own (:mod:`.dependency_tree`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from fastapi_medic.static.app_objects import (
    INCLUDES,
    WIRING_METHODS,
    Include,
    ObjectIndex,
    ObjectKey,
    RouterObject,
    child_arguments,
)
from fastapi_medic.static.dependency_tree import Declared, Dependency, DependencyResolver
from fastapi_medic.static.model import CallRef, FunctionInfo, ModuleSummary, Ref
from fastapi_medic.static.project import Project

__all__ = [
    "ROUTE_METHODS",
    "AppModel",
    "Declared",
    "Dependency",
    "Include",
    "Route",
    "RouterObject",
    "build_app_model",
]

ROUTE_METHODS = {
    "get": ("GET",),
    "post": ("POST",),
    "put": ("PUT",),
    "patch": ("PATCH",),
    "delete": ("DELETE",),
    "options": ("OPTIONS",),
    "head": ("HEAD",),
    "trace": ("TRACE",),
    "websocket": ("WEBSOCKET",),
    "websocket_route": ("WEBSOCKET",),
    "api_route": ("GET",),
    "route": ("GET",),
}
_LISTS_METHODS = frozenset({"api_route", "route", "add_api_route"})
_MAX_POINTS = 32  # places one object is reachable at; more is a combinatorial accident

MountPoint = tuple[str, tuple[Declared, ...], bool]  # (prefix, inherited dependencies, mounted)


@dataclass
class Route:
    """A route with its full path, methods, endpoint and dependencies."""

    methods: tuple[str, ...]
    path: str
    rel: str
    qualname: str
    line: int
    router: ObjectKey
    mounted: bool
    dependencies: list[Dependency] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``GET /items/{id}``."""
        return f"{','.join(self.methods)} {self.path}"


@dataclass
class AppModel:
    """Every app, router and route of a project."""

    objects: dict[ObjectKey, RouterObject]
    routes: list[Route]
    by_endpoint: dict[tuple[str, str], list[Route]]

    def routes_of(self, rel: str, qualname: str) -> list[Route]:
        """The routes whose endpoint is the function ``qualname`` in ``rel``."""
        return self.by_endpoint.get((rel, qualname), [])

    def counts(self) -> tuple[int, int]:
        """(apps, routers) the code creates; a parameter that receives one is not another."""
        created = [obj for obj in self.objects.values() if not obj.parameter]
        apps = sum(1 for obj in created if obj.is_app)
        return apps, len(created) - apps


class _RawRoute(NamedTuple):
    """A route as registered on its object, before prefixes and dependency trees."""

    router: ObjectKey
    methods: tuple[str, ...]
    path: str
    rel: str
    qualname: str
    line: int
    dependencies: tuple[Declared, ...]


def build_app_model(project: Project) -> AppModel:
    """Find every app, router, route and dependency tree of ``project``."""
    index = ObjectIndex(project)
    index.find()
    collector = _Collector(project, index)
    for rel, summary in project.modules.items():
        collector.decorated_routes(rel, summary)
        collector.wiring(rel, summary)
    raw_routes = collector.raw_routes
    index.prune({raw.router for raw in raw_routes})
    return _assemble(project, index.objects, raw_routes)


class _Collector:
    """Reads the routes and include edges of each module."""

    def __init__(self, project: Project, index: ObjectIndex) -> None:
        self.project = project
        self.index = index
        self.raw_routes: list[_RawRoute] = []

    def decorated_routes(self, rel: str, summary: ModuleSummary) -> None:
        """Routes of ``@router.get(...)``-style decorators."""
        index = self.index
        for fn in summary.functions.values():
            for decorator in fn.decorators:
                value = decorator.value
                if not isinstance(value, CallRef):
                    continue
                receiver, _, method = value.func.rpartition(".")
                if method not in ROUTE_METHODS or not receiver:
                    continue
                where = summary.functions.get(fn.parent) if fn.parent else None
                key = index.object_key(rel, where, receiver)
                if key is None:
                    continue
                path = value.args[0] if value.args else value.kwarg("path")
                self.raw_routes.append(
                    _RawRoute(
                        key,
                        self._methods(rel, where, value, method),
                        index.text(rel, where, path),
                        rel,
                        fn.qualname,
                        fn.line,
                        index.declared(rel, where, value.kwarg("dependencies"), "decorator"),
                    )
                )

    def wiring(self, rel: str, summary: ModuleSummary) -> None:
        """Include edges (``include_router``, ``mount``) and ``add_api_route`` routes."""
        index = self.index
        for callee, call, where_name in summary.wiring:
            receiver, _, method = callee.rpartition(".")
            if method not in WIRING_METHODS or not receiver:
                continue
            where = summary.functions.get(where_name) if where_name else None
            parent = index.object_key(rel, where, receiver)
            if parent is None:
                continue
            if method not in INCLUDES:
                self._added_route(rel, where, parent, method, call)
                continue
            if method == "mount":
                path = call.args[0] if call.args else call.kwarg("path")
                prefix = index.text(rel, where, path)
                declared: tuple[Declared, ...] = ()
            else:
                prefix = index.text(rel, where, call.kwarg("prefix"))
                declared = index.declared(rel, where, call.kwarg("dependencies"), "router")
            kind = "mount" if method == "mount" else "include"
            for child in child_arguments(method, call):
                for key in index.children(rel, where, child):
                    index.include(parent, Include(key, prefix, declared, kind, rel, call.line))

    def _added_route(
        self, rel: str, where: FunctionInfo | None, parent: ObjectKey, method: str, call: CallRef
    ) -> None:
        """A route of ``add_api_route(path, endpoint, ...)`` or ``add_api_websocket_route``."""
        path = call.args[0] if call.args else call.kwarg("path")
        endpoint = call.args[1] if len(call.args) > 1 else call.kwarg("endpoint")
        if isinstance(endpoint, Ref):
            target = self.project.resolve(rel, where, endpoint.dotted)
        elif isinstance(endpoint, CallRef):  # add_api_route("/x", make_handler(runner))
            target = self.project.closure(self.project.resolve(rel, where, endpoint.func))
        else:
            return
        if target is None or target.kind != "function":
            return
        if method == "add_api_websocket_route":
            methods: tuple[str, ...] = ("WEBSOCKET",)
        else:
            methods = self._methods(rel, where, call, "add_api_route")
        target_fn = self.project.function(target.rel, target.qualname)
        self.raw_routes.append(
            _RawRoute(
                parent,
                methods,
                self.index.text(rel, where, path),
                target.rel,
                target.qualname,
                target_fn.line if target_fn else call.line,
                self.index.declared(rel, where, call.kwarg("dependencies"), "decorator"),
            )
        )

    def _methods(
        self, rel: str, where: FunctionInfo | None, call: CallRef, decorator: str
    ) -> tuple[str, ...]:
        if decorator not in _LISTS_METHODS:
            return ROUTE_METHODS[decorator]
        listed = call.kwarg("methods")
        if listed is None:
            return ("GET",)
        names = tuple(
            item.upper()
            for _, _, item in self.index.elements(rel, where, listed)
            if isinstance(item, str)
        )
        return names or (self.index.text(rel, where, listed),)


def _assemble(
    project: Project, objects: dict[ObjectKey, RouterObject], raw_routes: list[_RawRoute]
) -> AppModel:
    """One route per place its object is reachable at, with its dependency tree."""
    points = _mount_points(objects)
    resolver = DependencyResolver(project)
    routes: list[Route] = []
    seen: set[tuple[int, str]] = set()
    for number, raw in enumerate(raw_routes):
        own_prefix = objects[raw.router].prefix
        for prefix, inherited, mounted in points[raw.router]:
            path = prefix + own_prefix + raw.path or "/"
            if (number, path) in seen:
                continue  # reached twice the same way (a router included twice)
            seen.add((number, path))
            route = Route(raw.methods, path, raw.rel, raw.qualname, raw.line, raw.router, mounted)
            route.dependencies = resolver.route(
                raw.rel, raw.qualname, (*inherited, *raw.dependencies)
            )
            routes.append(route)
    routes.sort(key=lambda r: (r.path, r.methods, r.rel, r.line))
    by_endpoint: dict[tuple[str, str], list[Route]] = {}
    for route in routes:
        by_endpoint.setdefault((route.rel, route.qualname), []).append(route)
    return AppModel(objects, routes, by_endpoint)


def _mount_points(objects: dict[ObjectKey, RouterObject]) -> dict[ObjectKey, list[MountPoint]]:
    """For each object: the path prefixes it is reachable at, with the dependencies it inherits.

    FastAPI copies an included router's routes, so the full path is the concatenation of every
    prefix on the way down from an app, and dependencies accumulate the same way; a mounted
    sub-application keeps only its own dependencies.
    """
    points: dict[ObjectKey, list[MountPoint]] = {}
    children = {include.child for obj in objects.values() for include in obj.includes}

    def visit(
        key: ObjectKey,
        prefix: str,
        inherited: tuple[Declared, ...],
        seen: frozenset[ObjectKey],
        mounted: bool,
    ) -> None:
        obj = objects[key]
        mine = points.setdefault(key, [])
        if len(mine) >= _MAX_POINTS or (not mounted and any(point[2] for point in mine)):
            return  # an app already reaches it: the orphan parent adds nothing
        own = (*inherited, *obj.dependencies)
        mine.append((prefix, own, mounted))
        for include in obj.includes:
            if include.child in seen or include.child not in objects:
                continue
            if include.kind == "mount":
                passed: tuple[Declared, ...] = ()
            else:
                passed = (*own, *include.dependencies)
            child_prefix = prefix + obj.prefix + include.prefix
            visit(include.child, child_prefix, passed, seen | {include.child}, mounted)

    for key, obj in objects.items():
        if obj.is_app and key not in children:
            visit(key, "", (), frozenset({key}), True)
    # Routers no app reaches: their paths still carry the prefixes of their own parents.
    for key in objects:
        if key not in points and key not in children:
            visit(key, "", (), frozenset({key}), False)
    for key, obj in objects.items():
        if key not in points:
            points[key] = [("", obj.dependencies, False)]  # only in a cycle of includes
    return points
