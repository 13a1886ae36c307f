"""Python versions: every declared source, against each other and the running interpreter.

Pins (``.python-version``, ``runtime.txt``, ``FROM python:X``, ``PYTHON_VERSION``) compare by
minor version; ranges (``requires-python``, lock headers) by satisfaction.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from fastapi_medic.env import rules
from fastapi_medic.env._project import Project
from fastapi_medic.env.docker_sources import dockerfiles, is_dev_name, stage_of
from fastapi_medic.env.installed import Installed
from fastapi_medic.findings import Finding, Location

__all__ = ["Declared", "check_python", "declared_versions", "poetry_to_pep440"]

_VERSION = re.compile(r"(?<![\d.])(3\.\d{1,2})(?:\.(\d+))?")
_IMAGE_TAG = re.compile(r"(?:^|[-:])(?:python)?(3\.\d{1,2})(?:\.\d+)?(?:[-@]|$)")


@dataclasses.dataclass(frozen=True)
class Declared:
    """One declared Python version: a pin (``3.12``) or a range (``>=3.10``)."""

    source: str
    location: Location
    text: str
    pin: Version | None = None
    spec: SpecifierSet | None = None

    @property
    def minor(self) -> str | None:
        """``3.12`` for a pin."""
        return f"{self.pin.major}.{self.pin.minor}" if self.pin else None


def poetry_to_pep440(constraint: str) -> SpecifierSet | None:
    """Translate Poetry's ``^3.11``, ``~3.11``, ``3.11.*`` and PEP 440 text; None if unsure."""
    parts = []
    for piece in constraint.replace(" ", "").split(","):
        if "||" in piece or "|" in piece:
            return None
        caret = re.fullmatch(r"\^(\d+)(?:\.(\d+))?(?:\.(\d+))?", piece)
        tilde = re.fullmatch(r"~(\d+)\.(\d+)(?:\.\d+)?", piece)
        if caret:
            major = int(caret.group(1))
            parts += [f">={piece[1:]}", f"<{major + 1}"]
        elif tilde:
            parts += [f">={piece[1:]}", f"<{tilde.group(1)}.{int(tilde.group(2)) + 1}"]
        elif re.fullmatch(r"\d+(\.\d+)*(\.\*)?", piece):
            parts.append(f"=={piece}")
        else:
            parts.append(piece)
    try:
        return SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return None


def _pin(source: str, loc: Location, text: str) -> Declared | None:
    match = _VERSION.search(text)
    if not match:
        return None
    try:
        return Declared(source, loc, text.strip(), pin=Version(match.group(0)))
    except InvalidVersion:
        return None


def _range(source: str, loc: Location, text: str, poetry: bool = False) -> Declared | None:
    spec = poetry_to_pep440(text) if poetry else None
    if spec is None:
        try:
            spec = SpecifierSet(text)
        except InvalidSpecifier:
            return None
    return Declared(source, loc, text.strip(), spec=spec)


def declared_versions(project: Project) -> list[Declared]:
    """Every Python version the project's files declare."""
    found = project.safely(".python-version", lambda: _collect(project))
    return [d for d in found if d is not None]


