"""``uvicorn.run(...)`` calls in code, read as start commands."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from fastapi_medic.env.commands import ServerCall

__all__ = ["uvicorn_runs"]

_KWARG_OPTIONS = {
    "host": "--host",
    "port": "--port",
    "app_dir": "--app-dir",
    "workers": "--workers",
}
_KWARG_FLAGS = {"reload": "--reload", "factory": "--factory"}


def uvicorn_runs(path: Path) -> Iterator[tuple[ServerCall, int]]:
    """Each ``uvicorn.run(app, host=..., ...)`` in ``path``, as a uvicorn call and its line.

    A non-string app (``uvicorn.run(app)``) becomes ``<module>:<name>`` of this file.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return
    module_names = {
        target.id
        for stmt in tree.body
        if isinstance(stmt, (ast.Assign, ast.AnnAssign))
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_uvicorn_run(node.func)):
            continue
        app: str | None = None
        if node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                app = first.value
            elif isinstance(first, ast.Name) and first.id in module_names:
                app = f"{path.stem}:{first.id}"  # a module-level app object of this file
        options: list[tuple[str, str | None]] = []
        for keyword in node.keywords:
            value = keyword.value
            literal = value.value if isinstance(value, ast.Constant) else None
            if keyword.arg in _KWARG_OPTIONS:
                options.append(
                    (_KWARG_OPTIONS[keyword.arg], None if literal is None else str(literal))
                )
                if literal is None:
                    options[-1] = (_KWARG_OPTIONS[keyword.arg], "<computed>")
            elif keyword.arg in _KWARG_FLAGS and literal is True:
                options.append((_KWARG_FLAGS[keyword.arg], None))
        yield (
            ServerCall("uvicorn", app=app, options=tuple(options), words=("uvicorn.run",)),
            node.lineno,
        )


def _is_uvicorn_run(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "run"
        and isinstance(func.value, ast.Name)
        and func.value.id == "uvicorn"
    )
