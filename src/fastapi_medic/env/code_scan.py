"""One pass over the project's code for what the environment checks need.

Imports (outside ``TYPE_CHECKING`` and ``try/except ImportError``), FastAPI features with
optional packages, the engines built, environment variables read, and settings classes.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from pathlib import Path

from fastapi_medic.env._project import SKIP_DIRS, Project
from fastapi_medic.findings import Location

__all__ = ["CodeFacts", "EnvRead", "scan_code"]

_FEATURES = {
    "Form": "form",
    "File": "form",
    "UploadFile": "form",
    "EmailStr": "email",
    "NameEmail": "email",
    "Jinja2Templates": "templates",
}
_REWRITE = re.compile(r"^(postgres|postgresql|mysql|sqlite)(\+\w+)?:(//)?$")
_WEBSOCKET_ROUTES = frozenset(
    {"websocket", "websocket_route", "add_api_websocket_route", "add_websocket_route"}
)
_OPTIONAL_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "Exception"})


@dataclasses.dataclass(frozen=True)
class EnvRead:
    """The code reads environment variable ``name``.

    Attributes:
        required: read without a default (``os.environ["X"]``, a required settings field).
        default: the literal default, when one is given.
        as_bool: the raw text is used as a truth value (``bool(os.getenv("X"))``).
    """

    name: str
    location: Location
    required: bool = False
    default: str | None = None
    as_bool: bool = False


@dataclasses.dataclass
class CodeFacts:
    """What the code shows."""

    imports: dict[str, Location] = dataclasses.field(default_factory=dict)
    features: dict[str, Location] = dataclasses.field(default_factory=dict)
    engines: dict[str, Location] = dataclasses.field(default_factory=dict)
    reads: list[EnvRead] = dataclasses.field(default_factory=list)
    local_names: set[str] = dataclasses.field(default_factory=set)
    #: scheme literals such as "postgresql+asyncpg://": the code rewrites its URLs itself
    rewrites: set[str] = dataclasses.field(default_factory=set)


def scan_code(project: Project) -> CodeFacts:
    """Scan every Python file of the project once."""
    facts = CodeFacts(local_names=_local_names(project.root))
    for path in project.python_files():
        try:
            source = path.read_text(encoding="utf-8-sig")
            tree = ast.parse(source, filename=str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue  # the static checks report unparsable files
        _scan_module(project.rel(path), source, tree, facts)
    return facts


def _local_names(root: Path) -> set[str]:
    """Top-level names the project itself provides (its packages and modules, at any depth)."""
    names: set[str] = set()
    for _, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        names.update(dirs)
        names.update(f[:-3] for f in files if f.endswith(".py"))
        if len(names) > 50000:
            break
    names.discard(Path(root).name)
    return names


def _scan_module(rel: str, source: str, tree: ast.Module, facts: CodeFacts) -> None:
    """Imports and features from the statements, then one walk over the expressions, taken
    only when the text mentions something the walk looks for (most files mention nothing)."""
    _statements(rel, tree.body, facts, optional=False)
    wants_env = "environ" in source or "getenv" in source
    wants_settings = "BaseSettings" in source
    wants_url = "://" in source or "postgres" in source
    wants_ws = "websocket" in source
    if not (wants_env or wants_settings or wants_url or wants_ws):
        return
    wrappers = _wrappers(tree) if wants_env else frozenset()
    functions: list[tuple[int, int]] = []
    guarded: set[str] = set()
    subscripts: list[tuple[str, ast.Subscript]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            body = node.body if isinstance(node.body, list) else [node.body]
            functions.append((body[0].lineno, node.end_lineno or body[0].lineno))
        elif isinstance(node, ast.Call):
            if wants_env:
                _env_call(rel, node, facts, wrappers, guarded)
            func = node.func
            if wants_ws and isinstance(func, ast.Attribute) and func.attr in _WEBSOCKET_ROUTES:
                facts.features.setdefault("websocket", _loc(rel, node))
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if (wants_env and _is_environ(node.value) and isinstance(node.ctx, ast.Load)
                    and isinstance(key, ast.Constant) and isinstance(key.value, str)):  # fmt: skip
                subscripts.append((key.value, node))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            if any(_is_environ(c) for c in node.comparators):
                guarded.add(str(node.left.value))
        elif isinstance(node, ast.ClassDef) and wants_settings:
            from fastapi_medic.env.settings_model import settings_reads

            facts.reads.extend(settings_reads(node, rel))
        elif isinstance(node, ast.Constant) and wants_url and _is_rewrite(node.value):
            facts.rewrites.add(str(node.value))
    for name, node in subscripts:
        # Only a read that runs at import stops the process before it serves; a read the
        # module also guards ("X" in os.environ, os.getenv("X")) is optional.
        at_import = not any(a <= node.lineno <= b for a, b in functions)
        required = at_import and name not in guarded
        facts.reads.append(EnvRead(name, _loc(rel, node), required=required))


def _is_rewrite(value: object) -> bool:
    return isinstance(value, str) and len(value) < 40 and bool(_REWRITE.match(value))


def _loc(rel: str, node: ast.AST) -> Location:
    return Location(rel, getattr(node, "lineno", 1), getattr(node, "col_offset", 0))


def _statements(rel: str, body: list[ast.stmt], facts: CodeFacts, *, optional: bool) -> None:
    """Walk statements only, for imports and whether an import is optional."""
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if not optional:
                _import(rel, stmt, facts)
        elif isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
            _statements(rel, stmt.orelse, facts, optional=optional)
        elif isinstance(stmt, ast.Try):
            guarded = optional or any(_catches_import_error(h) for h in stmt.handlers)
            _statements(rel, stmt.body, facts, optional=guarded)
            for part in (*[h.body for h in stmt.handlers], stmt.orelse, stmt.finalbody):
                _statements(rel, part, facts, optional=optional)
        else:
            for field in ("body", "orelse", "finalbody"):
                nested = getattr(stmt, field, None)
                if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                    _statements(rel, nested, facts, optional=optional)
            for case in getattr(stmt, "cases", ()):
                _statements(rel, case.body, facts, optional=optional)


def _is_type_checking(test: ast.expr) -> bool:
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
    return name == "TYPE_CHECKING"


def _import(rel: str, stmt: ast.Import | ast.ImportFrom, facts: CodeFacts) -> None:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            facts.imports.setdefault(alias.name.split(".")[0], _loc(rel, stmt))
        return
    if stmt.level or not stmt.module:
        return
    top = stmt.module.split(".")[0]
    facts.imports.setdefault(top, _loc(rel, stmt))
    for alias in stmt.names:
        feature = _FEATURES.get(alias.name)
        if feature and top in ("fastapi", "pydantic", "starlette"):
            facts.features.setdefault(feature, _loc(rel, stmt))
        if alias.name in ("create_async_engine", "async_engine_from_config"):
            facts.engines.setdefault("async", _loc(rel, stmt))
        if alias.name in ("create_engine", "engine_from_config"):
            facts.engines.setdefault("sync", _loc(rel, stmt))


def _env_call(
    rel: str, node: ast.Call, facts: CodeFacts, wrappers: frozenset[str], guarded: set[str]
) -> None:
    read = _env_read(node)
    if read is not None:
        guarded.add(read[0])
    read = read or _wrapper_read(node, wrappers)
    if read is not None:
        facts.reads.append(EnvRead(read[0], _loc(rel, node), False, read[1]))
    func = node.func
    if (isinstance(func, ast.Name) and func.id == "bool" and node.args
            and isinstance(node.args[0], ast.Call)):  # fmt: skip
        inner = _env_read(node.args[0])
        if inner is not None:
            facts.reads.append(EnvRead(inner[0], _loc(rel, node), False, inner[1], True))


def _wrappers(tree: ast.Module) -> frozenset[str]:
    """Module functions that only return ``os.environ.get(<their first parameter>, ...)``."""
    names = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.args.args or len(node.body) > 3:
            continue
        first = node.args.args[0].arg
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and inner.args:
                arg = inner.args[0]
                func = inner.func
                getter = isinstance(func, ast.Attribute) and (
                    func.attr == "getenv" or (func.attr == "get" and _is_environ(func.value))
                )
                if getter and isinstance(arg, ast.Name) and arg.id == first:
                    names.add(node.name)
    return frozenset(names)


def _wrapper_read(node: ast.Call, wrappers: frozenset[str]) -> tuple[str, str | None, bool] | None:
    func = node.func
    if not (isinstance(func, ast.Name) and func.id in wrappers and node.args):
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    default = None
    if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
        default = str(node.args[1].value) if isinstance(node.args[1].value, str) else None
    return first.value, default, False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds] if kinds else []
    return any(isinstance(n, ast.Name) and n.id in _OPTIONAL_EXCEPTIONS for n in names) or not names


def _is_environ(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _env_read(node: ast.Call) -> tuple[str, str | None, bool] | None:
    """(name, literal default, required) of ``os.getenv(...)`` / ``os.environ.get(...)``."""
    func = node.func
    is_getenv = (
        isinstance(func, ast.Attribute)
        and func.attr == "getenv"
        and isinstance(func.value, ast.Name)
        and func.value.id == "os"
    ) or (isinstance(func, ast.Name) and func.id == "getenv")
    is_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)
    if not (is_getenv or is_get) or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    default: str | None = None
    if len(node.args) > 1:
        second = node.args[1]
        if isinstance(second, ast.Constant) and isinstance(second.value, str):
            default = second.value
    return first.value, default, False
