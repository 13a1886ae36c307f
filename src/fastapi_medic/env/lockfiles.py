"""Readers for lock files: which distributions each pins for a production install."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from packaging.utils import canonicalize_name

from fastapi_medic.env._project import Project
from fastapi_medic.env.locks import Pin

__all__ = ["read_lock"]


def read_lock(project: Project, rel: str) -> list[Pin] | None:
    """The production pins of lock file ``rel``, or None when it cannot be read."""
    if rel == "Pipfile.lock":
        data = project.json(rel)
        return list(_pipfile_lock(project, data)) if isinstance(data, dict) else None
    toml = project.toml(rel)
    if toml is None:
        return None
    reader = {"uv.lock": _uv, "poetry.lock": _poetry, "pdm.lock": _pdm, "pylock.toml": _pylock}
    return list(reader[rel](project, rel, toml))


def _line(project: Project, rel: str, name: str) -> int:
    return project.line_of(rel, rf'^\s*name\s*=\s*"{re.escape(name)}"', default=1)


def _make(project: Project, rel: str, name: str, version: str, marker: str | None) -> Pin:
    return Pin(
        canonicalize_name(name),
        name,
        f"=={version}" if version else "",
        project.loc(rel, _line(project, rel, name)),
        rel,
        marker,
    )


def _uv(project: Project, rel: str, data: dict[str, Any]) -> Iterator[Pin]:
    """uv.lock: walk from the project's own packages along non-dev edges, markers kept."""
    packages = [p for p in data.get("package") or [] if isinstance(p, dict)]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(canonicalize_name(str(package.get("name", ""))), []).append(package)
    roots = [p for p in packages if set(p.get("source") or {}) & {"virtual", "editable"}]
    if not roots:
        roots = packages  # no project entry: every locked package counts
    seen: set[str] = set()
    queue: list[tuple[dict[str, Any], str | None]] = [(r, None) for r in roots]
    while queue:
        package, marker = queue.pop(0)
        name = canonicalize_name(str(package.get("name", "")))
        if name in seen:
            continue
        seen.add(name)
        if package not in roots:
            yield _make(project, rel, str(package["name"]), str(package.get("version", "")), marker)
        for dep in package.get("dependencies") or []:
            dep_name = canonicalize_name(str(dep.get("name", "")))
            for candidate in by_name.get(dep_name, [])[:1]:
                queue.append((candidate, dep.get("marker")))


def _poetry(project: Project, rel: str, data: dict[str, Any]) -> Iterator[Pin]:
    for package in data.get("package") or []:
        groups = package.get("groups")
        category = package.get("category")
        if (groups is not None and "main" not in groups) or category == "dev":
            continue
        if package.get("optional") is True:
            continue
        markers = package.get("markers")
        marker = markers.get("main") if isinstance(markers, dict) else markers
        yield _make(project, rel, str(package["name"]), str(package.get("version", "")), marker)


def _pdm(project: Project, rel: str, data: dict[str, Any]) -> Iterator[Pin]:
    for package in data.get("package") or []:
        groups = package.get("groups") or ["default"]
        if "default" not in groups:
            continue
        yield _make(
            project,
            rel,
            str(package["name"]),
            str(package.get("version", "")),
            package.get("marker"),
        )


def _pipfile_lock(project: Project, data: dict[str, Any]) -> Iterator[Pin]:
    rel = "Pipfile.lock"
    for name, entry in (data.get("default") or {}).items():
        if not isinstance(entry, dict):
            continue
        version = str(entry.get("version", "")).removeprefix("==")
        line = project.line_of(rel, rf'^\s*"{re.escape(name)}"\s*:')
        yield Pin(
            canonicalize_name(name),
            name,
            f"=={version}" if version else "",
            project.loc(rel, line),
            rel,
            entry.get("markers"),
        )


def _pylock(project: Project, rel: str, data: dict[str, Any]) -> Iterator[Pin]:
    """pylock.toml (PEP 751), validated by ``packaging.pylock`` when available."""
    try:
        from packaging.pylock import Pylock, PylockValidationError
    except ImportError:  # packaging < 26: read the table directly
        Pylock = None  # type: ignore[assignment,misc]
    if Pylock is not None:
        try:
            lock = Pylock.from_dict(data)
        except (PylockValidationError, Exception):
            project.unparsable(rel, 1, "not a valid pylock.toml")
            return
        for package in lock.packages:
            version = str(package.version) if package.version else ""
            marker = str(package.marker) if package.marker else None
            yield _make(project, rel, str(package.name), version, marker)
        return
    for package in data.get("packages") or []:
        yield _make(
            project,
            rel,
            str(package["name"]),
            str(package.get("version", "")),
            package.get("marker"),
        )
