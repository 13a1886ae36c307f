"""``--import``: import each start command's app for real, in a subprocess with a timeout.

The child gets the command's ``sys.path`` and variables; its outcome is classified: the
target module missing (a path problem), another module missing (a dependency), an
exception at import time, a hang, a missing attribute, a factory or a non-callable.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi_medic.env import rules
from fastapi_medic.env._import_probe import MARKER
from fastapi_medic.env._project import Project
from fastapi_medic.env.packages import KNOWN_DISTRIBUTIONS
from fastapi_medic.env.resolve import Resolution, Status
from fastapi_medic.env.start import StartCommand
from fastapi_medic.findings import Finding, Location
from fastapi_medic.redact import redact_text

__all__ = ["check_imports", "import_app"]

_PROBE = Path(__file__).with_name("_import_probe.py")


def import_app(
    python: str,
    paths: Sequence[Path],
    module: str,
    attr: str | None,
    *,
    env: Mapping[str, str],
    timeout: float,
) -> dict[str, Any]:
    """Import ``module:attr`` in a child interpreter; the probe's answer, or a timeout."""
    argv = [python, str(_PROBE), json.dumps([[str(p) for p in paths], module, attr])]
    cwd = str(paths[0]) if paths else None
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        return {"status": "cannot-run", "message": type(exc).__name__}
    try:
        stdout, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        return {"status": "timeout"}
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    return {"status": "crashed", "code": process.returncode}


def _kill(process: subprocess.Popen[str]) -> None:
    # The app may have started threads or children: end the whole session we created.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def check_imports(
    project: Project,
    commands: Sequence[StartCommand],
    resolutions: Mapping[int, Resolution],
    timeout: float,
    python: str,
) -> list[Finding]:
    """MED610 (and MED602/603/604) from real imports of every resolved app."""
    findings: list[Finding] = []
    done: dict[tuple[str, ...], dict[str, Any]] = {}
    for index, resolution in resolutions.items():
        command = commands[index]
        if resolution.status is not Status.OK or not resolution.module or not resolution.search:
            continue
        key = (*map(str, resolution.search), resolution.module, resolution.attr or "")
        if key not in done:
            env = {**os.environ, **dict(command.env), **project.environ}
            env.pop("PYTHONPATH", None)
            done[key] = import_app(
                python,
                resolution.search,
                resolution.module,
                resolution.attr,
                env=env,
                timeout=timeout,
            )
        finding = _classify(project, command, resolution, done[key], timeout)
        if finding is not None:
            findings.append(finding)
    return findings


def _classify(
    project: Project,
    command: StartCommand,
    resolution: Resolution,
    result: dict[str, Any],
    timeout: float,
) -> Finding | None:
    status, target, loc = result.get("status"), resolution.import_string, command.location
    where = _user_location(project, result) or loc
    if status == "timeout":
        return rules.AppImportFailure.finding(
            f"importing {resolution.module} hangs for more than {timeout:g}s",
            location=loc,
            fix="Move connections and network calls out of import time (into lifespan).",
        )
    if status == "dependency-missing":
        name = str(result.get("name") or "?")
        top = name.split(".", maxsplit=1)[0]
        dist = KNOWN_DISTRIBUTIONS.get(top, top)
        return rules.AppImportFailure.finding(
            f"importing {resolution.module} fails: no module named {name!r}"[:79],
            location=where,
            fix=f"Install and declare {dist}.",
        )
    if status == "module-not-found":
        return rules.AppImportFailure.finding(
            f"{resolution.module} cannot be imported from {command.workdir}"[:79],
            location=loc,
            fix="Fix the working directory or the import string.",
        )
    if status == "raised":
        message = redact_text(str(result.get("message") or "")).splitlines()[0:1]
        text = f"{result.get('type')}: {message[0]}" if message else str(result.get("type"))
        return rules.AppImportFailure.finding(
            f"importing {resolution.module} raises {text}"[:79],
            location=where,
            fix="Fix the error; the server dies with it before it binds its port.",
        )
    if status == "attr-missing":
        return rules.AppAttributeMissing.finding(
            f"{resolution.module} defines no {resolution.attr!r}"[:79],
            location=loc,
            fix=f"Point the command at the attribute that holds the app in {resolution.module}.",
        )
    if status == "not-callable":
        return rules.AppObjectNotAsgi.finding(
            f"{target} is not an ASGI app (a {result.get('kind')})"[:79],
            location=loc,
            fix="Point the command at the FastAPI() instance.",
        )
    if status == "factory" and not _declares_factory(command):
        from fastapi_medic.env.start_checks import factory_findings

        return next(iter(factory_findings(command, resolution)), None)
    return None


def _declares_factory(command: StartCommand) -> bool:
    call = command.call
    return call.flag("--factory") or (call.app or "").endswith(")")


def _user_location(project: Project, result: dict[str, Any]) -> Location | None:
    file, line = result.get("file"), result.get("line")
    if not isinstance(file, str) or not isinstance(line, int):
        return None
    rel = project.rel(Path(file))
    return None if rel.startswith("/") else Location(rel, line)
