"""Dependency trees of routes: ``Depends`` and ``Security`` in parameters and declarations.

A dependency is found in a parameter's default (``db = Depends(get_db)``), in its
``Annotated`` metadata, written in place or through an alias imported from another module
(``db: DbSession``), and in ``dependencies=[...]`` of an app, a router, ``include_router`` or
the route decorator. ``Depends()`` without an argument takes the class in the annotation. A
class dependency's own dependencies are those of its ``__init__``; an instance's (``Depends(
RateLimiter(10))``, or a module-level ``APIKeyHeader(...)``) are those of its ``__call__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from fastapi_medic.static.model import CallRef, FunctionInfo, Param, Ref, SimpleValue
from fastapi_medic.static.project import Project, Symbol

__all__ = ["Declared", "Dependency", "DependencyResolver"]

_DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security"})
_MAX_DEPTH = 8


class Declared(NamedTuple):
    """A ``Depends(...)`` in a ``dependencies=[...]`` list, with the scope it is written in."""

    value: SimpleValue
    rel: str
    where: str | None  # qualname of the enclosing function, None at module level
    via: str  # "app", "router" or "decorator"


@dataclass
class Dependency:
    """One node of a route's dependency tree (nodes are shared between routes: read only)."""

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


class DependencyResolver:
    """Builds dependency trees; a function's subtree is built once and shared."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._params: dict[tuple[str, str], list[Dependency]] = {}
        self._active: set[tuple[str, str]] = set()
        self._callables: dict[tuple[str, str, bool], tuple[str, FunctionInfo] | None] = {}

    def route(self, rel: str, qualname: str, declared: tuple[Declared, ...]) -> list[Dependency]:
        """The dependencies of the endpoint ``qualname`` in ``rel``: declared ones first."""
        out = []
        for item in declared:
            scope = self.project.function(item.rel, item.where) if item.where else None
            dep = self._dependency(item.rel, scope, item.value, item.via, 0)
            if dep is not None:
                out.append(dep)
        endpoint = self.project.function(rel, qualname)
        if endpoint is not None:
            out += self._of_function(rel, endpoint, 0)
        return out

    def _of_function(self, rel: str, fn: FunctionInfo, depth: int) -> list[Dependency]:
        key = (rel, fn.qualname)
        cached = self._params.get(key)
        if cached is not None:
            return cached
        if key in self._active or depth > _MAX_DEPTH:
            return []  # a cycle, or a chain too deep to be real
        self._active.add(key)
        try:
            found = self._params_of(rel, fn, depth)
        finally:
            self._active.discard(key)
        self._params[key] = found
        return found

    def _params_of(self, rel: str, fn: FunctionInfo, depth: int) -> list[Dependency]:
        # Defaults and annotations are evaluated where the function is defined, not inside it.
        scope = self.project.function(rel, fn.parent) if fn.parent else None
        out = []
        for param in fn.params:
            values = [(rel, scope, value) for value in (param.default, *param.metadata)]
            if not param.metadata and param.annotation and not isinstance(param.default, CallRef):
                alias_rel, metadata = self.project.alias_metadata(rel, scope, param.annotation)
                values += [(alias_rel, None, value) for value in metadata]
            for owner, where, value in values:
                dep = self._dependency(owner, where, value, param.name, depth, param=param)
                if dep is not None:
                    out.append(dep)
        return out

    def _is_depends(self, rel: str, where: FunctionInfo | None, func: str) -> bool:
        if func.rpartition(".")[2] not in ("Depends", "Security"):
            return False
        symbol = self.project.resolve(rel, where, func)
        return symbol is None or (symbol.kind == "external" and symbol.external in _DEPENDS)

    def _dependency(
        self,
        rel: str,
        where: FunctionInfo | None,
        value: SimpleValue,
        via: str,
        depth: int,
        *,
        param: Param | None = None,
    ) -> Dependency | None:
        if not isinstance(value, CallRef) or not self._is_depends(rel, where, value.func):
            return None
        target = value.args[0] if value.args else value.kwarg("dependency")
        symbol: Symbol | None
        if isinstance(target, Ref):
            dotted = target.dotted
            symbol = self.project.resolve(rel, where, dotted)
        elif isinstance(target, CallRef):
            # Depends(require("admin")) calls what the factory returns; Depends(Limiter(5)),
            # the instance's __call__
            dotted = target.func + "()"
            symbol = self.project.closure(self.project.resolve(rel, where, target.func))
            if symbol is None:
                symbol = self.project.resolve(rel, where, dotted)
        elif target is None and param is not None and param.annotation:
            dotted = param.annotation  # Depends() with the class in the annotation
            symbol = self.project.resolve(rel, where, dotted)
        else:
            return None
        dep = Dependency(dotted, symbol, value.line, via)
        called = self._callable(symbol)
        if called is not None:
            owner, fn = called
            dep.is_generator = fn.is_generator
            dep.is_async = fn.is_async
            dep.children = self._of_function(owner, fn, depth + 1)
        return dep

    def _callable(self, symbol: Symbol | None) -> tuple[str, FunctionInfo] | None:
        """The function FastAPI calls for a dependency, with its module."""
        if symbol is None:
            return None
        if symbol.kind == "function":
            fn = self.project.function(symbol.rel, symbol.qualname)
            return (symbol.rel, fn) if fn is not None else None
        if symbol.kind == "value":
            typed = self.project.value_type(symbol)
            return self._callable(typed) if typed is not None and typed.kind == "class" else None
        if symbol.kind != "class":
            return None
        key = (symbol.rel, symbol.qualname, symbol.instance)
        if key not in self._callables:
            method = "__call__" if symbol.instance else "__init__"
            found = None
            for owner, info in self.project.mro(symbol.rel, symbol.qualname):
                qualname = info.methods.get(method)
                fn = self.project.function(owner, qualname) if qualname else None
                if fn is not None:
                    found = (owner, fn)
                    break
            self._callables[key] = found
        return self._callables[key]
