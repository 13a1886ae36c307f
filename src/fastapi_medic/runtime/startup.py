"""The startup report: what this process runs on, with every secret masked.

Python and platform, the versions of the packages that decide behaviour, the worker count when
it can be known, each engine's URL (password *and* query-string values masked, unlike
SQLAlchemy's own rendering) and pool settings, and whether each environment variable your code
reads is set. Values of environment variables are never read into the report.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from fastapi_medic.findings import Finding, Severity
from fastapi_medic.redact import REDACTED, redact_text
from fastapi_medic.runtime.rules import (
    AsyncioDebugIgnored,
    MissingEnvironmentVariable,
    OtelSqlalchemyInactive,
)

__all__ = ["PACKAGES", "build_report", "env_names_in", "redact_url"]

PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "uvicorn",
    "gunicorn",
    "uvloop",
    "httptools",
    "greenlet",
    "asyncpg",
    "psycopg",
    "aiosqlite",
)
_ENV_READ = re.compile(
    r"""(?:environ\[\s*|(?:getenv|environ\.get|environ\.setdefault)\(\s*)["']"""
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_]*)["']\s*(?P<rest>[,)\]])"""
)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages", ".tox"}
_MAX_FILES = 500


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def redact_url(url: Any) -> str:
    """Render a SQLAlchemy URL (or URL string) with the password and query values masked."""
    try:
        from sqlalchemy.engine import make_url

        u = make_url(url)
    except Exception:  # not a URL SQLAlchemy can parse: mask the generic way
        return redact_text(str(url))
    text = f"{u.drivername}://"
    if u.username:
        text += u.username + (f":{REDACTED}" if u.password is not None else "") + "@"
    if u.host:
        text += u.host + (f":{u.port}" if u.port else "")
    if u.database:
        text += f"/{u.database}"
    if u.query:
        text += "?" + "&".join(f"{key}={REDACTED}" for key in sorted(u.query))
    return redact_text(text)


def _pool(engine: Any) -> dict[str, Any]:
    pool = engine.pool
    out: dict[str, Any] = {"class": type(pool).__name__}
    for key, attr in (("size", "size"), ("timeout", "timeout")):
        fn = getattr(pool, attr, None)
        if callable(fn):
            out[key] = fn()
    overflow = getattr(pool, "_max_overflow", None)
    if overflow is not None:
        out["max_overflow"] = overflow
    out["pre_ping"] = bool(getattr(pool, "_pre_ping", False))
    out["recycle"] = getattr(pool, "_recycle", None)
    return out


def _workers() -> int | None:
    env = os.environ.get("WEB_CONCURRENCY")
    if env and env.isdigit():
        return int(env)
    argv = sys.argv
    for i, arg in enumerate(argv):
        if arg in ("-w", "--workers") and i + 1 < len(argv) and argv[i + 1].isdigit():
            return int(argv[i + 1])
        if arg.startswith("--workers=") and arg.split("=", 1)[1].isdigit():
            return int(arg.split("=", 1)[1])
    return None


def env_names_in(root: Path) -> dict[str, bool]:
    """Environment variable names read with a literal name under ``root``: name -> has default."""
    names: dict[str, bool] = {}
    files = [root] if root.is_file() else _python_files(root)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in _ENV_READ.finditer(text):
            has_default = match.group("rest") == ","
            name = match.group("name")
            names[name] = names.get(name, True) and has_default
    return names


def _python_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        out += [Path(dirpath, f) for f in filenames if f.endswith(".py")]
        if len(out) >= _MAX_FILES:
            break
    return sorted(out)[:_MAX_FILES]


def build_report(
    engines: Sequence[Any], env: dict[str, bool], *, names: Iterable[str] = ()
) -> tuple[dict[str, Any], list[Finding]]:
    """The startup report and the findings it implies.

    Args:
        engines: sync engines (``AsyncEngine.sync_engine`` for async ones).
        env: environment variable names your code reads -> whether it gives a default.
        names: the engines' display names, in order (``default`` when not given).
    """
    labels = list(names)
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "packages": {name: _version(name) for name in PACKAGES},
        "workers": _workers(),
        "engines": [
            {
                "name": labels[i] if i < len(labels) else ("default" if i == 0 else f"engine{i}"),
                "url": redact_url(engine.url),
                "dialect": engine.dialect.name,
                "driver": engine.dialect.driver,
                "pool": _pool(engine),
            }
            for i, engine in enumerate(engines)
        ],
        "env": {name: ("set" if name in os.environ else "missing") for name in sorted(env)},
    }
    return report, _checks(report, env)


def _checks(report: dict[str, Any], env: dict[str, bool]) -> list[Finding]:
    out: list[Finding] = []
    for name, status in report["env"].items():
        if status == "missing":
            has_default = env.get(name, False)
            out.append(
                MissingEnvironmentVariable.finding(
                    f"environment variable {name} is not set"
                    + (" (a default applies)" if has_default else ""),
                    subject=f"env {name}",
                    fix=f"Set {name} in the deployment's environment",
                    severity=Severity.INFO if has_default else None,
                    evidence={"variable": name, "has_default": has_default},
                )
            )
    sqla = report["packages"].get("sqlalchemy")
    otel = _version("opentelemetry-instrumentation-sqlalchemy")
    if otel and sqla and _at_least(sqla, (2, 1)):
        out.append(
            OtelSqlalchemyInactive.finding(
                f"OpenTelemetry SQLAlchemy {otel} ignores SQLAlchemy {sqla}",
                subject="package opentelemetry-instrumentation-sqlalchemy",
                fix="Pin sqlalchemy below 2.1 or upgrade the instrumentation when it supports 2.1",
                evidence={"sqlalchemy": sqla, "instrumentation": otel},
            )
        )
    debug = os.environ.get("PYTHONASYNCIODEBUG", "")
    if debug and debug != "0" and sys.version_info < (3, 12) and "uvicorn" in sys.modules:
        out.append(
            AsyncioDebugIgnored.finding(
                "PYTHONASYNCIODEBUG has no effect under uvicorn on this Python",
                subject="env PYTHONASYNCIODEBUG",
                fix="Rely on the fastapi-medic watchdog, or run on Python 3.12 or later",
                evidence={"python": report["python"]},
            )
        )
    return out


def _at_least(version: str, wanted: tuple[int, int]) -> bool:
    parts = re.findall(r"\d+", version)[:2]
    return tuple(int(p) for p in parts) >= wanted if len(parts) == 2 else False
