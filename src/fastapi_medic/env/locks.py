"""What the project declares and locks: requirements files, pyproject, and lock files.

Requirements files go through ``pip-requirements-parser`` (pip's own grammar: ``-r``,
``-c``, hashes, markers, editables); lock files are TOML or JSON read here, because no
maintained reader exists for uv.lock, poetry.lock, pdm.lock or Pipfile.lock; pylock.toml
goes through ``packaging.pylock`` when the installed packaging has it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from fastapi_medic.env._project import Project
from fastapi_medic.findings import Location

__all__ = ["LOCK_FILES", "REQUIREMENTS_FILES", "Declarations", "Pin", "read_declarations"]

REQUIREMENTS_FILES = (
    "requirements.txt",
    "requirements-prod.txt",
    "requirements/prod.txt",
    "requirements/production.txt",
    "requirements/base.txt",
    "requirements/main.txt",
)
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml")


@dataclasses.dataclass(frozen=True)
class Pin:
    """One declared or locked distribution.

    Attributes:
        name: canonical name; display: as written.
        spec: the version specifier (``==1.2.3``, ``>=2``), empty when none.
        marker: the environment marker, if any; extras: requested extras.
        location: where it is declared; source: the file kind.
    """

    name: str
    display: str
    spec: str
    location: Location
    source: str
    marker: str | None = None
    extras: tuple[str, ...] = ()

    def applies(self, environment: Mapping[str, str]) -> bool:
        """True when the marker (if any) holds in ``environment``."""
        if not self.marker:
            return True
        from packaging.markers import default_environment

        env: dict[str, str] = {str(k): str(v) for k, v in default_environment().items()}
        env.update(environment)
        env["extra"] = ""
        try:
            return Marker(self.marker).evaluate(env)
        except (InvalidMarker, Exception):  # an unknown marker variable: keep the pin
            return True


@dataclasses.dataclass
class Declarations:
    """The project's declared distributions.

    Attributes:
        direct: what the project asks for (requirements files, pyproject, Pipfile).
        locked: what a lock file pins for production, transitive ones included.
        lock_source: the lock file used; files: every file read.
    """

    direct: list[Pin] = dataclasses.field(default_factory=list)
    locked: list[Pin] = dataclasses.field(default_factory=list)
    optional: list[Pin] = dataclasses.field(default_factory=list)
    lock_source: str | None = None
    files: list[str] = dataclasses.field(default_factory=list)

    @property
    def reference(self) -> list[Pin]:
        """The pins installed packages are compared with: the lock, else the direct list."""
        return self.locked if self.locked else self.direct

    def names(self) -> set[str]:
        """Every declared or locked canonical name, optional extras and groups included."""
        return {p.name for p in (*self.direct, *self.locked, *self.optional)}


def _pin(project: Project, text: str, rel: str, line: int, source: str) -> Pin | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    return Pin(
        name=canonicalize_name(req.name),
        display=req.name,
        spec=str(req.specifier),
        location=project.loc(rel, line),
        source=source,
        marker=str(req.marker) if req.marker else None,
        extras=tuple(sorted(req.extras)),
    )


def read_requirements(project: Project, rel: str) -> list[Pin]:
    """Pins of a requirements file and the files it includes with ``-r``."""
    from pip_requirements_parser import (  # type: ignore[import-untyped]  # no stubs
        RequirementsFile,
    )

    path = project.path(rel)
    try:
        parsed = RequirementsFile.from_file(str(path), include_nested=True)
    except Exception:  # the parser raises assorted errors on malformed files
        project.unparsable(rel, 1, "invalid requirements file")
        return []
    pins = []
    for req in parsed.requirements:
        if req.is_constraint or req.req is None:
            continue
        file_rel = project.rel(project.root / str(req.filename)) if req.filename else rel
        text = str(req.req) + (f"; {req.marker}" if getattr(req, "marker", None) else "")
        pin = _pin(project, text, file_rel, req.line_number or 1, project.rel(path))
        if pin is not None:
            pins.append(pin)
    for invalid in parsed.invalid_lines:
        project.unparsable(rel, invalid.line_number or 1, "invalid requirement line")
    return pins


def read_declarations(project: Project) -> Declarations:
    """Everything the project declares or locks."""
    result = Declarations()
    for rel in REQUIREMENTS_FILES:
        if project.exists(rel):
            result.direct += read_requirements(project, rel)
            result.files.append(rel)
    result.direct += project.safely("pyproject.toml", lambda: _pyproject(project))
    result.direct += project.safely("Pipfile", lambda: _pipfile(project))
    result.optional += project.safely("pyproject.toml", lambda: _optional_groups(project))
    if not result.direct:
        result.direct += list(_dist_info(project))
    if project.exists("pyproject.toml"):
        result.files.append("pyproject.toml")
    for rel in LOCK_FILES:
        if project.exists(rel):
            read = project.safely(rel, functools.partial(_lock_as_list, project, rel))
            pins = read[0] if read else None
            if pins is not None:
                result.locked, result.lock_source = pins, rel
                result.files.append(rel)
                break
    return result


def _pyproject(project: Project) -> Iterator[Pin]:
    data = project.toml("pyproject.toml") or {}
    rel = "pyproject.toml"
    for text in (data.get("project") or {}).get("dependencies") or []:
        if isinstance(text, str):
            name = text.split(";")[0].split("[")[0].strip(" <>=!~")
            line = project.line_of(rel, rf"""["']{_escape(name)}""")
            pin = _pin(project, text, rel, line, rel)
            if pin is not None:
                yield pin
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    for name, value in poetry.items() if isinstance(poetry, dict) else ():
        if name.lower() == "python":
            continue
        spec = _poetry_spec(value)
        line = project.line_of(rel, rf"^\s*{_escape(name)}\s*=")
        pin = _pin(project, f"{name}{spec}", rel, line, rel) or _pin(project, name, rel, line, rel)
        if pin is not None:
            yield pin