def _collect(project: Project) -> Iterator[Declared | None]:
    first = (project.text(".python-version") or "").strip().splitlines()
    if first and first[0] != "system":
        yield _pin(".python-version", project.loc(".python-version"), first[0])
    runtime = (project.text("runtime.txt") or "").strip()
    if runtime:
        yield _pin("runtime.txt", project.loc("runtime.txt"), runtime)
    for line_no, line in enumerate((project.text(".tool-versions") or "").splitlines(), 1):
        if line.split()[:1] == ["python"]:
            yield _pin(".tool-versions", project.loc(".tool-versions", line_no), line)
    pyproject = project.toml("pyproject.toml") or {}
    requires = (pyproject.get("project") or {}).get("requires-python")
    if isinstance(requires, str):
        loc = project.loc("pyproject.toml", project.line_of("pyproject.toml", "requires-python"))
        yield _range("requires-python", loc, requires)
    poetry = ((pyproject.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    if isinstance(poetry.get("python"), str):
        loc = project.loc("pyproject.toml", project.line_of("pyproject.toml", r"^\s*python\s*="))
        yield _range("poetry python", loc, poetry["python"], poetry=True)
    pipfile = project.toml("Pipfile") or {}
    requires_pipfile = pipfile.get("requires") or {}
    for key in ("python_full_version", "python_version"):
        if isinstance(requires_pipfile.get(key), str):
            loc = project.loc("Pipfile", project.line_of("Pipfile", key))
            yield _pin("Pipfile", loc, requires_pipfile[key])
            break
    yield from project.safely("uv.lock", lambda: _lock_headers(project))
    yield from project.safely("Dockerfile", lambda: _images(project))
    yield from project.safely("render.yaml", lambda: _platform_files(project))


def _lock_headers(project: Project) -> Iterator[Declared | None]:
    for rel, key in (("uv.lock", "requires-python"), ("pylock.toml", "requires-python")):
        data = project.toml(rel) or {}
        if isinstance(data.get(key), str):
            yield _range(rel, project.loc(rel, project.line_of(rel, key)), data[key])
    poetry = (project.toml("poetry.lock") or {}).get("metadata") or {}
    if isinstance(poetry.get("python-versions"), str) and poetry["python-versions"] != "*":
        loc = project.loc("poetry.lock", project.line_of("poetry.lock", "python-versions"))
        yield _range("poetry.lock", loc, poetry["python-versions"], poetry=True)
    pdm = (project.toml("pdm.lock") or {}).get("metadata") or {}
    for target in pdm.get("targets") or []:
        if isinstance(target, dict) and isinstance(target.get("requires_python"), str):
            loc = project.loc("pdm.lock", project.line_of("pdm.lock", "requires_python"))
            yield _range("pdm.lock", loc, target["requires_python"])
    meta = ((project.json("Pipfile.lock") or {}).get("_meta") or {}).get("requires") or {}
    if isinstance(meta, dict) and isinstance(meta.get("python_version"), str):
        loc = project.loc("Pipfile.lock", project.line_of("Pipfile.lock", "python_version"))
        yield _pin("Pipfile.lock", loc, meta["python_version"])


def _images(project: Project) -> Iterator[Declared | None]:
    for rel in dockerfiles(project):
        if is_dev_name(rel):
            continue
        found = stage_of(project, rel)
        if found is None:
            continue
        image, line = found[0].root_image
        name, _, tag = image.partition(":")
        match = _IMAGE_TAG.search(":" + tag) if tag else None
        if match and ("python" in name or "python" in tag):
            yield _pin(rel, project.loc(rel, line), match.group(1))


def _platform_files(project: Project) -> Iterator[Declared | None]:
    render = project.yaml("render.yaml")
    if render is not None and isinstance(render.data, dict):
        for i, service in enumerate(render.data.get("services") or []):
            for j, var in enumerate((service or {}).get("envVars") or []):
                if isinstance(var, dict) and var.get("key") == "PYTHON_VERSION":
                    value = var.get("value")
                    if isinstance(value, str):
                        line = render.line("services", i, "envVars", j, "value")
                        yield _pin("render.yaml", project.loc("render.yaml", line), value)
    app = project.yaml("app.yaml")
    if app is not None and isinstance(app.data, dict):
        runtime = str(app.data.get("runtime", ""))
        match = re.fullmatch(r"python3(\d{1,2})", runtime)
        if match:
            yield _pin("app.yaml", project.loc("app.yaml", app.line("runtime")), f"3.{match[1]}")


def check_python(project: Project, installed: Installed) -> list[Finding]:
    """Findings about Python versions (MED620-623)."""
    declared = declared_versions(project)
    running = Version(installed.python_version)
    findings: list[Finding] = []
    running_minor = f"{running.major}.{running.minor}"
    for item in declared:
        if item.pin is not None and item.minor != running_minor:
            findings.append(
                rules.PythonVersionDiffers.finding(
                    f"{item.source} pins Python {item.minor}; this is {running_minor}",
                    location=item.location,
                    fix=f"Run Python {item.minor} here, or change the pin to {running_minor}.",
                )
            )
        elif item.spec is not None and not item.spec.contains(running, prereleases=True):
            findings.append(
                rules.PythonVersionDiffers.finding(
                    f"{item.source} {item.text} excludes this Python {running}"[:79],
                    location=item.location,
                    fix="Run a Python version the project supports.",
                )
            )
    findings += _disagreements(declared)
    findings += project.safely("render.yaml", lambda: _yaml_floats(project))
    findings += _unpinned(project, declared)
    return findings


def _disagreements(declared: list[Declared]) -> Iterator[Finding]:
    pins = [d for d in declared if d.pin is not None]
    ranges = [d for d in declared if d.spec is not None]
    first = pins[0] if pins else None
    for item in pins[1:]:
        if first is not None and item.minor != first.minor:
            yield rules.PythonVersionSourcesDisagree.finding(
                f"{item.source} says Python {item.minor}, {first.source} says {first.minor}",
                location=item.location,
                fix="Declare the same Python minor version everywhere.",
            )
    for pin in pins:
        for spec in ranges:
            probe = Version(f"{pin.minor}.99") if pin.pin and len(pin.pin.release) < 3 else pin.pin
            if (
                spec.spec is not None
                and probe is not None
                and not spec.spec.contains(probe, prereleases=True)
            ):
                yield rules.PythonVersionSourcesDisagree.finding(
                    f"{pin.source} pins {pin.minor}, outside {spec.source} {spec.text}"[:79],
                    location=pin.location,
                    fix="Pin a version inside the supported range.",
                )


def _yaml_floats(project: Project) -> Iterator[Finding]:
    for rel in ("render.yaml", "app.yaml", *("docker-compose.yml", "compose.yaml")):
        doc = project.yaml(rel)
        if doc is None:
            continue
        for path in sorted(doc.plain_floats, key=str):
            parent = _value_at(doc.data, path[:-1])
            key = path[-1]
            name = parent.get("key") if isinstance(parent, dict) and key == "value" else key
            if isinstance(name, str) and "VERSION" in name.upper():
                value = _value_at(doc.data, path)
                yield rules.PythonVersionYamlFloat.finding(
                    f"unquoted {name}: {value} is read as the number {float(str(value))}"[:79],
                    location=project.loc(rel, doc.line(*path)),
                    fix=f'Quote it: "{value}".',
                )


def _value_at(data: object, path: tuple[str | int, ...]) -> object:
    for key in path:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _unpinned(project: Project, declared: list[Declared]) -> Iterator[Finding]:
    if any(d.pin is not None for d in declared) or dockerfiles(project):
        return
    for rel, platform in (
        ("Procfile", "Heroku"),
        ("render.yaml", "Render"),
        ("railway.json", "Railway"),
        ("railway.toml", "Railway"),
    ):
        if project.exists(rel):
            yield rules.PythonVersionUnpinned.finding(
                f"{platform} picks its default Python: nothing pins a version",
                location=project.loc(rel),
                fix="Add a .python-version file (e.g. 3.12).",
            )
            return
