"""The apps and routers of a project, and what each name in the code refers to.

An object is created by a constructor call (``FastAPI()``, ``APIRouter(prefix=...)``, or a
subclass), at module level or in a factory function, or is a parameter that receives one
(``def setup(app: FastAPI)``). A parameter is linked to each object a caller passes to it by
name, and a factory's result to the object it returns. Included children are followed through
names, factory calls (``include_router(create_router())``) and loops over literal lists
(``for r in ROUTERS: app.include_router(r)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from fastapi_medic.static.dependency_tree import Declared
from fastapi_medic.static.model import CallRef, FunctionInfo, Ref, SimpleValue
from fastapi_medic.static.project import Project, Symbol

__all__ = [
    "INCLUDES",
    "WIRING_METHODS",
    "Include",
    "ObjectIndex",
    "ObjectKey",
    "RouterObject",
    "child_arguments",
]

_APP_TYPES = frozenset({"fastapi.FastAPI", "starlette.applications.Starlette", "cadwyn.Cadwyn"})
_ROUTER_TYPES = frozenset(
    {"fastapi.APIRouter", "starlette.routing.Router", "cadwyn.VersionedAPIRouter"}
)
_VERSIONED = "generate_and_include_versioned_routers"  # cadwyn: include every argument
#: Methods that include or mount another object, and every wiring method the model reads.
INCLUDES = frozenset({"include_router", "mount", _VERSIONED})
WIRING_METHODS = INCLUDES | {"add_api_route", "add_api_websocket_route"}
_PASSES = 4  # rounds of linking parameters: setup(app) -> register(app) -> ...

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


class ObjectIndex:
    """The objects of one project, with memoised lookups of the names that refer to them."""

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

    def find(self) -> None:
        """Find the created objects, then link parameters to what callers pass them."""
        self._find_objects()
        self._find_local_children()
        for _ in range(_PASSES):
            if not self._link_parameters():
                break

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
                    prefix=self.text(rel, where, call.kwarg("prefix")),
                    line=call.line,
                    dependencies=self.declared(
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
                if where is None or method not in INCLUDES:
                    continue
                fn = summary.functions.get(where)
                if fn is not None:
                    self._ensure_locals(rel, fn)
                if (rel, f"{where}:{receiver}") not in self.objects:
                    continue
                for child in child_arguments(method, call):
                    if isinstance(child, Ref) and (rel, f"{where}:{child.dotted}") in self.objects:
                        self.local_children.add((rel, f"{where}:{child.dotted}"))

    def _link_parameters(self) -> bool:
        """Alias each parameter that receives an app or router to what the caller passes."""
        changed = False
        for rel, summary in self.modules.items():
            for callee, call, where_name in summary.wiring:
                if callee.rpartition(".")[2] in WIRING_METHODS:
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
                    passed = self.object_key(rel, where, value.dotted)
                    if passed is None:
                        continue
                    key = (target.rel, f"{fn.qualname}:{param}")
                    if key not in self.objects:
                        self._add_parameter(key, self.objects[passed].is_app, fn.line)
                    changed |= self.include(passed, Include(key, "", (), "alias", rel, call.line))
        return changed

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

    def include(self, parent: ObjectKey, include: Include) -> bool:
        edge = (parent, include.child, include.prefix, include.kind)
        if edge in self.edges or include.child == parent:
            return False
        self.edges.add(edge)
        self.objects[parent].includes.append(include)
        return True

    def object_key(self, rel: str, where: FunctionInfo | None, dotted: str) -> ObjectKey | None:
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
                result = self.object_key(symbol.rel, fn, fn.returned)
        if result is None:
            roots = [k for k in self.locals.get(memo, ()) if k not in self.local_children]
            apps = [k for k in roots if self.objects[k].is_app]
            result = roots[0] if len(roots) == 1 else apps[0] if len(apps) == 1 else None
        self.factories[memo] = result
        return result

    def children(self, rel: str, where: FunctionInfo | None, value: SimpleValue) -> list[ObjectKey]:
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
                    for owner, scope, element in self.elements(rel, where, iterable):
                        if isinstance(element, (Ref, CallRef)):
                            out += self.children(owner, scope, element)
                return out
        found = self.object_key(rel, where, value.dotted)
        return [found] if found else []

    # -- values ----------------------------------------------------------------------------

    def text(self, rel: str, where: FunctionInfo | None, value: SimpleValue) -> str:
        """A path or prefix, reading a module-level string constant it names."""
        if isinstance(value, Ref):
            symbol = self.project.resolve(rel, where, value.dotted)
            if symbol is not None and symbol.kind == "value":
                constant = self.modules[symbol.rel].constants.get(symbol.qualname)
                if isinstance(constant, str):
                    return constant
        return _text(value)

    def elements(
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

    def declared(
        self, rel: str, where: FunctionInfo | None, value: SimpleValue, via: str
    ) -> tuple[Declared, ...]:
        """``dependencies=[...]`` as declarations that keep the scope they are written in."""
        if value is None:
            return ()
        return tuple(
            Declared(item, owner, scope.qualname if scope else None, via)
            for owner, scope, item in self.elements(rel, where, value)
            if isinstance(item, CallRef)
        )

    def prune(self, useful: set[ObjectKey]) -> None:
        """Forget guessed objects and parameters from which no route (``useful``) is reached."""
        useful = set(useful)
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


_NOT_LOCAL = object()


def child_arguments(method: str, call: CallRef) -> tuple[SimpleValue, ...]:
    """The objects an ``include_router``-like call includes (``mount``: its second)."""
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