def _optional_groups(project: Project) -> Iterator[Pin]:
    """Optional extras and dependency groups: declared, though not always installed."""
    data = project.toml("pyproject.toml") or {}
    rel = "pyproject.toml"
    texts: list[str] = []
    for group in ((data.get("project") or {}).get("optional-dependencies") or {}).values():
        texts += [t for t in group if isinstance(t, str)]
    for group in (data.get("dependency-groups") or {}).values():
        texts += [t for t in group if isinstance(t, str)]
    tool = data.get("tool") or {}
    texts += [t for t in (tool.get("uv") or {}).get("dev-dependencies") or [] if isinstance(t, str)]
    for group in ((tool.get("pdm") or {}).get("dev-dependencies") or {}).values():
        texts += [t for t in group if isinstance(t, str)]
    for group in ((tool.get("poetry") or {}).get("group") or {}).values():
        texts += list((group.get("dependencies") or {}) if isinstance(group, dict) else ())
    for text in texts:
        pin = _pin(project, text, rel, 1, rel)
        if pin is not None:
            yield pin


def _poetry_spec(value: Any) -> str:
    from fastapi_medic.env.pyversion import poetry_to_pep440

    text = value.get("version") if isinstance(value, dict) else value
    if not isinstance(text, str) or text.strip() == "*":
        return ""
    spec = poetry_to_pep440(text)
    return str(spec) if spec is not None else ""


def _pipfile(project: Project) -> Iterator[Pin]:
    data = project.toml("Pipfile") or {}
    for name, value in (data.get("packages") or {}).items():
        spec = value if isinstance(value, str) else (value or {}).get("version", "*")
        spec = "" if spec in ("*", None) else str(spec)
        line = project.line_of("Pipfile", rf"^\s*\"?{_escape(name)}\"?\s*=")
        pin = _pin(project, f"{name}{spec}", "Pipfile", line, "Pipfile")
        if pin is not None:
            yield pin


def _lock_as_list(project: Project, rel: str) -> list[list[Pin] | None]:
    from fastapi_medic.env.lockfiles import read_lock

    return [read_lock(project, rel)]


def _dist_info(project: Project) -> Iterator[Pin]:
    """``Requires-Dist`` of an unpacked wheel at the root (``*.dist-info/METADATA``)."""
    for metadata in sorted(project.root.glob("*.dist-info/METADATA"))[:1]:
        rel = project.rel(metadata)
        for number, line in enumerate((project.text(rel) or "").splitlines(), start=1):
            if not line:
                break  # the headers end at the first blank line
            if line.startswith("Requires-Dist:"):
                text = line.split(":", 1)[1].strip()
                if "extra ==" in text:
                    continue  # optional: not installed unless asked for
                pin = _pin(project, text, rel, number, "METADATA")
                if pin is not None:
                    yield pin


def _escape(name: str) -> str:
    import re

    return re.escape(name)
