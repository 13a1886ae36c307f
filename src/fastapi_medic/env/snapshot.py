"""``env snapshot``: a versioned, redacted JSON picture of the environment an app runs in.

Values of variables are never stored. Each gets a keyed hash (HMAC-SHA256) so two snapshots
can say *differs* without revealing either value. The key comes from ``--key`` or
``FASTAPI_MEDIC_SNAPSHOT_KEY``; without one a fixed public key is used, and since anyone can
recompute those hashes for guessable values, secret-named variables and URLs with
credentials then get no hash at all (only *present*).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import platform
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi_medic._version import __version__
from fastapi_medic.errors import UsageError
from fastapi_medic.redact import is_secret_name, redact_text

__all__ = ["DEFAULT_KEY", "KEY_VARIABLE", "SCHEMA_VERSION", "load_snapshot", "snapshot"]

SCHEMA_VERSION = 1
KEY_VARIABLE = "FASTAPI_MEDIC_SNAPSHOT_KEY"
#: The public fallback key: hashes made with it compare, but do not hide guessable values.
DEFAULT_KEY = "fastapi-medic-snapshot-v1"
_CONFIG_FILES = (
    "requirements.txt",
    "pyproject.toml",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile",
    "Pipfile.lock",
    "pylock.toml",
    "Dockerfile",
    "Procfile",
    "render.yaml",
    "fly.toml",
    "railway.json",
    "railway.toml",
    "app.yaml",
    "docker-compose.yml",
    "compose.yaml",
    "gunicorn.conf.py",
    ".python-version",
    "runtime.txt",
)
_RUNTIME_NAMES = (
    "PORT",
    "HOST",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "PYTHONPATH",
    "GUNICORN_CMD_ARGS",
    "UVICORN_HOST",
    "UVICORN_PORT",
    "UVICORN_APP",
    "ROOT_PATH",
    "TZ",
    "LANG",
)
_URL_NAME = re.compile(r"(DATABASE|DB|SQLALCHEMY|POSTGRES|REDIS|MYSQL).*(URL|URI|DSN)$", re.I)
# Shell and tool variables that say nothing about the app's configuration.
_NOISE = re.compile(
    r"^(PATH|HOME|HOSTNAME|PWD|OLDPWD|SHLVL|TERM|SHELL|USER|LOGNAME|MAIL|_|LS_COLORS|COLUMNS"
    r"|LINES|PS1|EDITOR|PAGER|LESS.*|LC_.*|XDG_.*|SSH_.*|GPG_.*|TERM_.*|COLORTERM|DISPLAY"
    r"|VIRTUAL_ENV.*|CONDA_.*|PYENV_.*|PYTEST_.*|PYTHON(?!PATH).*|PIP_.*|UV_.*|npm_.*"
    r"|VSCODE_.*|GIT_.*|DEBIAN_FRONTEND|HIST.*|TMPDIR|TMP|TEMP|FASTAPI_MEDIC_.*|[a-z_].*)$"
)
_PAAS = (
    "RENDER",
    "DYNO",
    "FLY_APP_NAME",
    "RAILWAY_ENVIRONMENT",
    "K_SERVICE",
    "GAE_ENV",
    "KUBERNETES_SERVICE_HOST",
)


def _key(key: str | None, environ: Mapping[str, str]) -> tuple[bytes, bool]:
    chosen = key or environ.get(KEY_VARIABLE) or os.environ.get(KEY_VARIABLE)
    return (chosen or DEFAULT_KEY).encode("utf-8"), bool(chosen)


def snapshot(
    path: Path, *, environ: Mapping[str, str] | None = None, key: str | None = None
) -> dict[str, Any]:
    """A snapshot of the environment the project at ``path`` runs in, here and now.

    Args:
        path: the project directory.
        environ: the variables to describe (default: this process's).
        key: the HMAC key for value hashes (default: ``FASTAPI_MEDIC_SNAPSHOT_KEY``).

    Raises:
        UsageError: ``path`` is not a directory.
    """
    from fastapi_medic.env._project import Project
    from fastapi_medic.env.code_scan import scan_code
    from fastapi_medic.env.dburl import parse_db_url
    from fastapi_medic.env.installed import Installed
    from fastapi_medic.env.sources import find_start_commands
    from fastapi_medic.env.start_checks import check_start_commands
    from fastapi_medic.env.values import collect_values, in_container

    root = path.resolve()
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory")
    env = dict(os.environ if environ is None else environ)
    secret, keyed = _key(key, env)
    project = Project(root=root, environ=env)
    installed = Installed.current()
    facts = scan_code(project)
    commands = find_start_commands(project)
    _, resolutions = check_start_commands(project, commands)
    names = {r.name for r in facts.reads} | set(_RUNTIME_NAMES)
    names |= {v.name for v in collect_values(project, {}) if v.name != "*"}
    names |= {n for n in env if _URL_NAME.search(n) or not _NOISE.match(n)}
    variables: dict[str, Any] = {}
    for name in sorted(names):
        variables[name] = _variable(name, env.get(name), secret, keyed, parse_db_url)
    imported = sorted(m for m in facts.imports if m not in installed.stdlib)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "fastapi-medic", "version": __version__},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "key": {"user_supplied": keyed, "id": hashlib.sha256(secret).hexdigest()[:12]},
        "python": {
            "implementation": platform.python_implementation(),
            "version": installed.python_version,
            "minor": ".".join(installed.python_version.split(".")[:2]),
            "virtualenv": installed.virtualenv,
        },
        "platform": {
            "system": platform.system(),
            "machine": platform.machine(),
            "libc": "-".join(platform.libc_ver()).strip("-"),
            "container": in_container(),
            "paas": sorted(n for n in _PAAS if n in env),
        },
        "cwd": _shown_cwd(root),
        "start_commands": [
            {
                "source": c.source,
                "line": c.location.line,
                "server": c.call.server,
                "app": resolutions[i].import_string if i in resolutions else c.call.app,
                "workdir": c.workdir,
                "command": _masked(c.call.words),
            }
            for i, c in enumerate(commands)
        ],
        "packages": {
            name: {"name": installed.names[name], "version": version}
            for name, version in sorted(installed.versions.items())
        },
        "imports": {m: list(installed.providers(m)) for m in imported},
        "env": variables,
        "files": _file_hashes(root),
    }


def _variable(
    name: str, value: str | None, secret: bytes, keyed: bool, parse_db_url: Any
) -> dict[str, Any]:
    if value is None:
        return {"present": False}
    url = parse_db_url(value) if value else None
    sensitive = is_secret_name(name) or ("@" in value and "://" in value)
    entry: dict[str, Any] = {"present": True, "empty": value == ""}
    if url is not None and not is_secret_name(name):
        entry["url"] = {
            "scheme": url.scheme,
            "host": url.host,
            "port": url.port,
            "driver": url.driver,
        }
    if keyed or not sensitive:
        digest = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
        entry["hash"] = digest[:32]
    return entry


def _masked(words: tuple[str, ...]) -> str:
    """The command line with the value after any secret-named option masked."""
    out: list[str] = []
    hide = False
    for word in words:
        out.append("***" if hide else redact_text(word))
        hide = word.startswith("-") and "=" not in word and is_secret_name(word)
    return " ".join(out)


def _shown_cwd(root: Path) -> str:
    cwd = Path.cwd().resolve()
    try:
        return "./" + cwd.relative_to(root).as_posix() if cwd != root else "."
    except ValueError:
        return cwd.as_posix()


def _file_hashes(root: Path) -> dict[str, str]:
    hashes = {}
    for rel in _CONFIG_FILES:
        path = root / rel
        if path.is_file():
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return hashes


def load_snapshot(path: Path) -> dict[str, Any]:
    """Read and validate a snapshot file.

    Raises:
        UsageError: the file is missing, not JSON, or not a snapshot of this schema version.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a JSON snapshot ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or "schema_version" not in data:
        raise UsageError(f"{path}: not a fastapi-medic snapshot (no schema_version)")
    if data["schema_version"] != SCHEMA_VERSION:
        raise UsageError(
            f"{path}: snapshot schema version {data['schema_version']!r}; "
            f"this fastapi-medic reads version {SCHEMA_VERSION}"
        )
    for field, kind in (
        ("python", dict),
        ("packages", dict),
        ("env", dict),
        ("start_commands", list),
        ("platform", dict),
    ):
        if not isinstance(data.get(field), kind):
            raise UsageError(f"{path}: snapshot field {field!r} is missing or malformed")
    return data
