"""Resolve a start command's import string the way its server would, without importing.

The module is looked for on the server's ``sys.path`` (working directory, ``--app-dir``,
``--chdir``, ``--pythonpath``, ``PYTHONPATH``), mapped from the container back to the
project's files through the Dockerfile's ``COPY`` lines. Name case is checked against the
directory entries, because a case-insensitive laptop finds ``Main.py`` for ``main``.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import posixpath
from pathlib import Path

from fastapi_medic.env.asgi import AppKind, classify_attribute, fastapi_apps
from fastapi_medic.env.start import StartCommand

__all__ = ["Resolution", "Status", "resolve"]

_FASTAPI_DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")


class Status(str, enum.Enum):
    """The outcome of resolving an import string."""

    OK = "ok"
    BAD_FORMAT = "bad-format"
    MODULE_MISSING = "module-missing"
    UNKNOWN = "unknown"


@dataclasses.dataclass(frozen=True)
class Resolution:
    """Where a start command's app comes from.

    Attributes:
        module: the module to import; attr: the attribute to load.
        status: whether the module was found; kind: what the attribute is.
        file: the module's local file; search: the local directories on sys.path.
        shown_dirs: those directories as the server sees them (``/srv``), for messages.
    """

    module: str | None
    attr: str | None
    status: Status
    kind: AppKind = AppKind.UNKNOWN
    file: Path | None = None
    attr_line: int = 1
    search: tuple[Path, ...] = ()
    shown_dirs: tuple[str, ...] = ()

    @property
    def import_string(self) -> str:
        """``module:attr``."""
        return f"{self.module}:{self.attr}" if self.attr else str(self.module)


def _split(command: StartCommand) -> tuple[str | None, str | None, bool]:
    """(module, attr, factory call syntax) of the command's app string."""
    call = command.call
    app = call.app
    if call.server == "gunicorn" and not app:
        app = command.env_value("GUNICORN_APP")
    if call.server == "uvicorn" and not app:
        app = command.env_value("UVICORN_APP")
    if not app:
        return None, None, False
    if ":" not in app:
        default = {"gunicorn": "application", "hypercorn": "app", "daphne": None}.get(call.server)
        return app, default, False
    module, _, attr = app.partition(":")
    factory_call = attr.endswith(")")
    return module, attr.split("(")[0], factory_call


def _search_dirs(command: StartCommand) -> list[str]:
    call = command.call
    dirs = ["."]
    for name in ("--app-dir",) if call.server == "uvicorn" else ("--pythonpath",):
        value = call.option(name) if call.server in ("uvicorn", "gunicorn") else None
        if value:
            dirs[:0] = value.split(",")
    pythonpath = command.env_value("PYTHONPATH")
    if pythonpath:
        dirs.extend(p for p in pythonpath.split(":") if p and "$" not in p)
    return dirs


def resolve(command: StartCommand, root: Path, installed_project: bool) -> Resolution | None:
    """Resolve ``command``'s app; None when the command names no app (``python -m x``)."""
    call = command.call
    if call.server == "fastapi":
        return _resolve_fastapi(command, root)
    if call.server == "python":
        return None
    module, attr, _ = _split(command)
    if module is None:
        return None
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return Resolution(module, attr, Status.BAD_FORMAT)
    if attr is None and call.server in ("uvicorn", "granian"):
        return Resolution(module, None, Status.BAD_FORMAT)
    dirs = _search_dirs(command)
    fallback = [root, root / "src"] if installed_project else []
    return _find(command, root, module, attr, dirs=dirs, fallback=fallback)


