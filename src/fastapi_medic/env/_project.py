"""The project being checked: its files, read once, with positions for findings.

A config file that cannot be read or parsed becomes a MED699 finding here, never a crash.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from fastapi_medic.env._yaml import YamlDoc, load_yaml
from fastapi_medic.findings import Finding, Location

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["SKIP_DIRS", "Project"]

T = TypeVar("T")

#: Directories never scanned for Python code: tooling, vendored code, tests and docs.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        "env",
        ".env",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        "site-packages",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "tests",
        "test",
        "testing",
        "docs",
        "examples",
        "scripts",
        "benchmarks",
        "migrations",
        "alembic",
    }
)
_MAX_PY_FILES = 5000
_MAX_BYTES = 2_000_000


@dataclasses.dataclass
class Project:
    """Files of the project at ``root``, cached, plus the problems met while reading them.

    Attributes:
        root: the project directory; finding paths are relative to it.
        environ: the environment variables of the process being checked.
        problems: MED699 findings for config files that could not be parsed.
    """

    root: Path
    environ: Mapping[str, str]
    problems: list[Finding] = dataclasses.field(default_factory=list)
    _texts: dict[str, str | None] = dataclasses.field(default_factory=dict)
    _py: list[Path] | None = None

    def path(self, rel: str) -> Path:
        """The absolute path of ``rel`` (a posix path relative to the root)."""
        return self.root / rel

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, in posix form (absolute when outside it)."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def exists(self, rel: str) -> bool:
        """True when ``rel`` is a regular file of the project."""
        return (self.root / rel).is_file()

    def text(self, rel: str) -> str | None:
        """The text of ``rel``, or None when it does not exist or cannot be read."""
        if rel not in self._texts:
            path = self.root / rel
            text: str | None = None
            if path.is_file():
                try:
                    if path.stat().st_size <= _MAX_BYTES:
                        text = path.read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError) as exc:
                    self.unparsable(rel, 1, f"cannot read it: {type(exc).__name__}")
            self._texts[rel] = text
        return self._texts[rel]

    def loc(self, rel: str, line: int = 1) -> Location:
        """A location in ``rel``."""
        return Location(rel, max(line, 1))

    def line_of(self, rel: str, pattern: str, *, default: int = 1) -> int:
        """The 1-based line of ``rel`` where regex ``pattern`` first matches."""
        text = self.text(rel) or ""
        regex = re.compile(pattern)
        for number, line in enumerate(text.splitlines(), start=1):
            if regex.search(line):
                return number
        return default

    def unparsable(self, rel: str, line: int, why: str) -> None:
        """Record that config file ``rel`` could not be used."""
        from fastapi_medic.env.rules import ConfigUnparsable

        self.problems.append(
            ConfigUnparsable.finding(
                f"{rel} cannot be parsed: {why}"[:79],
                location=self.loc(rel, line),
                fix="Fix the file's syntax so the platform and fastapi-medic can read it.",
            )
        )

    def safely(self, rel: str, produce: Callable[[], Iterable[T]]) -> list[T]:
        """The items ``produce`` yields; a file whose parsed structure is not the expected
        one (a string where a table belongs) is recorded against ``rel`` instead of crashing."""
        try:
            return list(produce())
        except (AttributeError, TypeError, ValueError, KeyError, IndexError):
            self.unparsable(rel, 1, "unexpected structure")
            return []

    def toml(self, rel: str) -> dict[str, Any] | None:
        """``rel`` parsed as TOML, or None (missing, or unparsable: recorded)."""
        text = self.text(rel)
        if text is None:
            return None
        try:
            data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_in_message(str(exc))
            self.unparsable(rel, line, "invalid TOML")
            return None
        return data

    def yaml(self, rel: str) -> YamlDoc | None:
        """``rel`` parsed as YAML with every scalar kept as a string, or None."""
        text = self.text(rel)
        if text is None:
            return None
        try:
            return load_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.unparsable(rel, (mark.line + 1) if mark else 1, "invalid YAML")
            return None

    def json(self, rel: str) -> Any:
        """``rel`` parsed as JSON, or None."""
        text = self.text(rel)
        if text is None:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            self.unparsable(rel, exc.lineno, "invalid JSON")
            return None

    @property
    def files_read(self) -> int:
        """How many files were examined: config files read plus Python files scanned."""
        python = set(self._py or ())
        config = {rel for rel, text in self._texts.items() if text is not None}
        return len(python) + len({c for c in config if self.root / c not in python})

    def python_files(self) -> list[Path]:
        """The project's own Python files, without tests, tooling and virtualenvs."""
        if self._py is None:
            self._py = sorted(_walk_python(self.root))[:_MAX_PY_FILES]
        return self._py


def _line_in_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def _walk_python(root: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        here = Path(directory)
        if here != root and (here / "pyvenv.cfg").exists():
            dirs[:] = []
            continue
        for name in files:
            if name.endswith(".py") and not name.startswith("test_") and name != "conftest.py":
                yield here / name
