"""Finds and imports the user's ASGI app, the way the ``fastapi`` command line does.

Resolution (:func:`resolve_target`) only reads files, so it runs in the fastapi-medic process;
the import itself (:func:`import_app`) runs in the child process that serves the app.

An explicit ``--app`` is ``module:attr``, ``module`` or ``path/to/file.py:attr``. Without it,
``[tool.fastapi] entrypoint`` in ``pyproject.toml`` wins, then the first of ``main.py``,
``app.py``, ``api.py``, ``app/main.py``, ``app/app.py``, ``app/api.py``. The module name comes
from the file's package chain (every parent with an ``__init__.py``), and the directory above
the top package goes on ``sys.path``. In the module, ``app`` then ``api`` then any FastAPI
instance is used; a function without required parameters that returns an app (a factory such
as ``create_app``) works too.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

from fastapi_medic.errors import AppImportError, UsageError

__all__ = ["CANDIDATES", "AppTarget", "import_app", "resolve_target"]

#: Files the ``fastapi`` command line looks for, in its order.
CANDIDATES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
_PREFERRED = ("app", "api")
_FACTORIES = ("create_app", "get_app", "make_app", "app_factory", "build_app")


@dataclasses.dataclass(frozen=True)
class AppTarget:
    """Where the app is: the ``sys.path`` entry, the module and (if known) the attribute."""

    root: Path
    module: str
    attr: str | None = None

    @property
    def spec(self) -> str:
        """``module:attr`` (or just the module when the attribute is still to be found)."""
        return f"{self.module}:{self.attr}" if self.attr else self.module


def _module_from_file(file: Path) -> tuple[Path, str]:
    """The ``sys.path`` root and dotted module name of ``file`` (FastAPI CLI's rule)."""
    file = file.resolve()
    parts = [] if file.stem == "__init__" else [file.stem]
    directory = file.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return directory, ".".join(parts)


def _pyproject_entrypoint(directory: Path) -> str | None:
    path = directory / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = data.get("tool", {}).get("fastapi", {}).get("entrypoint")
    return entry if isinstance(entry, str) and entry.strip() else None


def _from_spec(directory: Path, spec: str) -> AppTarget:
    module, _, attr = spec.strip().partition(":")
    if not module:
        raise UsageError(f"--app {spec!r}: give it as module:attr, e.g. app.main:app")
    if module.endswith(".py") or "/" in module or "\\" in module:
        file = (directory / module).resolve()
        if not file.is_file():
            raise UsageError(f"--app {spec!r}: {file.name} does not exist")
        root, name = _module_from_file(file)
        return AppTarget(root=root, module=name, attr=attr or None)
    return AppTarget(root=directory.resolve(), module=module, attr=attr or None)


def resolve_target(path: Path, app: str | None = None) -> AppTarget:
    """Decide which module holds the app under ``path`` (a directory or a ``.py`` file).

    Raises:
        UsageError: ``path`` does not exist or ``app`` is malformed.
        AppImportError: no candidate file holds an app.
    """
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    directory = path if path.is_dir() else path.parent
    if app:
        return _from_spec(directory, app)
    if path.is_file():
        root, name = _module_from_file(path)
        return AppTarget(root=root, module=name)
    entry = _pyproject_entrypoint(path)
    if entry:
        return _from_spec(path, entry)
    for candidate in CANDIDATES:
        file = path / candidate
        if file.is_file():
            root, name = _module_from_file(file)
            return AppTarget(root=root, module=name)
    looked = ", ".join(CANDIDATES)
    raise AppImportError(f"no app found in {path} (looked for {looked}); pass --app module:attr")


def _is_asgi_app(obj: object) -> bool:
    try:
        from starlette.applications import Starlette
    except ImportError:  # pragma: no cover - starlette comes with fastapi
        return False
    return isinstance(obj, Starlette)


def _call_factory(name: str, obj: Any) -> Any:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    required = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if required:
        return None
    result = obj()
    if inspect.isawaitable(result):
        raise AppImportError(f"factory {name}() is async; give the app object with --app")
    return result if _is_asgi_app(result) else None


def _pick(module: Any, target: AppTarget) -> tuple[Any, str]:
    names = dir(module)
    if target.attr:
        if not hasattr(module, target.attr):
            raise AppImportError(f"module {target.module} has no attribute {target.attr!r}")
        obj = getattr(module, target.attr)
        if _is_asgi_app(obj):
            return obj, target.attr
        if callable(obj):
            made = _call_factory(target.attr, obj)
            if made is not None:
                return made, f"{target.attr}()"
        raise AppImportError(f"{target.spec} is not a FastAPI or Starlette app")
    for name in (*_PREFERRED, *names):
        if name in names and _is_asgi_app(getattr(module, name)):
            return getattr(module, name), name
    for name in _FACTORIES:
        if callable(getattr(module, name, None)):
            made = _call_factory(name, getattr(module, name))
            if made is not None:
                return made, f"{name}()"
    raise AppImportError(f"no FastAPI app in {target.module}; pass --app {target.module}:NAME")


def import_app(target: AppTarget) -> tuple[Any, str]:
    """Import ``target`` and return the app and its ``module:attr`` spelling.

    Exceptions raised by the user's module propagate unchanged (the caller describes them
    with their traceback); a module or attribute that does not exist is an AppImportError.

    Raises:
        AppImportError: the module or attribute does not exist, or is not an app.
    """
    root = str(target.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(target.module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        own = missing == target.module or target.module.startswith(missing + ".")
        if own and _only_import_machinery(exc):
            # the entry module itself is missing, not something it imports
            raise AppImportError(
                f"cannot import {target.module} from {target.root}: no such module"
            ) from None
        raise
    app, name = _pick(module, target)
    return app, f"{target.module}:{name}"


def _only_import_machinery(exc: BaseException) -> bool:
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<frozen") and "importlib" not in filename:
            return False
        tb = tb.tb_next
    return True
