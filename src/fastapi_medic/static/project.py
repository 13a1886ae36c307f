"""The project model: every module's summary, and name resolution across modules.

Modules are located the way Python's import system would find them from any plausible
``sys.path`` entry: the checked root, ``src/``, and every directory that is not itself a
regular package. This makes implicit namespace packages (directories without
``__init__.py``), src layouts and several top-level packages resolve without configuration.
"""

from __future__ import annotations

import builtins
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi_medic.static.model import (
    CallRef,
    CallSite,
    ClassInfo,
    FunctionInfo,
    ImportInfo,
    ModuleSummary,
    Ref,
    SimpleValue,
)

__all__ = ["Project", "Symbol"]

_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 12

#: Spellings of the same external object, reduced to the documented one.
ALIASES = {
    "requests.api": "requests",
    "requests.sessions.Session": "requests.Session",
    "requests.sessions.session": "requests.Session",
    "requests.session": "requests.Session",
    "httpx._client.Client": "httpx.Client",
    "httpx._api": "httpx",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlmodel.Session": "sqlalchemy.orm.Session",
    "sqlmodel.orm.session.Session": "sqlalchemy.orm.Session",
    "starlette.concurrency": "starlette.concurrency",
    "fastapi.concurrency.run_in_threadpool": "starlette.concurrency.run_in_threadpool",
    "fastapi.routing.APIRouter": "fastapi.APIRouter",
    "fastapi.applications.FastAPI": "fastapi.FastAPI",
    "fastapi.param_functions.Depends": "fastapi.Depends",
    "fastapi.params.Depends": "fastapi.Depends",
    "fastapi.param_functions.Security": "fastapi.Security",
    "starlette.applications.Starlette": "starlette.applications.Starlette",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.scoping.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": (
        "sqlalchemy.ext.asyncio.async_sessionmaker"
    ),
    "sqlalchemy.ext.asyncio.engine.create_async_engine": (
        "sqlalchemy.ext.asyncio.create_async_engine"
    ),
    "sqlalchemy.engine.create_engine": "sqlalchemy.create_engine",
    "sqlalchemy.engine.create.create_engine": "sqlalchemy.create_engine",
    "sqlmodel.create_engine": "sqlalchemy.create_engine",
    "sqlmodel.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.pool.NullPool": "sqlalchemy.pool.NullPool",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.poolmanager.ProxyManager": "urllib3.ProxyManager",
    "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    "sqlalchemy.NullPool": "sqlalchemy.pool.NullPool",
    "sqlalchemy.StaticPool": "sqlalchemy.pool.StaticPool",
}


def canonical(fq: str) -> str:
    """Reduce an external dotted name to its documented spelling (see ``ALIASES``)."""
    found = _CANONICAL.get(fq)
    if found is None:
        found = _CANONICAL[fq] = _canonical(fq)
    return found


_CANONICAL: dict[str, str] = {}


