"""Recognises FastAPI applications, routers, routes and dependency trees in a project.

Apps and routers are found where they are created: at module level, inside an app factory
(``create_app()``), or as a parameter that receives one (``def setup(app: FastAPI)``, linked
to the caller's app when the call passes it by name). Routes come from the decorators and
``add_api_route`` calls that register them, and the full path of each route from following
``include_router`` and ``mount`` from every app: directly, through a factory's result
(``include_router(create_router())``) or through a loop over a literal list of routers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from fastapi_medic.static.dependency_tree import Declared, Dependency, DependencyResolver
from fastapi_medic.static.model import CallRef, FunctionInfo, ModuleSummary, Ref, SimpleValue
from fastapi_medic.static.project import Project, Symbol

__all__ = [
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
_APP_TYPES = frozenset({"fastapi.FastAPI", "starlette.applications.Starlette", "cadwyn.Cadwyn"})
_ROUTER_TYPES = frozenset(
    {"fastapi.APIRouter", "starlette.routing.Router", "cadwyn.VersionedAPIRouter"}
)
_MAX_POINTS = 32  # places one object is reachable at; more is a combinatorial accident

ObjectKey = tuple[str, str]  # (module rel path, name, or "function:name" for a local)


class Include(NamedTuple):
    """An edge from an app or router to another: ``include_router``, ``mount``, or an alias.

    An alias links a parameter (``def setup(app)``) to the object a caller passes to it: the
    two are one object, so the alias adds no prefix and keeps every dependency.
    """

    child: ObjectKey
    prefix: str
    dependencies: tuple[Declared, ...]
    kind: str  # "include", "mount" or "alias"
    rel: str  # the module of the call
    line: int


@dataclass
class RouterObject:
    """A ``FastAPI()`` app or an ``APIRouter()`` (or a parameter that receives one)."""

    key: ObjectKey
    is_app: bool
    prefix: str
    line: int
    dependencies: tuple[Declared, ...] = ()
    includes: list[Include] = field(default_factory=list)
    parameter: bool = False


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
    router: ObjectKey
    methods: tuple[str, ...]
    path: str
    rel: str
    qualname: str
    line: int
    dependencies: tuple[Declared, ...]


def build_app_model(project: Project) -> AppModel:
    """Find every app, router, route and dependency tree of ``project``."""
    return _Builder(project).build()


def _text(value: SimpleValue) -> str:
    """A path or prefix: the literal, or ``<name>`` for one computed at run time."""
    if isinstance(value, str):
        return value.replace("{}", "<?>")  # a part the summary could not read (f"{x}/a")
    if isinstance(value, Ref):
        return f"<{value.dotted}>"
    if isinstance(value, CallRef):
        return f"<{value.func}()>"
    return ""


def _external_kind(name: str) -> tuple[str, bool] | None:
    """``(kind, guessed)`` of an app or router class outside the project."""
    name = name.removesuffix("()")
    if name in _APP_TYPES:
        return "app", False
    if name in _ROUTER_TYPES:
        return "router", False
    last = name.rpartition(".")[2]
    # A subclass defined in a part of the project that was not checked (PrefectRouter).
    if last.endswith("Router"):
        return "router", True
    if last.endswith("FastAPI"):
        return "app", True
    return None


class _Builder:
    """One build of the model; holds the objects found so far and memoised lookups."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.modules = project.modules
        self.objects: dict[ObjectKey, RouterObject] = {}
        self.guessed: set[ObjectKey] = set()
        self.locals: dict[tuple[str, str], list[ObjectKey]] = {}  # factory -> its objects
        self.local_children: set[ObjectKey] = set()
        self.factories: dict[tuple[str, str], ObjectKey | None] = {}
        self.kinds: dict[tuple[str, str, str], tuple[str, bool] | None] = {}
        self.edges: set[tuple[ObjectKey, ObjectKey, str, str]] = set()
        self.scanned: set[tuple[str, str]] = set()
        self.raw_routes: list[_RawRoute] = []

    # -- the steps -------------------------------------------------------------------------

    def build(self) -> AppModel:
        self._find_objects()
        self._find_local_children()
        for _ in range(4):  # a parameter passed on to another function needs a second round
            if not self._link_parameters():
                break
        for rel, summary in self.modules.items():
            self._decorated_routes(rel, summary)
            self._wiring(rel, summary)
        self._drop_empty_guesses()
        return self._routes()

    def _find_objects(self) -> None:
        for rel, summary in self.modules.items():
            for name, call in summary.assigned_calls.items():
                factory = name.rpartition(":")[0]
                where = summary.functions.get(factory) if factory else None
                found = self._kind(rel, where, call.func)
                if found is None:
                    continue
                kind, guessed = found
                key = (rel, name)
                self.objects[key] = RouterObject(
                    key=key,
                    is_app=kind == "app",
                    prefix=self._text(rel, where, call.kwarg("prefix")),
                    line=call.line,
                    dependencies=self._declared(
                        rel, where, call.kwarg("dependencies"), "app" if kind == "app" else "router"
                    ),
                )
                if guessed:
                    self.guessed.add(key)
                if factory:
                    self.locals.setdefault((rel, factory), []).append(key)

    def _find_local_children(self) -> None:
        """Objects of a factory that it includes or mounts in another of its objects."""
        for rel, summary in self.modules.items():
            for callee, call, where in summary.wiring:
                receiver, _, method = callee.rpartition(".")
                if where is None or method not in _INCLUDES:
                    continue
                fn = summary.functions.get(where)
                if fn is not None:
                    self._ensure_locals(rel, fn)
                if (rel, f"{where}:{receiver}") not in self.objects:
                    continue
                for child in _child_arguments(method, call):
                    if isinstance(child, Ref) and (rel, f"{where}:{child.dotted}") in self.objects:
                        self.local_children.add((rel, f"{where}:{child.dotted}"))

    def _link_parameters(self) -> bool:
        """Alias each parameter that receives an app or router to what the caller passes."""
        changed = False
        for rel, summary in self.modules.items():
            for callee, call, where_name in summary.wiring:
                if callee.rpartition(".")[2] in _WIRING_METHODS:
                    continue
                where = summary.functions.get(where_name) if where_name else None
                target = self.project.resolve(rel, where, callee)
                if target is None or target.kind != "function":
                    continue
                fn = self.project.function(target.rel, target.qualname)
                if fn is None:
                    continue
                for param, value in _bind_arguments(fn, call, bound="." in callee):
                    if not isinstance(value, Ref):
                        continue
                    passed = self._object_key(rel, where, value.dotted)
                    if passed is None:
                        continue
                    key = (target.rel, f"{fn.qualname}:{param}")
                    if key not in self.objects:
                        self._add_parameter(key, self.objects[passed].is_app, fn.line)
                    changed |= self._include(passed, Include(key, "", (), "alias", rel, call.line))
        return changed

    def _decorated_routes(self, rel: str, summary: ModuleSummary) -> None:
        for fn in summary.functions.values():
            for decorator in fn.decorators:
                value = decorator.value
                if not isinstance(value, CallRef):
                    continue
                receiver, _, method = value.func.rpartition(".")
                if method not in ROUTE_METHODS or not receiver:
                    continue
                where = summary.functions.get(fn.parent) if fn.parent else None
                key = self._object_key(rel, where, receiver)
                if key is None:
                    continue
                path = value.args[0] if value.args else value.kwarg("path")
                self.raw_routes.append(
                    _RawRoute(
                        key,
                        self._methods(rel, where, value, method),
                        self._text(rel, where, path),
                        rel,
                        fn.qualname,
                        fn.line,
                        self._declared(rel, where, value.kwarg("dependencies"), "decorator"),
                    )
                )

    def _wiring(self, rel: str, summary: ModuleSummary) -> None:
        for callee, call, where_name in summary.wiring:
            receiver, _, method = callee.rpartition(".")
            if method not in _WIRING_METHODS or not receiver:
                continue
            where = summary.functions.get(where_name) if where_name else None
            parent = self._object_key(rel, where, receiver)
            if parent is None:
                continue
            if method in _INCLUDES:
                if method == "mount":
                    prefix = self._text(
                        rel, where, call.args[0] if call.args else call.kwarg("path")
                    )
                    declared: tuple[Declared, ...] = ()
                else:
                    prefix = self._text(rel, where, call.kwarg("prefix"))
                    declared = self._declared(rel, where, call.kwarg("dependencies"), "router")
                kind = "mount" if method == "mount" else "include"
                for child in _child_arguments(method, call):
                    for key in self._children(rel, where, child):
                        self._include(parent, Include(key, prefix, declared, kind, rel, call.line))
            else:
                self._added_route(rel, where, parent, method, call)

    def _added_route(
        self, rel: str, where: FunctionInfo | None, parent: ObjectKey, method: str, call: CallRef
    ) -> None:
        """A route of ``add_api_route(path, endpoint, ...)`` or ``add_api_websocket_route``."""
        path = call.args[0] if call.args else call.kwarg("path")
        endpoint = call.args[1] if len(call.args) > 1 else call.kwarg("endpoint")
        if not isinstance(endpoint, Ref):
            return
        target = self.project.resolve(rel, where, endpoint.dotted)
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
                self._text(rel, where, path),
                target.rel,
                target.qualname,
                target_fn.line if target_fn else call.line,
                self._declared(rel, where, call.kwarg("dependencies"), "decorator"),
            )
        )

    def _drop_empty_guesses(self) -> None:
        """Forget guessed objects and parameters that lead to no route."""
        useful = {route.router for route in self.raw_routes}
        changed = True
        while changed:
            changed = False
            for obj in self.objects.values():
                if obj.key not in useful and any(i.child in useful for i in obj.includes):
                    useful.add(obj.key)
                    changed = True
        doubtful = self.guessed | {key for key, obj in self.objects.items() if obj.parameter}
        dropped = doubtful - useful
        for key in dropped:
            del self.objects[key]
        for obj in self.objects.values():
            obj.includes = [i for i in obj.includes if i.child not in dropped]

    def _routes(self) -> AppModel:
        points = _mount_points(self.objects)
        resolver = DependencyResolver(self.project)
        routes: list[Route] = []
        seen: set[tuple[int, str]] = set()
        for index, raw in enumerate(self.raw_routes):
            own_prefix = self.objects[raw.router].prefix
            for prefix, inherited, mounted in points[raw.router]:  # one route per place
                route = Route(
                    raw.methods,
                    prefix + own_prefix + raw.path or "/",
                    raw.rel,
                    raw.qualname,
                    raw.line,
                    raw.router,
                    mounted,
                )
                if (index, route.path) in seen:
                    continue  # reached twice the same way (a router included twice)
                seen.add((index, route.path))
                route.dependencies = resolver.route(
                    route.rel, route.qualname, (*inherited, *raw.dependencies)
                )
                routes.append(route)
        routes.sort(key=lambda r: (r.path, r.methods, r.rel, r.line))
        by_endpoint: dict[tuple[str, str], list[Route]] = {}
        for route in routes:
            by_endpoint.setdefault((route.rel, route.qualname), []).append(route)
        return AppModel(self.objects, routes, by_endpoint)

    # -- objects ---------------------------------------------------------------------------

    def _kind(self, rel: str, where: FunctionInfo | None, dotted: str) -> tuple[str, bool] | None:
        """``(kind, guessed)`` when ``dotted`` names an app or router class."""
        memo = (rel, where.qualname if where else "", dotted)
        if memo in self.kinds:
            return self.kinds[memo]
        self.kinds[memo] = None
        found = self._kind_of(self.project.resolve(rel, where, dotted))
        self.kinds[memo] = found
        return found

    def _kind_of(self, symbol: Symbol | None) -> tuple[str, bool] | None:
        if symbol is None:
            return None
        if symbol.kind == "external":
            return _external_kind(symbol.external)
        if symbol.kind != "class":
            return None
        for owner, info in self.project.mro(symbol.rel, symbol.qualname):
            for base in info.bases:
                resolved = self.project.resolve(owner, None, base)
                if resolved is not None and resolved.kind == "external":
                    found = _external_kind(resolved.external)
                    if found is not None:
                        return found
        return None

    def _add_parameter(self, key: ObjectKey, is_app: bool, line: int) -> None:
        self.objects[key] = RouterObject(key, is_app, "", line, parameter=True)

    def _include(self, parent: ObjectKey, include: Include) -> bool:
        edge = (parent, include.child, include.prefix, include.kind)
        if edge in self.edges or include.child == parent:
            return False
        self.edges.add(edge)
        self.objects[parent].includes.append(include)
        return True

    def _object_key(self, rel: str, where: FunctionInfo | None, dotted: str) -> ObjectKey | None:
        """The app or router that ``dotted`` names when written in ``where``."""
        summary = self.modules[rel]
        fn = where
        while fn is not None:  # local objects and parameters of the enclosing functions
            key = (rel, f"{fn.qualname}:{dotted}")
            if key in self.objects:
                return key
            if "." not in dotted:
                local = self._local_object(rel, fn, dotted)
                if local is not _NOT_LOCAL:
                    return local  # type: ignore[return-value]
            fn = summary.functions.get(fn.parent) if fn.parent else None
        return self._symbol_object(self.project.resolve(rel, where, dotted))

    def _local_object(self, rel: str, fn: FunctionInfo, name: str) -> object:
        """A parameter or local variable ``name`` of ``fn``, or ``_NOT_LOCAL``."""
        for param in fn.params:
            if param.name != name:
                continue
            if not param.annotation:
                return None
            scope = self.modules[rel].functions.get(fn.parent) if fn.parent else None
            found = self._kind(rel, scope, param.annotation)
            if found is None:
                return None
            key = (rel, f"{fn.qualname}:{name}")
            self._add_parameter(key, found[0] == "app", fn.line)
            return key
        local = fn.local_types.get(name)
        if local is None:
            return _NOT_LOCAL
        if local.startswith("import:"):
            return self._symbol_object(self.project.resolve(rel, fn, name))
        self._ensure_locals(rel, fn)
        key = (rel, f"{fn.qualname}:{name}")
        if key in self.objects:
            return key
        if local.endswith("()"):
            return self._factory_result(self.project.resolve(rel, fn, local[:-2]))
        return None

    def _ensure_locals(self, rel: str, fn: FunctionInfo) -> None:
        """Add the local apps and routers of ``fn`` that the summary only knows by type.

        The summary keeps the arguments of local calls only for the usual constructors
        (``FastAPI(...)``); ``app = MyApp(...)`` is found here from the variable's type.
        """
        memo = (rel, fn.qualname)
        if memo in self.scanned:
            return
        self.scanned.add(memo)
        params = {param.name for param in fn.params}
        for name, local in fn.local_types.items():
            key = (rel, f"{fn.qualname}:{name}")
            if name in params or key in self.objects or not local.endswith("()"):
                continue
            if local.startswith("import:"):
                continue
            found = self._kind(rel, fn, local[:-2])
            if found is None:
                continue
            self.objects[key] = RouterObject(key, found[0] == "app", "", fn.line)
            if found[1]:
                self.guessed.add(key)
            self.locals.setdefault(memo, []).append(key)

    def _symbol_object(self, symbol: Symbol | None) -> ObjectKey | None:
        if symbol is None or symbol.kind != "value":
            return None
        key = (symbol.rel, symbol.qualname)
        if key in self.objects:
            return key
        call = self.modules[symbol.rel].assigned_calls.get(symbol.qualname)
        if call is None:
            return None
        return self._factory_result(self.project.resolve(symbol.rel, None, call.func))

    def _factory_result(self, symbol: Symbol | None) -> ObjectKey | None:
        """The app or router a factory function returns: its one outermost local object."""
        if symbol is None or symbol.kind != "function":
            return None
        memo = (symbol.rel, symbol.qualname)
        if memo in self.factories:
            return self.factories[memo]
        self.factories[memo] = None  # a factory that returns its own result finds nothing
        fn = self.project.function(*memo)
        result: ObjectKey | None = None
        if fn is not None:
            self._ensure_locals(symbol.rel, fn)
            if fn.returned and fn.returned[0] != "<":
                result = self._object_key(symbol.rel, fn, fn.returned)
        if result is None:
            roots = [k for k in self.locals.get(memo, ()) if k not in self.local_children]
            apps = [k for k in roots if self.objects[k].is_app]
            result = roots[0] if len(roots) == 1 else apps[0] if len(apps) == 1 else None
        self.factories[memo] = result
        return result

    def _children(
        self, rel: str, where: FunctionInfo | None, value: SimpleValue
    ) -> list[ObjectKey]:
        """What ``include_router(value)`` includes: an object, a factory's, or a loop's."""
        if isinstance(value, CallRef):  # include_router(create_router())
            found = self._factory_result(self.project.resolve(rel, where, value.func))
            return [found] if found else []
        if not isinstance(value, Ref):
            return []
        if "." not in value.dotted:
            loop_key = f"{where.qualname}:{value.dotted}" if where else value.dotted
            iterables = self.modules[rel].loops.get(loop_key)
            if iterables is not None:  # for router in ROUTERS: app.include_router(router)
                out = []
                for iterable in iterables:
                    for owner, scope, element in self._elements(rel, where, iterable):
                        if isinstance(element, (Ref, CallRef)):
                            out += self._children(owner, scope, element)
                return out
        found = self._object_key(rel, where, value.dotted)
        return [found] if found else []

    # -- values ----------------------------------------------------------------------------

    def _text(self, rel: str, where: FunctionInfo | None, value: SimpleValue) -> str:
        """A path or prefix, reading a module-level string constant it names."""
        if isinstance(value, Ref):
            symbol = self.project.resolve(rel, where, value.dotted)
            if symbol is not None and symbol.kind == "value":
                constant = self.modules[symbol.rel].constants.get(symbol.qualname)
                if isinstance(constant, str):
                    return constant
        return _text(value)

    def _elements(
        self, rel: str, where: FunctionInfo | None, value: SimpleValue
    ) -> list[tuple[str, FunctionInfo | None, SimpleValue]]:
        """The items of a literal list, or of a name bound to one, with their scope."""
        if type(value) is tuple:
            return [(rel, where, item) for item in value]
        if not isinstance(value, Ref):
            return []
        summary = self.modules[rel]
        fn = where
        while fn is not None:
            local = summary.sequences.get(f"{fn.qualname}:{value.dotted}")
            if local is not None:
                return [(rel, fn, item) for item in local]
            fn = summary.functions.get(fn.parent) if fn.parent else None
        symbol = self.project.resolve(rel, where, value.dotted)
        if symbol is not None and symbol.kind == "value":
            found = self.modules[symbol.rel].sequences.get(symbol.qualname)
            if found is not None:
                return [(symbol.rel, None, item) for item in found]
        return []

    def _declared(
        self, rel: str, where: FunctionInfo | None, value: SimpleValue, via: str
    ) -> tuple[Declared, ...]:
        """``dependencies=[...]`` as declarations that keep the scope they are written in."""
        if value is None:
            return ()
        return tuple(
            Declared(item, owner, scope.qualname if scope else None, via)
            for owner, scope, item in self._elements(rel, where, value)
            if isinstance(item, CallRef)
        )

    def _methods(
        self, rel: str, where: FunctionInfo | None, call: CallRef, decorator: str
    ) -> tuple[str, ...]:
        if decorator in _LISTS_METHODS:
            listed = call.kwarg("methods")
            if listed is not None:
                names = tuple(
                    item.upper()
                    for _, _, item in self._elements(rel, where, listed)
                    if isinstance(item, str)
                )
                return names or (_text(listed),)
            return ("GET",)
        return ROUTE_METHODS[decorator]


