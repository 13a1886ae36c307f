"""Reads ``[tool.fastapi-medic]`` from pyproject.toml into a :class:`Config`.

The table looks like this (every key is optional)::

    [tool.fastapi-medic]
    select = ["ALL"]                  # codes or prefixes: ALL, MED, MED1, MED10, MED101
    extend-select = ["MED150"]        # added to select (how preview rules are turned on)
    ignore = ["MED4"]
    exclude = ["build/"]              # gitignore-style patterns; replace the built-in list
    extend-exclude = ["legacy/**"]    # added to exclude
    respect-gitignore = true
    fail-level = "warning"            # info, warning, error or critical
    max-file-bytes = 10000000
    max-workers = 4
    cache-dir = ".fastapi-medic-cache"

    [tool.fastapi-medic.per-file-ignores]
    "tests/**" = ["MED101"]

    [tool.fastapi-medic.severity]
    MED2 = "error"

    [tool.fastapi-medic.blocking]
    extend = ["mylib.slow_call"]      # more calls that block the event loop
    remove = ["time.sleep"]           # calls you do not want reported

    [tool.fastapi-medic.layers]       # top to bottom; empty means the built-in layers
    routers = ["app.routers"]
    services = ["app.services"]

``layers`` may also be a list whose items are a module pattern (the layer is named after it)
or an inline table ``{ name = "routers", modules = ["app.routers", "app/api"] }``.

File patterns (``exclude``, ``extend-exclude`` and the keys of ``per-file-ignores``) use
gitignore semantics, through :class:`pathspec.GitIgnoreSpec`, and are matched against posix
paths relative to :attr:`Config.root`: ``*`` stays inside one directory, ``**`` crosses them,
a pattern without a slash (``conftest.py``) matches at any depth, and a pattern with one
(``*/migrations/*.py``) is anchored at the root.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from fastapi_medic.errors import ConfigError
from fastapi_medic.findings import Severity
from fastapi_medic.registry import matches_selector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    # tomli exists only on 3.10 installs, so mypy may not find it when checking for 3.10.
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["TABLE", "Config", "find_config", "load_config"]

#: The pyproject.toml table fastapi-medic reads.
TABLE = "tool.fastapi-medic"

_SELECTOR = re.compile(r"^(?:ALL|MED\d{0,3})$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SEVERITIES = ", ".join(s.name.lower() for s in Severity)

# Fields that cannot change what a run finds, only how it runs or what exit code it gives.
_NOT_FINGERPRINTED = frozenset({"root", "fail_level", "cache_dir", "max_workers"})


def _dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _specificity(selector: str) -> int:
    # The longest selector wins, as in registry.iter_selected; ALL is the least specific.
    return 0 if selector == "ALL" else len(selector)


@functools.lru_cache(maxsize=512)
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything ``[tool.fastapi-medic]`` and the command line can set.

    ``select`` always includes ``extend_select``: constructing a Config appends the extra
    codes, so ``select`` alone is the selection to use.

    Attributes:
        root: the directory paths are reported relative to (the pyproject.toml's directory).
        select: codes or prefixes to check (``ALL``, ``MED``, ``MED1``, ``MED101``).
        ignore: codes or prefixes not to check; the longest selector wins.
        extend_select: codes added to ``select`` (how preview rules are turned on).
        per_file_ignores: (gitignore pattern, codes) pairs.
        severity: (code or prefix, severity) pairs overriding rule defaults.
        exclude: gitignore patterns of files not to examine; empty means the built-in list.
        extend_exclude: patterns excluded on top of ``exclude``.
        respect_gitignore: skip the files ``.gitignore`` excludes.
        fail_level: the lowest severity that makes a run fail.
        max_file_bytes: larger files are skipped.
        blocking_extend: dotted call names that also block the event loop.
        blocking_remove: dotted call names no longer treated as blocking.
        layers: (layer name, module or folder patterns) from top to bottom; empty means the
            built-in layers.
        max_workers: processes for parallel analysis; None lets fastapi-medic choose.
        cache_dir: cache directory, relative to ``root``.
    """

    root: Path = Path(".")
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    fail_level: Severity = Severity.WARNING
    max_file_bytes: int = 10_000_000
    blocking_extend: tuple[str, ...] = ()
    blocking_remove: tuple[str, ...] = ()
    layers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    max_workers: int | None = None
    cache_dir: str = ".fastapi-medic-cache"

    def __post_init__(self) -> None:
        object.__setattr__(self, "select", _dedupe(self.select + self.extend_select))

    def fingerprint(self) -> str:
        """A stable hex digest of every setting that can change what a run finds.

        ``root``, ``fail_level``, ``cache_dir`` and ``max_workers`` are left out: they change
        where or how fast a run goes, or its exit code, never its findings.
        """
        settings = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in _NOT_FINGERPRINTED
        }
        data = json.dumps(settings, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.blake2b(data, digest_size=16, person=b"fastapi-medic").hexdigest()

    def severity_for(self, code: str, default: Severity) -> Severity:
        """The configured severity of ``code``, or ``default`` when none is set.

        When several keys cover the code (``MED`` and ``MED101``), the longest one wins.
        """
        best: tuple[int, Severity] | None = None
        for selector, level in self.severity:
            if matches_selector(code, selector):
                rank = _specificity(selector)
                if best is None or rank > best[0]:
                    best = (rank, level)
        return default if best is None else best[1]

    def ignored_for_path(self, relpath: str) -> tuple[str, ...]:
        """Codes and prefixes that per-file-ignores switch off for one file.

        Args:
            relpath: the file's path relative to ``root``. Backslashes are read as
                separators, and an absolute path under ``root`` is made relative first.

        Returns:
            The selectors of every matching pattern, in configuration order.
        """
        path = _relative(relpath, self.root)
        codes: list[str] = []
        for pattern, selectors in self.per_file_ignores:
            if _spec(pattern).match_file(path):
                codes.extend(selectors)
        return _dedupe(tuple(codes))


def _relative(path: str, root: Path) -> str:
    posix = path.replace("\\", "/")
    if os.path.isabs(path):
        try:
            return Path(path).relative_to(Path(os.path.abspath(root))).as_posix()
        except ValueError:
            return posix
    return str(PurePosixPath(posix))


# --- finding and reading pyproject.toml ------------------------------------------------------


def _start_directory(start: Path) -> Path:
    # abspath rather than resolve: symlinked checkouts keep the paths the user typed.
    path = Path(os.path.abspath(start))
    return path.parent if path.is_file() else path


def _display(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except (OSError, ValueError):  # not under the working directory, or it was deleted
        return str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    name = _display(path)
    try:
        with path.open("rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{name}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: is not valid UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{name}: is not valid TOML: {error}") from None
    return document


def _our_table(document: Mapping[str, Any]) -> object | None:
    tool = document.get("tool")
    if not isinstance(tool, Mapping):
        return None
    return tool.get("fastapi-medic")


def _find(start: Path) -> tuple[Path, dict[str, Any]] | None:
    directory = _start_directory(start)
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            document = _read_toml(pyproject)
            if _our_table(document) is not None:
                return pyproject, document
        # A .git entry (a directory, or a file in worktrees) marks the top of the project.
        if (candidate / ".git").exists():
            return None
    return None


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.fastapi-medic]`` table, searching upwards.

    The search starts at ``start`` (its directory when it is a file) and stops after the
    first directory holding ``.git``, or at the filesystem root.

    Raises:
        ConfigError: a pyproject.toml on the way cannot be read or is not valid TOML.
    """
    found = _find(start)
    return None if found is None else found[0]


# --- validating values -----------------------------------------------------------------------


def _toml(value: object) -> str:
    """Render a value the way the user wrote it in TOML, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = [f"{_toml_key(str(k))} = {_toml(v)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


@dataclasses.dataclass(frozen=True)
class _Origin:
    """Where values come from, so that an error message points at them."""

    file: str | None  # None: the command line

    def error(self, key: str, value: object, problem: str) -> ConfigError:
        if self.file is None:
            return ConfigError(f"command line: --{key} {_toml(value)} {problem}")
        return ConfigError(f"{self.file}: [{TABLE}] {key} = {_toml(value)} {problem}")

    def unknown(self, table: str, key: str, valid: list[str]) -> ConfigError:
        close = difflib.get_close_matches(key, valid, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ";"
        where = f"{self.file}: [{table}]" if self.file else "command line:"
        return ConfigError(f'{where} unknown key "{key}"{hint} valid keys are {", ".join(valid)}')


_Parser = Callable[[_Origin, str, object], Any]


def _strings(origin: _Origin, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise origin.error(key, value, "is not a list of strings")
    return tuple(value)


def _code(origin: _Origin, key: str, value: object, code: str) -> str:
    normal = code.strip().upper()
    if not _SELECTOR.match(normal):
        problem = f"has {_toml(code)}, which is not ALL, MED or MED and 1 to 3 digits"
        raise origin.error(key, value, problem)
    return normal


def _codes(origin: _Origin, key: str, value: object) -> tuple[str, ...]:
    return _dedupe(tuple(_code(origin, key, value, code) for code in _strings(origin, key, value)))


def _check_pattern(origin: _Origin, key: str, value: object, pattern: str) -> None:
    problem = f"has {_toml(pattern)}, which is not a gitignore-style file pattern"
    if not pattern.strip() or pattern.startswith(("!", "#")):
        raise origin.error(key, value, problem)
    try:
        _spec(pattern)
    except ValueError:
        raise origin.error(key, value, problem) from None


def _patterns(origin: _Origin, key: str, value: object) -> tuple[str, ...]:
    patterns = _strings(origin, key, value)
    for pattern in patterns:
        _check_pattern(origin, key, value, pattern)
    return _dedupe(patterns)


def _dotted(origin: _Origin, key: str, value: object) -> tuple[str, ...]:
    names = _strings(origin, key, value)
    for name in names:
        if not _DOTTED.match(name):
            raise origin.error(
                key, value, f"has {_toml(name)}, which is not a dotted name like mylib.slow_call"
            )
    return _dedupe(names)


def _severity(origin: _Origin, key: str, value: object) -> Severity:
    if isinstance(value, str) and value.strip().upper() in Severity.__members__:
        return Severity[value.strip().upper()]
    raise origin.error(key, value, f"is not one of {_SEVERITIES}")


def _bool(origin: _Origin, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise origin.error(key, value, "is not true or false")
    return value


def _positive_int(origin: _Origin, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise origin.error(key, value, "is not a whole number of at least 1")
    return value


def _directory(origin: _Origin, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise origin.error(key, value, "is not a directory name")
    return value


def _table(origin: _Origin, key: str, value: object, shape: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise origin.error(key, value, f"is not a table of {shape}")
    return value


def _per_file_ignores(
    origin: _Origin, key: str, value: object
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    table = _table(origin, key, value, "file pattern = [codes]")
    pairs = []
    for pattern, codes in table.items():
        sub_key = f"{key}.{_toml_key(pattern)}"
        _check_pattern(origin, sub_key, codes, pattern)
        pairs.append((pattern, _codes(origin, sub_key, codes)))
    return tuple(pairs)


def _severity_table(origin: _Origin, key: str, value: object) -> tuple[tuple[str, Severity], ...]:
    table = _table(origin, key, value, 'code = "severity"')
    levels: dict[str, Severity] = {}
    for code, level in table.items():
        sub_key = f"{key}.{_toml_key(code)}"
        normal = _code(origin, sub_key, level, code)
        if normal in levels:
            raise origin.error(sub_key, level, f"repeats the code {normal}")
        levels[normal] = _severity(origin, sub_key, level)
    return tuple(levels.items())


def _module_patterns(origin: _Origin, key: str, value: object) -> tuple[str, ...]:
    patterns = (value,) if isinstance(value, str) else _strings(origin, key, value)
    if not patterns or any(not p.strip() or p != p.strip() or " " in p for p in patterns):
        raise origin.error(key, value, "is not a non-empty list of module or folder patterns")
    return _dedupe(patterns)


def _layer_item(origin: _Origin, key: str, item: object) -> tuple[str, tuple[str, ...]]:
    if isinstance(item, str):
        return item, _module_patterns(origin, key, item)
    shape = 'a module pattern or { name = "...", modules = [...] }'
    if not isinstance(item, Mapping) or set(item) != {"name", "modules"}:
        raise origin.error(key, item, f"is not {shape}")
    name = item["name"]
    if not isinstance(name, str) or not name.strip():
        raise origin.error(key, item, "has no layer name")
    return name, _module_patterns(origin, f"{key}.{_toml_key(name)}", item["modules"])


def _layers(origin: _Origin, key: str, value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if isinstance(value, Mapping):
        layers = [
            (str(name), _module_patterns(origin, f"{key}.{_toml_key(str(name))}", patterns))
            for name, patterns in value.items()
        ]
    elif isinstance(value, list):
        layers = [_layer_item(origin, key, item) for item in value]
    else:
        raise origin.error(key, value, "is not a table of layer = [patterns] or a list of layers")
    seen: set[str] = set()
    for name, _ in layers:
        if name in seen:
            raise origin.error(key, value, f"names the layer {_toml(name)} twice")
        seen.add(name)
    return tuple(layers)


# field name -> (TOML key, parser)
_FIELDS: dict[str, tuple[str, _Parser]] = {
    "select": ("select", _codes),
    "ignore": ("ignore", _codes),
    "extend_select": ("extend-select", _codes),
    "per_file_ignores": ("per-file-ignores", _per_file_ignores),
    "severity": ("severity", _severity_table),
    "exclude": ("exclude", _patterns),
    "extend_exclude": ("extend-exclude", _patterns),
    "respect_gitignore": ("respect-gitignore", _bool),
    "fail_level": ("fail-level", _severity),
    "max_file_bytes": ("max-file-bytes", _positive_int),
    "blocking_extend": ("blocking.extend", _dotted),
    "blocking_remove": ("blocking.remove", _dotted),
    "layers": ("layers", _layers),
    "max_workers": ("max-workers", _positive_int),
    "cache_dir": ("cache-dir", _directory),
}
_TOP_KEYS = {key: name for name, (key, _) in _FIELDS.items() if "." not in key}
_VALID_KEYS = sorted([*_TOP_KEYS, "blocking"])
_BLOCKING_KEYS = {"extend": "blocking_extend", "remove": "blocking_remove"}
# Command-line values for these fields add to the file's instead of replacing them.
_ADDITIVE = frozenset({"extend_select", "extend_exclude"})
_LIST_FIELDS = frozenset(
    name for name, (_, parse) in _FIELDS.items() if parse in {_codes, _patterns, _dotted}
)
_TABLE_FIELDS = frozenset({"per_file_ignores", "severity", "layers"})


def _from_table(origin: _Origin, table: object) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{origin.file}: [{TABLE}] is not a table")
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key == "blocking":
            blocking = _table(origin, key, raw, "extend = [...] and remove = [...]")
            for sub_key, sub_raw in blocking.items():
                if sub_key not in _BLOCKING_KEYS:
                    raise origin.unknown(f"{TABLE}.blocking", sub_key, sorted(_BLOCKING_KEYS))
                values[_BLOCKING_KEYS[sub_key]] = _dotted(origin, f"blocking.{sub_key}", sub_raw)
        elif key in _TOP_KEYS:
            name = _TOP_KEYS[key]
            values[name] = _FIELDS[name][1](origin, key, raw)
        else:
            raise origin.unknown(TABLE, key, _VALID_KEYS)
    return values


def _plain(value: object) -> object:
    """Turn tuples, sets and severities into the lists and strings TOML would give."""
    if isinstance(value, Severity):
        return value.name.lower()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [_plain(v) for v in sorted(value, key=str)]
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _as_raw(name: str, value: object) -> object:
    """Turn a command-line value into the shape the TOML parsers expect."""
    if isinstance(value, str) and name in _LIST_FIELDS:
        return [part.strip() for part in value.split(",") if part.strip()]
    if name in _TABLE_FIELDS and isinstance(value, (tuple, list)):
        pairs = [item for item in value if isinstance(item, (tuple, list)) and len(item) == 2]
        if len(pairs) == len(value):
            return {str(key): _plain(item) for key, item in pairs}
    return _plain(value)


def _apply_overrides(values: dict[str, Any], overrides: Mapping[str, object]) -> None:
    origin = _Origin(file=None)
    given: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in _FIELDS:
            raise origin.unknown("", name, sorted(_FIELDS))
        if value is not None:
            key = _FIELDS[name][0].replace(".", "-")
            given[name] = _FIELDS[name][1](origin, key, _as_raw(name, value))
    if "select" in given:
        # As in Ruff: a selection on the command line replaces the file's, extensions too.
        values.pop("extend_select", None)
    for name, parsed in given.items():
        values[name] = _dedupe(values.get(name, ()) + parsed) if name in _ADDITIVE else parsed


def load_config(start: Path, *, overrides: Mapping[str, object] | None = None) -> Config:
    """Read the configuration that applies to ``start`` (a file or a directory).

    Args:
        start: where to begin searching upwards for pyproject.toml (see :func:`find_config`).
        overrides: command-line values keyed by :class:`Config` field name; they replace the
            file's values, except ``extend_select`` and ``extend_exclude``, which add to them.
            A ``select`` here drops the file's ``extend-select``, as in Ruff. ``None`` values
            mean "not given" and are skipped; strings for list fields are split on commas.

    Returns:
        The configuration, with ``root`` the pyproject.toml's directory, or the directory of
        ``start`` when no pyproject.toml has a ``[tool.fastapi-medic]`` table.

    Raises:
        ConfigError: the file is unreadable or not TOML, or a key or value is not valid; the
            message names the file, the key and what is allowed.
    """
    found = _find(start)
    values: dict[str, Any] = {}
    if found is None:
        root = _start_directory(start)
    else:
        pyproject, document = found
        root = pyproject.parent
        values = _from_table(_Origin(file=_display(pyproject)), _our_table(document))
    if overrides:
        _apply_overrides(values, overrides)
    return Config(root=root, **values)
