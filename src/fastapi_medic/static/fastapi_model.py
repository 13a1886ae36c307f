"""Recognises FastAPI applications, routers, routes and dependency trees in a project.

Apps and routers are found where they are created (module level or inside an app factory),
routes from the decorators and ``add_api_route`` calls that register them, and the full path
of each route by following ``include_router`` / ``mount`` from every app.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from fastapi_medic.static.model import CallRef, FunctionInfo, Param, Ref, SimpleValue
from fastapi_medic.static.project import Project, Symbol

__all__ = ["AppModel", "Dependency", "Route", "RouterObject", "build_app_model"]

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
    "api_route": ("GET",),
    "route": ("GET",),
}
_APP_TYPES = ("fastapi.FastAPI", "starlette.applications.Starlette")
_ROUTER_TYPES = ("fastapi.APIRouter", "starlette.routing.Router")
_DEPENDS = ("fastapi.Depends", "fastapi.Security")
_MAX_DEP_DEPTH = 8

ObjectKey = tuple[str, str]  # (module rel path, name or "factory:name")


@dataclass
class RouterObject:
    """A ``FastAPI()`` app or an ``APIRouter()``."""

    key: ObjectKey
    is_app: bool
    prefix: str
    line: int
    dependencies: tuple[SimpleValue, ...] = ()
    includes: list[tuple[ObjectKey, str, tuple[SimpleValue, ...], str, int]] = field(
        default_factory=list
    )  # (child, prefix, dependencies, module of the call, line)


@dataclass
class Dependency:
    """One node of a route's dependency tree."""

    label: str
    symbol: Symbol | None
    line: int
    via: str  # parameter name, "router", "app" or "decorator"
    is_generator: bool = False
    is_async: bool = False
    children: list[Dependency] = field(default_factory=list)

    def walk(self) -> Iterator[Dependency]:
        """This node and every node below it."""
        yield self
        for child in self.children:
            yield from child.walk()


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


def _str(value: SimpleValue) -> str | None:
    return value if isinstance(value, str) else None


def _kind_of(project: Project, rel: str, func: str, where: FunctionInfo | None) -> str | None:
    symbol = project.resolve(rel, where, func)
    if symbol is None:
        return None
    if symbol.kind == "external":
        if symbol.external in _APP_TYPES:
            return "app"
        if symbol.external in _ROUTER_TYPES:
            return "router"
        return None
    if symbol.kind == "class":
        for owner, info in project.mro(symbol.rel, symbol.qualname):
            for base in info.bases:
                resolved = project.resolve(owner, None, base)
                if resolved is not None and resolved.kind == "external":
                    if resolved.external in _APP_TYPES:
                        return "app"
                    if resolved.external in _ROUTER_TYPES:
                        return "router"
    return None


def _find_objects(project: Project) -> dict[ObjectKey, RouterObject]:
    objects: dict[ObjectKey, RouterObject] = {}
    for rel, summary in project.modules.items():
        for name, call in summary.assigned_calls.items():
            factory = name.rpartition(":")[0]
            where = summary.functions.get(factory) if factory else None
            kind = _kind_of(project, rel, call.func, where)
            if kind is None:
                continue
            deps = call.kwarg("dependencies")
            objects[(rel, name)] = RouterObject(
                key=(rel, name),
                is_app=kind == "app",
                prefix=_str(call.kwarg("prefix")) or "",
                line=call.line,
                dependencies=deps if isinstance(deps, tuple) else (),
            )
    return objects


def _object_key(
    project: Project,
    objects: dict[ObjectKey, RouterObject],
    rel: str,
    where: FunctionInfo | None,
    dotted: str,
) -> ObjectKey | None:
    fn = where
    summary = project.modules[rel]
    while fn is not None:  # a local app or router of a factory function
        key = (rel, f"{fn.qualname}:{dotted}")
        if key in objects:
            return key
        fn = summary.functions.get(fn.parent) if fn.parent else None
    symbol = project.resolve(rel, where, dotted)
    if symbol is not None and symbol.kind == "value" and (symbol.rel, symbol.qualname) in objects:
        return (symbol.rel, symbol.qualname)
    return None