_NOT_LOCAL = object()
_VERSIONED = "generate_and_include_versioned_routers"  # cadwyn: include every argument
_INCLUDES = frozenset({"include_router", "mount", _VERSIONED})
_WIRING_METHODS = _INCLUDES | {"add_api_route", "add_api_websocket_route"}


def _child_arguments(method: str, call: CallRef) -> tuple[SimpleValue, ...]:
    if method == "mount":
        return (call.args[1] if len(call.args) > 1 else call.kwarg("app"),)
    if method == _VERSIONED:
        return call.args
    return (call.args[0] if call.args else call.kwarg("router"),)


def _bind_arguments(
    fn: FunctionInfo, call: CallRef, *, bound: bool
) -> Iterator[tuple[str, SimpleValue]]:
    """Parameter names and the argument each receives (methods skip ``self``)."""
    params = fn.params
    if bound and fn.class_name and params and params[0].name in ("self", "cls"):
        params = params[1:]
    for param, value in zip(params, call.args, strict=False):
        yield param.name, value
    names = {param.name for param in params}
    for name, value in call.kwargs:
        if name in names:
            yield name, value


def _mount_points(
    objects: dict[ObjectKey, RouterObject],
) -> dict[ObjectKey, list[tuple[str, tuple[Declared, ...], bool]]]:
    """For each object: the path prefixes it is reachable at, with the dependencies it inherits.

    FastAPI copies an included router's routes, so the full path is the concatenation of every
    prefix on the way down from an app, and dependencies accumulate the same way; a mounted
    sub-application keeps only its own dependencies.
    """
    points: dict[ObjectKey, list[tuple[str, tuple[Declared, ...], bool]]] = {}
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
