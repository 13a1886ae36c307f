"""``env check``: every environment check over one project, as one report."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from fastapi_medic.env._project import Project
from fastapi_medic.env.resolve import Resolution, Status
from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Finding, Report

__all__ = ["check", "local_app"]


def check(
    path: Path,
    *,
    import_check: bool = False,
    environ: Mapping[str, str] | None = None,
    timeout: float = 20.0,
    python: str | None = None,
) -> Report:
    """Check the environment a FastAPI project at ``path`` is deployed and run in.

    Args:
        path: the project directory.
        import_check: also import each start command's app in a subprocess.
        environ: the variables of the environment being checked (default: this process's).
        timeout: seconds each import may take before it counts as hanging.
        python: another interpreter whose installed packages and version to check.

    Returns:
        A report of ``env`` findings, each located at the config line that causes it or
        naming its subject (``env DATABASE_URL``).

    Raises:
        UsageError: ``path`` is not a directory, or ``python`` cannot be run.
    """
    from fastapi_medic.env.code_scan import scan_code
    from fastapi_medic.env.installed import Installed
    from fastapi_medic.env.locks import read_declarations
    from fastapi_medic.env.packages import check_packages, declared_closure, inline_installs
    from fastapi_medic.env.pyversion import check_python
    from fastapi_medic.env.sources import find_start_commands
    from fastapi_medic.env.start_checks import check_start_commands
    from fastapi_medic.env.values import collect_values
    from fastapi_medic.env.variables import check_variables

    started = time.perf_counter()
    root = path.resolve()
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory")
    project = Project(root=root, environ=dict(os.environ if environ is None else environ))
    installed = Installed.from_interpreter(python) if python else Installed.current()
    commands = find_start_commands(project)
    findings: list[Finding] = []
    start_findings, resolutions = check_start_commands(project, commands)
    findings += start_findings
    if import_check:
        from fastapi_medic.env.importcheck import check_imports

        findings += check_imports(project, commands, resolutions, timeout, python or sys.executable)
    findings += check_python(project, installed)
    declared = read_declarations(project)
    facts = scan_code(project)
    findings += check_packages(project, installed, declared, facts)
    extra = inline_installs(project)
    provided = (
        declared_closure(declared, installed, extra)
        if declared.direct or declared.locked or extra
        else None
    )
    values = collect_values(project, project.environ)
    findings += check_variables(values, facts, installed, declared, provided)
    findings += project.problems
    unique = list(dict.fromkeys(findings))
    summary: dict[str, str | int] = {"start_commands": len(commands)}
    app = local_app(root, resolutions.values())
    if app is not None:
        summary["app"] = app
    return Report(
        command="env check",
        root=str(root),
        findings=tuple(unique),
        files=project.files_read,
        duration=time.perf_counter() - started,
        summary=summary,
    )


def local_app(root: Path, resolutions: Iterable[Resolution]) -> str | None:
    """The ``module:attr`` of a start command that imports from ``root`` itself, if any.

    This is the app as the deployment starts it, importable from the project directory, so
    ``doctor`` can probe the same app when the usual file names do not find one.
    """
    for resolution in resolutions:
        if resolution.status is not Status.OK or resolution.file is None or not resolution.attr:
            continue
        try:
            parts = resolution.file.resolve().relative_to(root).with_suffix("").parts
        except ValueError:
            continue
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if ".".join(parts) == resolution.module:
            return resolution.import_string
    return None