def _canonical(fq: str) -> str:
    for prefix in (fq, fq.rsplit(".", 1)[0], fq.rsplit(".", 2)[0]):
        target = ALIASES.get(prefix.rstrip("()"))
        if target is not None:
            rest = fq[len(prefix.rstrip("()")) :]
            return target + rest
    return fq


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a dotted name refers to.

    ``kind`` is one of: ``function`` (``rel``, ``qualname``), ``class`` (``instance`` says
    whether it is an instance of it), ``module`` (``rel``), ``value`` (a module-level variable
    ``qualname`` in ``rel``, with ``external`` its type when known), or ``external``
    (``external`` holds the dotted name outside the project, ``()`` marking instances).
    """

    kind: str
    rel: str = ""
    qualname: str = ""
    external: str = ""
    instance: bool = False


class Project:
    """All module summaries of one check, and resolution of names between them."""

    def __init__(self, summaries: dict[str, ModuleSummary]) -> None:
        self.modules = summaries
        self.dirs: set[str] = set()
        for rel in summaries:
            parent = posixpath.dirname(rel)
            while parent and parent not in self.dirs:
                self.dirs.add(parent)
                parent = posixpath.dirname(parent)
        self._roots: dict[str, list[str]] = {}
        self._memo: dict[tuple[str, str, str], Symbol | None] = {}
        self._members: dict[tuple[str, str], Symbol | None] = {}
        self._modules_memo: dict[tuple[str, str, int], str | None] = {}
        self._stars: dict[tuple[str, str], Symbol | None] = {}
        self._nested: dict[str, dict[str, list[str]]] = {}  # module -> function -> nested

    # -- modules ---------------------------------------------------------------------------

    def _is_package_dir(self, directory: str) -> bool:
        return f"{directory}/__init__.py" in self.modules

    def roots_for(self, rel: str) -> list[str]:
        """Plausible ``sys.path`` entries for a module, shallowest first."""
        directory = posixpath.dirname(rel)
        cached = self._roots.get(directory)
        if cached is not None:
            return cached
        chain = []
        current = directory
        while current:
            chain.append(current)
            current = posixpath.dirname(current)
        roots = [""] + [d for d in reversed(chain) if not self._is_package_dir(d)]
        roots += [d for d in ("src",) if d in self.dirs and d not in roots]
        self._roots[directory] = roots
        return roots

    def _module_at(self, base: str) -> str | None:
        if base + ".py" in self.modules:
            return base + ".py"
        if base + "/__init__.py" in self.modules:
            return base + "/__init__.py"
        if base in self.dirs:
            return base + "/"  # an implicit namespace package
        return None

    def resolve_module(self, dotted: str, importer: str, level: int = 0) -> str | None:
        """The module file (or ``dir/`` for a namespace package) that an import names."""
        key = (dotted, posixpath.dirname(importer), level)
        if key in self._modules_memo:
            return self._modules_memo[key]
        found = self._resolve_module(dotted, importer, level)
        self._modules_memo[key] = found
        return found

    def _resolve_module(self, dotted: str, importer: str, level: int) -> str | None:
        path = dotted.replace(".", "/") if dotted else ""
        if level:
            base = posixpath.dirname(importer)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            target = posixpath.join(base, path) if path else base
            if not path:
                return self._module_at(target) or (target + "/" if target else None)
            return self._module_at(target)
        for root in self.roots_for(importer):
            found = self._module_at(posixpath.join(root, path) if root else path)
            if found is not None:
                return found
        return None

    @staticmethod
    def package_dir(module: str) -> str:
        """The directory holding a module's submodules."""
        if module.endswith("/"):
            return module[:-1]
        if module.endswith("/__init__.py") or module == "__init__.py":
            return posixpath.dirname(module)
        return module[:-3]

    def submodule(self, module: str, name: str) -> str | None:
        """The submodule ``name`` of the package ``module``, if it exists."""
        if not module.endswith(("/", "__init__.py")):
            return None
        return self._module_at(posixpath.join(self.package_dir(module), name))

    def import_target(
        self, summary: ModuleSummary, imp: ImportInfo, depth: int = 0
    ) -> Symbol | None:
        """What an import binds: a project module, a project symbol, or an external name."""
        if imp.name is None:
            module_name = imp.module.split(".", 1)[0] if imp.binds_top else imp.module
            rel = self.resolve_module(module_name, summary.path)
            if rel is not None:
                return Symbol("module", rel)
            return Symbol("external", external=canonical(module_name))
        module = self.resolve_module(imp.module, summary.path, imp.level)
        if module is None:
            if imp.level:
                return None
            return Symbol("external", external=canonical(f"{imp.module}.{imp.name}"))
        # ``from pkg import name`` reads the package's attribute first, so a name that
        # ``pkg/__init__.py`` binds (``from pkg.router import router``) hides the submodule;
        # in the package itself (``from . import x``) the name is the submodule.
        package = self.modules.get(module)
        if module == summary.path or package is None or imp.name not in package.bindings:
            sub = self.submodule(module, imp.name)
            if sub is not None:
                return Symbol("module", sub)
        return self.member(module, imp.name, depth + 1)

    def import_closure(self, modules: Iterable[str]) -> set[str]:
        """``modules`` and every project module they import at module level, transitively."""
        seen = set(modules)
        pending = list(seen)
        while pending:
            summary = self.modules.get(pending.pop())
            if summary is None:
                continue
            for imp in summary.imports:
                if imp.scope != "module":
                    continue
                target = self.import_target(summary, imp)
                if target is None or not target.rel:
                    continue
                rel = target.rel
                if rel.endswith("/"):
                    continue  # a namespace package has no code of its own
                if rel not in seen and rel in self.modules:
                    seen.add(rel)
                    pending.append(rel)
        return seen

    # -- symbols ---------------------------------------------------------------------------

    def member(self, module: str, name: str, depth: int = 0) -> Symbol | None:
        """The top-level name ``name`` of a project module, following re-exports (memoized)."""
        key = (module, name)
        if key in self._members:
            return self._members[key]
        if depth > _MAX_DEPTH:
            return None  # cut off: not memoized, a shallower lookup may succeed
        result = self._member(module, name, depth)
        self._members[key] = result
        return result

    def _member(self, module: str, name: str, depth: int) -> Symbol | None:
        summary = self.modules.get(module)
        if summary is None:
            sub = self.submodule(module, name)
            return Symbol("module", sub) if sub else None
        binding = summary.bindings.get(name)
        if binding is None:
            sub = self.submodule(module, name)
            if sub is not None:
                return Symbol("module", sub)
            return self._star_member(summary, name, depth + 1)
        kind, value = binding
        if kind == "def":
            return Symbol("function", module, str(value))
        if kind == "class":
            return Symbol("class", module, str(value))
        if kind == "import":
            assert isinstance(value, int)  # invariant of the summary builder
            return self.import_target(summary, summary.imports[value], depth + 1)
        alias = summary.aliases.get(name)
        if alias is not None:
            return self._resolve(summary, None, alias[0], depth + 1) if alias[0] else None
        typed = None
        if isinstance(value, str):
            typed = self._resolve(summary, None, value, depth + 1)
        external = typed.external if typed is not None and typed.kind == "external" else ""
        return Symbol("value", module, name, external=external, instance=typed is not None)

    def _star_member(self, summary: ModuleSummary, name: str, depth: int) -> Symbol | None:
        """``name`` as bound by a ``from x import *`` of ``summary`` (the last one wins)."""
        if name.startswith("_") or depth > _MAX_DEPTH:
            return None
        key = (summary.path, name)
        if key in self._stars:
            return self._stars[key]
        self._stars[key] = None  # a cycle of star imports finds nothing
        found: Symbol | None = None
        for imp in reversed(summary.imports):
            if imp.alias != "*" or imp.scope == "function":
                continue
            module = self.resolve_module(imp.module, summary.path, imp.level)
            source = self.modules.get(module) if module is not None else None
            if source is None:
                continue
            if name in source.bindings:
                found = self.member(source.path, name, depth + 1)
            else:
                found = self._star_member(source, name, depth + 1)
            if found is not None:
                break
        self._stars[key] = found
        return found

    def alias_metadata(
        self, rel: str, function: FunctionInfo | None, dotted: str
    ) -> tuple[str, tuple[SimpleValue, ...]]:
        """The module and ``Annotated`` metadata of a type alias name, possibly imported.

        Names in the metadata resolve in the alias's own module, returned first.
        """
        summary = self.modules.get(rel)
        for _ in range(_MAX_DEPTH):
            if summary is None:
                return rel, ()
            head, _, rest = dotted.partition(".")
            if not rest and head in summary.aliases:
                return summary.path, summary.aliases[head][1]
            binding = summary.bindings.get(head)
            if binding is None or binding[0] != "import" or not isinstance(binding[1], int):
                return rel, ()
            imp = summary.imports[binding[1]]
            if imp.name is None:
                module = self.resolve_module(imp.module, summary.path, imp.level)
                if module is None or not rest:
                    return rel, ()
                summary, dotted = self.modules.get(module), rest
            else:
                module = self.resolve_module(imp.module, summary.path, imp.level)
                if module is None:
                    return rel, ()
                summary, dotted = self.modules.get(module), imp.name + (f".{rest}" if rest else "")
        return rel, ()

    def value_type(self, symbol: Symbol, depth: int = 0) -> Symbol | None:
        """The type of a module-level variable (``router = APIRouter()`` -> APIRouter())."""
        summary = self.modules.get(symbol.rel)
        if summary is None:
            return None
        binding = summary.bindings.get(symbol.qualname)
        if binding is None or not isinstance(binding[1], str):
            return None
        return self._resolve(summary, None, binding[1], depth + 1)

    def function(self, rel: str, qualname: str) -> FunctionInfo | None:
        """The function ``qualname`` of module ``rel``."""
        summary = self.modules.get(rel)
        return summary.functions.get(qualname) if summary else None

    def class_info(self, rel: str, qualname: str) -> ClassInfo | None:
        """The class ``qualname`` of module ``rel``."""
        summary = self.modules.get(rel)
        return summary.classes.get(qualname) if summary else None

    def closure(self, symbol: Symbol | None) -> Symbol | None:
        """What calling a factory returns when it defines exactly one nested function.

        ``def require(role): def check(...): ...; return check`` -> ``require.check``.
        """
        if symbol is None or symbol.kind != "function":
            return None
        nested = self._nested.get(symbol.rel)
        if nested is None:
            nested = self._nested[symbol.rel] = {}
            for fn in self.modules[symbol.rel].functions.values():
                if fn.parent is not None:
                    nested.setdefault(fn.parent, []).append(fn.qualname)
        inner = nested.get(symbol.qualname, [])
        return Symbol("function", symbol.rel, inner[0]) if len(inner) == 1 else None

    def resolve(self, rel: str, function: FunctionInfo | None, dotted: str) -> Symbol | None:
        """What ``dotted`` names when written inside ``function`` (or at module level)."""
        key = (rel, function.qualname if function else "", dotted)
        if key in self._memo:
            return self._memo[key]
        summary = self.modules.get(rel)
        result = self._resolve(summary, function, dotted, 0) if summary else None
        self._memo[key] = result
        return result

    def resolve_call(
        self, rel: str, function: FunctionInfo | None, call: CallSite
    ) -> Symbol | None:
        """What a call's callee names, using the type its first name had at that call."""
        if call.head is None:
            return self.resolve(rel, function, call.callee)
        if not call.head or call.head.startswith("import:"):
            return None if not call.head else self.resolve(rel, function, call.callee)
        rest = call.callee.partition(".")[2]
        return self.resolve(rel, function, f"{call.head}.{rest}" if rest else call.head)

    def _resolve(
        self, summary: ModuleSummary, function: FunctionInfo | None, dotted: str, depth: int
    ) -> Symbol | None:
        if depth > _MAX_DEPTH:
            return None
        tokens = dotted.split(".")
        head = tokens[0]
        called = head.endswith("()")
        if called:
            head = head[:-2]
        current = self._head(summary, function, head, depth)
        if current is None:
            return None
        if called:
            current = self._call(current, depth)
        for token in tokens[1:]:
            if current is None:
                return None
            called = token.endswith("()")
            name = token[:-2] if called else token
            current = self._attribute(current, name, depth)
            if called and current is not None:
                current = self._call(current, depth)
        return current

    def _head(
        self, summary: ModuleSummary, function: FunctionInfo | None, name: str, depth: int
    ) -> Symbol | None:
        fn = function
        while fn is not None:
            local = fn.local_types.get(name)
            if local is not None:
                if not local:
                    return None  # a local of unknown type shadows everything outside
                if local.startswith("import:"):
                    imp = summary.imports[int(local[7:])]
                    return self.import_target(summary, imp, depth + 1)
                return self._resolve(summary, None, local, depth + 1)
            nested = summary.functions.get(f"{fn.qualname}.{name}")
            if nested is not None and nested.parent == fn.qualname:
                return Symbol("function", summary.path, nested.qualname)
            if name in ("self", "cls") and fn.class_name:
                return Symbol("class", summary.path, fn.class_name, instance=name == "self")
            for param in fn.params:
                if param.name == name:
                    # no usable annotation: `db = Depends(get_db)` has get_db's type
                    return self._provided_type(summary, fn, param.default, depth + 1)
            fn = summary.functions.get(fn.parent) if fn.parent else None
        if name in summary.bindings:
            return self.member(summary.path, name, depth + 1)
        starred = self._star_member(summary, name, depth + 1)
        if starred is not None:
            return starred
        if name in _BUILTINS:
            return Symbol("external", external=name)
        return None

    def _provided_type(
        self, summary: ModuleSummary, fn: FunctionInfo, default: object, depth: int
    ) -> Symbol | None:
        """The type a ``Depends(provider)`` parameter receives: what the provider returns."""
        if not isinstance(default, CallRef) or not default.args:
            return None
        if default.func.rpartition(".")[2] not in ("Depends", "Security"):
            return None
        target = default.args[0]
        if not isinstance(target, Ref):
            return None
        provider = self._resolve(summary, fn, target.dotted, depth + 1)
        if provider is None:
            return None
        if provider.kind == "class":
            return Symbol("class", provider.rel, provider.qualname, instance=True)
        if provider.kind != "function":
            return None
        info = self.function(provider.rel, provider.qualname)
        owner = self.modules.get(provider.rel)
        if info is None or owner is None:
            return None
        if info.returns:
            returned = self._resolve(owner, None, info.returns, depth + 1)
            return self._call(returned) if returned is not None else None
        if info.yields:
            return self._resolve(owner, info, info.yields, depth + 1)
        return None

    def _call(self, symbol: Symbol, depth: int = 0) -> Symbol | None:
        if symbol.kind == "value":
            # calling a module-level object: SessionLocal() on SessionLocal = sessionmaker()
            typed = self.value_type(symbol, depth + 1)
            return (
                self._call(typed, depth + 1)
                if typed is not None and typed.kind != "value"
                else None
            )
        if symbol.kind == "class" and not symbol.instance:
            return Symbol("class", symbol.rel, symbol.qualname, instance=True)
        if symbol.kind == "external":
            return Symbol("external", external=symbol.external + "()")
        return None  # the return value of a function is not tracked

    def _attribute(self, symbol: Symbol, name: str, depth: int) -> Symbol | None:
        kind = symbol.kind
        if kind == "external":
            return Symbol("external", external=canonical(f"{symbol.external}.{name}"))
        if kind == "module":
            return self.member(symbol.rel, name, depth + 1)
        if kind == "class":
            return self._class_attribute(symbol, name, depth)
        if kind == "value":
            typed = self.value_type(symbol, depth + 1)
            return self._attribute(typed, name, depth + 1) if typed is not None else None
        return None

    def _class_attribute(self, symbol: Symbol, name: str, depth: int) -> Symbol | None:
        for rel, info in self.mro(symbol.rel, symbol.qualname, depth + 1):
            method = info.methods.get(name)
            if method is not None:
                return Symbol("function", rel, method)
            attr = info.attr_types.get(name)
            if attr is not None:
                owner = self.modules[rel]
                return self._resolve(owner, None, attr, depth + 1)
        # an external base class supplies the attribute
        for rel, info in self.mro(symbol.rel, symbol.qualname, depth + 1):
            for base in info.bases:
                resolved = self._resolve(self.modules[rel], None, base, depth + 1)
                if resolved is not None and resolved.kind == "external":
                    suffix = "()" if symbol.instance else ""
                    return Symbol("external", external=f"{resolved.external}{suffix}.{name}")
        return None

    def mro(self, rel: str, qualname: str, depth: int = 0) -> Iterator[tuple[str, ClassInfo]]:
        """The class and its project base classes, breadth first, each once."""
        if depth > _MAX_DEPTH:
            return
        seen: set[tuple[str, str]] = set()
        pending = [(rel, qualname)]
        while pending and len(seen) < 64:
            key = pending.pop(0)
            if key in seen:
                continue
            seen.add(key)
            info = self.class_info(*key)
            if info is None:
                continue
            yield key[0], info
            summary = self.modules[key[0]]
            for base in info.bases:
                resolved = self._resolve(summary, None, base, depth + 1)
                if resolved is not None and resolved.kind == "class":
                    pending.append((resolved.rel, resolved.qualname))