def build_app_model(project: Project) -> AppModel:
    """Find every app, router, route and dependency tree of ``project``."""
    objects = _find_objects(project)
    raw_routes: list[tuple[ObjectKey, tuple[str, ...], str, str, str, int, tuple[SimpleValue, ...]]] = []
    for rel, summary in project.modules.items():
        for fn in summary.functions.values():
            for decorator in fn.decorators:
                value = decorator.value
                if not isinstance(value, CallRef):
                    continue
                receiver, _, method = value.func.rpartition(".")
                if method not in ROUTE_METHODS or not receiver:
                    continue
                where = summary.functions.get(fn.parent) if fn.parent else None
                key = _object_key(project, objects, rel, where, receiver)
                if key is None:
                    continue
                path = _str(value.args[0]) if value.args else _str(value.kwarg("path"))
                methods = _methods(value, method)
                deps = value.kwarg("dependencies")
                raw_routes.append(
                    (key, methods, path or "", rel, fn.qualname, fn.line,
                     deps if isinstance(deps, tuple) else ())
                )
        for callee, call, where_name in summary.wiring:
            receiver, _, method = callee.rpartition(".")
            where = summary.functions.get(where_name) if where_name else None
            parent = _object_key(project, objects, rel, where, receiver) if receiver else None
            if parent is None:
                continue
            if method in ("include_router", "mount") and call.args:
                child_ref = call.args[1] if method == "mount" and len(call.args) > 1 else (
                    call.kwarg("app") if method == "mount" else call.args[0]
                )
                if not isinstance(child_ref, Ref):
                    continue
                child = _object_key(project, objects, rel, where, child_ref.dotted)
                if child is None:
                    continue
                prefix = _str(call.args[0]) if method == "mount" else _str(call.kwarg("prefix"))
                deps = call.kwarg("dependencies")
                objects[parent].includes.append(
                    (child, prefix or "", deps if isinstance(deps, tuple) else (), rel, call.line)
                )
            elif method in ("add_api_route", "add_api_websocket_route") and len(call.args) >= 2:
                path = _str(call.args[0]) or ""
                endpoint = call.args[1]
                if not isinstance(endpoint, Ref):
                    continue
                target = project.resolve(rel, where, endpoint.dotted)
                if target is None or target.kind != "function":
                    continue
                methods = (
                    ("WEBSOCKET",) if method == "add_api_websocket_route" else _methods(call, "api_route")
                )
                target_fn = project.function(target.rel, target.qualname)
                deps = call.kwarg("dependencies")
                raw_routes.append(
                    (parent, methods, path, target.rel, target.qualname,
                     target_fn.line if target_fn else call.line,
                     deps if isinstance(deps, tuple) else ())
                )

    mounts = _mount_points(objects)
    routes: list[Route] = []
    for key, methods, path, rel, qualname, line, deps in raw_routes:
        points = mounts[key]
        for prefix, inherited, mounted in points:  # one route per place it is mounted
            full = prefix + objects[key].prefix + path
            route = Route(methods, full or "/", rel, qualname, line, key, mounted)
            route.dependencies = _route_dependencies(project, route, (*inherited, *deps))
            routes.append(route)
    routes.sort(key=lambda r: (r.path, r.methods, r.rel, r.line))
    by_endpoint: dict[tuple[str, str], list[Route]] = {}
    for route in routes:
        by_endpoint.setdefault((route.rel, route.qualname), []).append(route)
    return AppModel(objects, routes, by_endpoint)


def _methods(call: CallRef, decorator: str) -> tuple[str, ...]:
    if decorator in ("api_route", "route"):
        listed = call.kwarg("methods")
        if isinstance(listed, tuple):
            names = tuple(m.upper() for m in listed if isinstance(m, str))
            if names:
                return names
    return ROUTE_METHODS[decorator]


