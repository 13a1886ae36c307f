"""Finds the Python files to check: honours ``.gitignore``, config excludes, and skips
virtualenvs, ``node_modules``, build and cache directories."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pathspec

__all__ = ["SKIPPED_DIRS", "discover"]

#: Directory names never descended into.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        ".tox",
        ".nox",
        ".eggs",
        "node_modules",
        "__pycache__",
        "__pypackages__",
        "site-packages",
        "dist-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".fastapi-medic-cache",
        "build",
        "dist",
        "_build",
        "buck-out",
    }
)


def _spec(lines: Sequence[str]) -> pathspec.GitIgnoreSpec | None:
    lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _read_gitignore(directory: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            return _spec(fh.read().splitlines())
    except OSError:
        return None


def discover(
    root: Path,
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> list[Path]:
    """Return the ``.py`` files under ``paths`` (absolute, sorted, each once).

    A file named explicitly is always returned; directories are walked, pruning skipped,
    git-ignored and excluded directories. ``exclude`` holds gitignore-style patterns relative
    to ``root``.
    """
    excluded = _spec(list(exclude))
    seen: set[Path] = set()
    out: list[Path] = []
    for given in paths:
        start = given.resolve()
        if start.is_file():
            if start not in seen:
                seen.add(start)
                out.append(start)
            continue
        specs: dict[str, pathspec.GitIgnoreSpec] = {}
        if respect_gitignore:
            # .gitignore files above the starting directory, up to the root, still apply
            for parent in reversed(start.parents):
                if parent == root or root in parent.parents:
                    spec = _read_gitignore(str(parent))
                    if spec is not None:
                        specs[str(parent)] = spec
        for dirpath, dirnames, filenames in os.walk(start):
            if respect_gitignore:
                local = _read_gitignore(dirpath)
                if local is not None:
                    specs[dirpath] = local
            scope = [
                (base, spec)
                for base, spec in specs.items()
                if dirpath == base or dirpath.startswith(base + os.sep)
            ]

            def ignored(
                name: str,
                is_dir: bool,
                dirpath: str = dirpath,
                scope: list[tuple[str, pathspec.GitIgnoreSpec]] = scope,
            ) -> bool:
                full = os.path.join(dirpath, name)
                for base, spec in scope:
                    if not full.startswith(base):
                        continue
                    rel = os.path.relpath(full, base).replace(os.sep, "/")
                    if spec.match_file(rel + "/" if is_dir else rel):
                        return True
                if excluded is not None:
                    rel = os.path.relpath(full, root).replace(os.sep, "/")
                    if excluded.match_file(rel + "/" if is_dir else rel):
                        return True
                return False

            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in SKIPPED_DIRS
                and not d.endswith(".egg-info")
                and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
                and not ((scope or excluded is not None) and ignored(d, True))
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                if (scope or excluded is not None) and ignored(name, False):
                    continue
                full_path = Path(dirpath, name)
                if full_path not in seen:
                    seen.add(full_path)
                    out.append(full_path)
    return out
