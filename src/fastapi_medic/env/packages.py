"""Packages: installed vs declared, undeclared imports, optional FastAPI extras, bad pins."""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from fastapi_medic.env import rules
from fastapi_medic.env._project import Project
from fastapi_medic.env.code_scan import CodeFacts
from fastapi_medic.env.docker_sources import dockerfiles, stage_of
from fastapi_medic.env.installed import Installed
from fastapi_medic.env.locks import Declarations, Pin
from fastapi_medic.findings import Finding, Location

__all__ = ["KNOWN_DISTRIBUTIONS", "check_packages", "declared_closure", "inline_installs"]

#: Import names whose distribution is named differently, for modules not installed here.
KNOWN_DISTRIBUTIONS: dict[str, str] = {
    "yaml": "PyYAML",
    "jwt": "PyJWT",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "python_multipart": "python-multipart",
    "dotenv": "python-dotenv",
    "PIL": "Pillow",
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",
    "MySQLdb": "mysqlclient",
    "cv2": "opencv-python-headless",
    "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "magic": "python-magic",
    "email_validator": "email-validator",
    "jinja2": "Jinja2",
    "pydantic_settings": "pydantic-settings",
    "sqlmodel": "sqlmodel",
    "redis": "redis",
    "asyncpg": "asyncpg",
    "aiosqlite": "aiosqlite",
    "pymysql": "PyMySQL",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "slugify": "python-slugify",
    "google": "google-cloud-*",
    "socketio": "python-socketio",
    "telegram": "python-telegram-bot",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "serial": "pyserial",
    "websockets": "websockets",
    "passlib": "passlib",
    "bcrypt": "bcrypt",
    "httpx": "httpx",
}
_OPTIONAL = {
    "form": (("python-multipart", "multipart"), "Form/File/UploadFile", "python-multipart"),
    "email": (("email-validator",), "EmailStr", "email-validator"),
    "websocket": (("websockets", "wsproto"), "websocket routes", "websockets"),
    "templates": (("jinja2",), "Jinja2Templates", "jinja2"),
}
_PLATFORM_ONLY = re.compile(r"^(pywin32|pywinpty|pyobjc(-core|-framework-.+)?|wmi)$")
_ALWAYS_PRESENT = frozenset({"__future__", "pkg_resources", "setuptools", "_typeshed", "distutils"})
_PIP_INSTALL = re.compile(r"\bpip3?\s+install\s+([^&;|]+)")
_MAX_LISTED = 10


def inline_installs(project: Project) -> set[str]:
    """Distributions a Dockerfile installs by name (``RUN pip install fastapi uvicorn``)."""
    names: set[str] = set()
    for rel in dockerfiles(project):
        for number, line in enumerate((project.text(rel) or "").splitlines()):
            del number
            match = _PIP_INSTALL.search(line)
            if not match:
                continue
            words = match.group(1).split()
            skip = False
            for word in words:
                if skip:
                    skip = False
                    continue
                if word in ("-r", "-c", "--requirement", "-e", "--index-url", "-i", "--target"):
                    skip = True
                elif not word.startswith(("-", ".", "/", "$", "\\")):
                    name = re.split(r"[\[<>=!~;]", word.strip("'\""))[0]
                    if name:
                        names.add(str(canonicalize_name(name)))
    return names


def declared_closure(declared: Declarations, installed: Installed, extra: set[str]) -> set[str]:
    """Declared names plus what they pull in according to the installed metadata."""
    roots: dict[str, tuple[str, ...]] = {p.name: p.extras for p in declared.direct}
    roots.update({p.name: p.extras for p in declared.optional if p.name not in roots})
    roots.update({p.name: () for p in declared.locked if p.name not in roots})
    roots.update(dict.fromkeys(extra, ()))
    return installed.closure(roots) | set(roots)


def closure_complete(declared: Declarations, installed: Installed) -> bool:
    """True when every declared distribution that applies here is installed here."""
    return all(
        installed.version(p.name) is not None
        for p in declared.reference
        if p.applies(installed.markers)
    )


def check_packages(
    project: Project, installed: Installed, declared: Declarations, facts: CodeFacts
) -> list[Finding]:
    """Findings about packages (MED630-635)."""
    findings = list(_installed_vs_declared(declared, installed))
    extra = inline_installs(project)
    has_declarations = bool(declared.direct or declared.locked or extra)
    provided = declared_closure(declared, installed, extra) if has_declarations else None
    if provided is not None and not closure_complete(declared, installed):
        # A declared distribution is missing here (MED630 says so): what it would pull in is
        # unknown, so an import it might provide cannot be called undeclared.
        return [*findings, *_platform_pins(declared), *_psycopg2(project, declared)]
    findings += _undeclared_imports(facts, installed, provided, declared)
    findings += _optional(facts, installed, provided, declared)
    findings += _platform_pins(declared)
    findings += _psycopg2(project, declared)
    return findings