def _mount_points(
    objects: dict[ObjectKey, RouterObject],
) -> dict[ObjectKey, list[tuple[str, tuple[SimpleValue, ...], bool]]]:
    """For each object: the path prefixes it is reachable at, with the dependencies it inherits.

    FastAPI copies an included router's routes, so the full path is the concatenation of
    every prefix on the way down from an app, and dependencies accumulate the same way.
    """
    points: dict[ObjectKey, list[tuple[str, tuple[SimpleValue, ...], bool]]] = {}
    children = {child for obj in objects.values() for child, *_ in obj.includes}

    def visit(key: ObjectKey, prefix: str, deps: tuple[SimpleValue, ...], seen: frozenset[ObjectKey]) -> None:
        obj = objects[key]
        own = (*deps, *obj.dependencies)
        points.setdefault(key, []).append((prefix, own, True))
        for child, child_prefix, child_deps, _, _ in obj.includes:
            if child not in seen and len(seen) < 32:
                visit(child, prefix + obj.prefix + child_prefix, (*own, *child_deps), seen | {child})

    for key, obj in objects.items():
        if obj.is_app and key not in children:
            visit(key, "", (), frozenset({key}))
    for key, obj in objects.items():
        if key not in points:
            points[key] = [("", obj.dependencies, False)]
    return points


def _route_dependencies(
    project: Project, route: Route, inherited: Iterable[SimpleValue]
) -> list[Dependency]:
    out = []
    endpoint = project.function(route.rel, route.qualname)
    for value in inherited:
        dep = _dependency_from(project, route.rel, None, value, "router", 0, frozenset())
        if dep is not None:
            out.append(dep)
    if endpoint is not None:
        out += _param_dependencies(project, route.rel, endpoint, 0, frozenset())
    return out


def _is_depends(project: Project, rel: str, where: FunctionInfo | None, func: str) -> bool:
    if func.rpartition(".")[2] not in ("Depends", "Security"):
        return False
    symbol = project.resolve(rel, where, func)
    return symbol is None or (symbol.kind == "external" and symbol.external in _DEPENDS)


def _param_dependencies(
    project: Project, rel: str, fn: FunctionInfo, depth: int, seen: frozenset[tuple[str, str]]
) -> list[Dependency]:
    out = []
    for param in fn.params:
        values = [(rel, fn, value) for value in (param.default, *param.metadata)]
        if not param.metadata and param.annotation and not isinstance(param.default, CallRef):
            alias_rel, metadata = project.alias_metadata(rel, fn, param.annotation)
            values += [(alias_rel, None, value) for value in metadata]
        for owner, where, value in values:
            dep = _dependency_from(project, owner, where, value, param.name, depth, seen, param)
            if dep is not None:
                out.append(dep)
    return out


def _dependency_from(
    project: Project,
    rel: str,
    where: FunctionInfo | None,
    value: SimpleValue,
    via: str,
    depth: int,
    seen: frozenset[tuple[str, str]],
    param: Param | None = None,
) -> Dependency | None:
    if not isinstance(value, CallRef) or not _is_depends(project, rel, where, value.func):
        return None
    target = value.args[0] if value.args else value.kwarg("dependency")
    if isinstance(target, Ref):
        dotted = target.dotted
    elif target is None and param is not None and param.annotation:
        dotted = param.annotation  # Depends() with the class in the annotation
    else:
        return None
    symbol = project.resolve(rel, where, dotted)
    dep = Dependency(dotted, symbol, value.line, via)
    if symbol is None or depth >= _MAX_DEP_DEPTH:
        return dep
    key = (symbol.rel, symbol.qualname)
    if key in seen:
        return dep
    fn: FunctionInfo | None = None
    if symbol.kind == "function":
        fn = project.function(symbol.rel, symbol.qualname)
    elif symbol.kind == "class":
        for owner, info in project.mro(symbol.rel, symbol.qualname):
            init = info.methods.get("__init__") or info.methods.get("__call__")
            if init is not None:
                fn = project.function(owner, init)
                break
    if fn is not None:
        dep.is_generator = fn.is_generator
        dep.is_async = fn.is_async
        dep.children = _param_dependencies(project, symbol.rel, fn, depth + 1, seen | {key})
    return dep
