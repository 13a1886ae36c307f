"""Static answers about a module-level attribute: defined? an ASGI app? a factory?

Nothing is imported: the module is parsed with :mod:`ast`, so the check runs on a machine
without the app's dependencies. Anything the parse cannot decide is ``UNKNOWN`` and never
reported.
"""

from __future__ import annotations

import ast
import enum
from pathlib import Path

__all__ = ["AppKind", "classify_attribute", "fastapi_apps"]

_APP_CLASSES = frozenset({"FastAPI", "Starlette", "Quart", "Litestar", "Sanic"})
_WSGI_CLASSES = frozenset({"Flask", "Bottle"})
_WSGI_FUNCS = frozenset({"get_wsgi_application"})


class AppKind(str, enum.Enum):
    """What a module-level name is, as far as its source shows."""

    APP = "app"
    FACTORY = "factory"
    MISSING = "missing"
    NOT_CALLABLE = "not-callable"
    WSGI = "wsgi"
    UNKNOWN = "unknown"


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def _bindings(tree: ast.Module) -> tuple[dict[str, ast.AST], bool]:
    """Top-level names -> the node that binds them last; and whether a star import exists."""
    names: dict[str, ast.AST] = {}
    star = False
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node.value if node.value is not None else node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    names[alias.asname or alias.name.split(".")[0]] = node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            stack[:0] = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            for handler in getattr(node, "handlers", []):
                stack[:0] = handler.body
    return names, star


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8-sig"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def classify_attribute(path: Path, attr: str) -> tuple[AppKind, int]:
    """What ``attr`` (dotted allowed; the first part is checked) is in module file ``path``.

    Returns:
        the kind and the 1-based line that binds it (1 when unknown or missing).
    """
    tree = _parse(path)
    if tree is None:
        return AppKind.UNKNOWN, 1
    names, star = _bindings(tree)
    # Names bound through globals() or setattr() are invisible to the parse.
    star = star or any(
        isinstance(n, ast.Call) and getattr(n.func, "id", None) in ("globals", "setattr", "vars")
        for n in ast.walk(tree)
    )
    first = attr.split(".", maxsplit=1)[0]
    node = names.get(first)
    if node is None:
        dynamic = star or "__getattr__" in names
        return (AppKind.UNKNOWN if dynamic else AppKind.MISSING), 1
    line = getattr(node, "lineno", 1)
    if "." in attr:
        return AppKind.UNKNOWN, line
    return _kind(node, names, depth=0), line


def _kind(node: ast.AST, names: dict[str, ast.AST], depth: int) -> AppKind:
    if depth > 5:
        return AppKind.UNKNOWN
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _function_kind(node)
    if isinstance(node, (ast.Constant, ast.List, ast.Dict, ast.Tuple, ast.Set, ast.JoinedStr)):
        return AppKind.NOT_CALLABLE
    if isinstance(node, ast.Name) and node.id in names and names[node.id] is not node:
        return _kind(names[node.id], names, depth + 1)
    name = _call_name(node) if isinstance(node, ast.expr) else None
    if name in _APP_CLASSES:
        return AppKind.APP
    if name in _WSGI_CLASSES or name in _WSGI_FUNCS:
        return AppKind.WSGI
    return AppKind.UNKNOWN


def _function_kind(node: ast.FunctionDef | ast.AsyncFunctionDef) -> AppKind:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    if isinstance(node, ast.AsyncFunctionDef) and len(positional) == 3:
        return AppKind.APP  # a bare ASGI callable: (scope, receive, send)
    if [a.arg for a in positional[:2]] == ["environ", "start_response"]:
        return AppKind.WSGI
    if required == 0 and not isinstance(node, ast.AsyncFunctionDef):
        return AppKind.FACTORY
    return AppKind.UNKNOWN


def fastapi_apps(path: Path) -> list[str]:
    """Module-level names bound to ``FastAPI(...)`` in ``path``, in ``dir()`` order."""
    tree = _parse(path)
    if tree is None:
        return []
    names, _ = _bindings(tree)
    return sorted(n for n, v in names.items() if _call_name(v) == "FastAPI")  # type: ignore[arg-type]