def _installed_vs_declared(declared: Declarations, installed: Installed) -> Iterator[Finding]:
    missing: list[Pin] = []
    differs: list[tuple[Pin, str]] = []
    for pin in declared.reference:
        if not pin.applies(installed.markers):
            continue
        version = installed.version(pin.name)
        if version is None:
            missing.append(pin)
            continue
        try:
            ok = not pin.spec or SpecifierSet(pin.spec).contains(Version(version), prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            ok = True
        if not ok:
            differs.append((pin, version))
    reference = declared.reference
    if len(missing) > _MAX_LISTED and len(missing) * 2 > len(reference):
        first = missing[0]
        yield rules.DeclaredPackageMissing.finding(
            f"{len(missing)} of {len(reference)} declared packages are not installed here",
            location=Location(first.location.path, 1),
            fix=f"Install the project's dependencies from {first.source} in this environment.",
            evidence={"missing": len(missing), "declared": len(reference)},
        )
    else:
        for pin in missing:
            yield rules.DeclaredPackageMissing.finding(
                f"{pin.display}{pin.spec} is declared but not installed here"[:79],
                location=pin.location,
                fix=f"Install the dependencies from {pin.source}.",
            )
    if len(differs) > _MAX_LISTED:
        pin = differs[0][0]
        yield rules.InstalledVersionDiffers.finding(
            f"{len(differs)} installed versions differ from {pin.source}",
            location=Location(pin.location.path, 1),
            fix=f"Reinstall from {pin.source} (pip install -r, uv sync, poetry install).",
            evidence={"differs": len(differs)},
        )
        return
    for pin, version in differs:
        yield rules.InstalledVersionDiffers.finding(
            f"{pin.display} {version} is installed; {pin.source} wants {pin.spec}"[:79],
            location=pin.location,
            fix=f"Install {pin.display}{pin.spec} here.",
            evidence={"installed": version, "declared": pin.spec},
        )


def _where(declared: Declarations) -> str:
    return declared.files[0] if declared.files else "the requirements"


def _undeclared_imports(
    facts: CodeFacts, installed: Installed, provided: set[str] | None, declared: Declarations
) -> Iterator[Finding]:
    if provided is None:
        return
    for module, location in sorted(facts.imports.items()):
        if (
            module in installed.stdlib
            or module in facts.local_names
            or module in _ALWAYS_PRESENT
            or module.startswith("_")
        ):
            continue
        providers = installed.providers(module)
        if any(p in provided for p in providers):
            continue
        if not providers and str(canonicalize_name(module)) in provided:
            continue  # declared under its import name but not installed here (MED630 says so)
        if providers:
            dist = installed.names.get(providers[0], providers[0])
            here = f"installed here ({dist} {installed.version(providers[0])})"
        else:
            dist = KNOWN_DISTRIBUTIONS.get(module, "")
            here = "not installed here either"
            if not dist:
                dist = module
        yield rules.ImportUndeclared.finding(
            f"{module!r} is imported but no declared distribution provides it"[:79],
            location=location,
            fix=f"Declare {dist} in {_where(declared)}.",
            evidence={"module": module, "distribution": dist, "here": here},
        )


def _optional(
    facts: CodeFacts, installed: Installed, provided: set[str] | None, declared: Declarations
) -> Iterator[Finding]:
    for feature, location in sorted(facts.features.items()):
        names, what, suggestion = _OPTIONAL[feature]
        if provided is not None:
            ok = any(str(canonicalize_name(n)) in provided for n in names)
            where = f"in {_where(declared)}"
        else:
            ok = any(installed.version(n) is not None or installed.providers(n) for n in names)
            where = "in this environment"
        if not ok:
            yield rules.OptionalDependencyMissing.finding(
                f"{what} need {suggestion}, which is not declared"[:79]
                if provided is not None
                else f"{what} need {suggestion}, not installed here"[:79],
                location=location,
                fix=f"Add {suggestion} {where}.",
            )


def _platform_pins(declared: Declarations) -> Iterator[Finding]:
    for pin in (*declared.direct, *declared.locked):
        if _PLATFORM_ONLY.match(pin.name) and not pin.marker:
            yield rules.PlatformOnlyPin.finding(
                f"{pin.display} installs only on Windows/macOS and has no marker"[:79],
                location=pin.location,
                fix=f'Add a marker ({pin.display}; sys_platform == "win32") or remove it.',
            )


def _psycopg2(project: Project, declared: Declarations) -> Iterator[Finding]:
    pins = [p for p in declared.direct if p.name == "psycopg2"]
    if not pins:
        return
    for rel in dockerfiles(project):
        found = stage_of(project, rel)
        text = project.text(rel) or ""
        if found is None:
            continue
        image = found[0].root_image[0]
        slim = "slim" in image or "alpine" in image
        has_build = re.search(r"libpq-dev|postgresql-dev|build-essential|\bgcc\b", text)
        if slim and not has_build:
            yield rules.Psycopg2SourceBuild.finding(
                f"psycopg2 compiles from source; {image} has no compiler or libpq"[:79],
                location=pins[0].location,
                fix="Use psycopg2-binary or psycopg[binary].",
            )
            return