def _find(
    command: StartCommand,
    root: Path,
    module: str,
    attr: str | None,
    *,
    dirs: list[str],
    fallback: list[Path],
) -> Resolution:
    parts = module.split(".")
    candidates = ["/".join(parts) + ".py", "/".join([*parts, "__init__.py"])]
    unknown = False
    local_dirs: list[Path] = []
    shown = tuple(posixpath.normpath(posixpath.join(command.workdir, d)) for d in dirs)
    for directory in dirs:
        base = command.local_path(directory, root)
        if isinstance(base, Path):
            local_dirs.append(base)
        for candidate in candidates:
            found = command.local_path(posixpath.join(directory, candidate), root)
            if found is None:
                unknown = True
            elif isinstance(found, Path) and found.is_file() and _exact_case(found, len(parts)):
                return _with_attr(module, attr, found, tuple(local_dirs), shown)
    for base in fallback:
        for candidate in candidates:
            path = base / candidate
            if path.is_file() and _exact_case(path, len(parts)):
                return _with_attr(module, attr, path, tuple(local_dirs), shown)
    status = Status.UNKNOWN if unknown else Status.MODULE_MISSING
    return Resolution(module, attr, status, search=tuple(local_dirs), shown_dirs=shown)


def _with_attr(
    module: str, attr: str | None, path: Path, search: tuple[Path, ...], shown: tuple[str, ...]
) -> Resolution:
    if attr is None:
        return Resolution(module, attr, Status.OK, file=path, search=search, shown_dirs=shown)
    kind, line = classify_attribute(path, attr)
    return Resolution(module, attr, Status.OK, kind, path, line, search, shown)


def _exact_case(path: Path, depth: int) -> bool:
    """True when the last ``depth`` components (plus the file) match the disk's case."""
    node = path
    for _ in range(depth + (1 if path.name == "__init__.py" else 0)):
        try:
            if node.name not in os.listdir(node.parent):
                return False
        except OSError:
            return False
        node = node.parent
    return True


def _pyproject_entrypoint(command: StartCommand, root: Path) -> str | None:
    """``[tool.fastapi] entrypoint`` of the pyproject.toml in the working directory."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    local = command.local_path("pyproject.toml", root)
    if not isinstance(local, Path) or not local.is_file():
        return None
    try:
        data = tomllib.loads(local.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    entry = ((data.get("tool") or {}).get("fastapi") or {}).get("entrypoint")
    return entry if isinstance(entry, str) else None


def _resolve_fastapi(command: StartCommand, root: Path) -> Resolution | None:
    """``fastapi run [PATH] [--app NAME] [--entrypoint mod:attr]``, as fastapi-cli does."""
    call = command.call
    entry = call.option("--entrypoint", "-e")
    if entry is None and call.app and ":" in call.app and not call.app.endswith(".py"):
        entry = call.app  # [tool.fastapi] entrypoint
    if entry:
        module, _, entry_attr = entry.partition(":")
        return _find(command, root, module, entry_attr or "app", dirs=["."], fallback=[])
    path = call.app
    if path is None:
        entry = _pyproject_entrypoint(command, root)
        if entry:
            module, _, entry_attr = entry.partition(":")
            return _find(command, root, module, entry_attr or "app", dirs=["."], fallback=[])
        for default in _FASTAPI_DEFAULT_FILES:
            if isinstance(command.local_path(default, root), Path):
                path = default
                break
        else:
            unknown = any(command.local_path(d, root) is None for d in _FASTAPI_DEFAULT_FILES)
            status = Status.UNKNOWN if unknown else Status.MODULE_MISSING
            return Resolution("main", "app", status)
    local = command.local_path(path, root)
    if not isinstance(local, Path):
        status = Status.UNKNOWN if local is None else Status.MODULE_MISSING
        return Resolution(path.removesuffix(".py").replace("/", "."), "app", status)
    if local.is_dir():
        local = local / "__init__.py"
    module_parts = [local.stem] if local.name != "__init__.py" else []
    parent = local.parent
    while (parent / "__init__.py").is_file() and parent != parent.parent:
        module_parts.insert(0, parent.name)
        parent = parent.parent
    module = ".".join(module_parts) or local.parent.name
    attr: str | None = call.option("--app")
    if attr is None:
        names = fastapi_apps(local)
        attr = next((n for n in ("app", "api") if n in names), names[0] if names else "app")
    return _with_attr(module, attr, local, (parent,), (parent.name,))
