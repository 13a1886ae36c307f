"""``doctor``: environment, static and live checks in one run, and a verdict.

The verdict answers the first question of every incident: is the failure in the
environment the app runs in (start command, packages, variables) or in the code? Failures
seen happening (a live request that fails, a log line) weigh more than predictions (a static
finding), and a failure whose cause is configuration counts for the environment wherever it
was seen.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi_medic.config import Config
from fastapi_medic.errors import MedicError
from fastapi_medic.findings import Cause, Finding, Report, Severity, Source
from fastapi_medic.redact import redact_text

__all__ = ["DoctorResult", "Section", "Verdict", "doctor", "side_of", "verdict_of"]

#: How many findings the summary puts first.
TOP = 5

_OBSERVED = frozenset({Source.LIVE, Source.LOGS, Source.RUNTIME})
_ENV_CAUSES = frozenset({Cause.CONFIG})


@dataclasses.dataclass(frozen=True)
class Section:
    """One part of the run: what it is, whether it ran, what it found, how long it took."""

    name: str
    ran: bool
    findings: int = 0
    seconds: float = 0.0
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Where the trouble is: ``environment``, ``code``, ``both`` or ``none``."""

    kind: str
    reason: str


@dataclasses.dataclass(frozen=True)
class DoctorResult:
    """What ``doctor`` found.

    Attributes:
        report: every finding of every section, with the verdict in its summary.
        verdict: the answer, with the one-line reason.
        sections: the parts that ran or were skipped, in order.
        top: the findings to act on first.
        links: causes that more than one source reports, with those findings.
    """

    report: Report
    verdict: Verdict
    sections: tuple[Section, ...]
    top: tuple[Finding, ...]
    links: dict[str, tuple[Finding, ...]]


def doctor(
    path: Path,
    *,
    config: Config | None = None,
    live: bool = True,
    app: str | None = None,
    logs: Sequence[str] = (),
    timeout: float = 30.0,
) -> DoctorResult:
    """Run every check that applies to the project at ``path`` and give a verdict.

    Args:
        path: the project directory.
        config: the project's configuration for the static checks (read from ``path``
            when ``None``).
        live: import the app in a subprocess and send it a few requests.
        app: the app as ``module:attribute`` when discovery cannot find it.
        logs: log files to triage as well.
        timeout: seconds the live probe may take before it counts as a hang.

    Raises:
        UsageError: ``path`` is not a directory.
    """
    from fastapi_medic.errors import UsageError

    if not path.is_dir():
        raise UsageError(f"{path} is not a directory")
    started = time.perf_counter()
    sections: list[Section] = []
    findings: list[Finding] = []
    silenced = files = 0

    def run(name: str, job: Callable[[], Report]) -> Report | None:
        began = time.perf_counter()
        try:
            report = job()
        except MedicError as exc:
            sections.append(Section(name, False, note=str(exc)))
            return None
        except Exception as exc:  # one broken section must not hide the others' findings
            if os.environ.get("FASTAPI_MEDIC_DEBUG"):
                raise
            note = f"stopped by an error of fastapi-medic's own: {type(exc).__name__}: {exc}"
            sections.append(Section(name, False, note=redact_text(note)[:300]))
            return None
        sections.append(Section(name, True, len(report.findings), time.perf_counter() - began))
        findings.extend(report.findings)
        return report

    env_report = run("environment", lambda: _env(path, import_check=live, timeout=timeout))
    # the app as the deployment files start it, for when no usual file name finds one
    deployed = env_report.summary.get("app") if env_report is not None else None
    static_report = run("code", lambda: _static(path, config))
    if static_report is not None:
        silenced, files = static_report.silenced, static_report.files
    if live:
        run("live", lambda: _live(path, app, timeout, fallback=deployed))
    else:
        sections.append(Section("live", False, note="skipped (--no-live)"))
    if logs:
        run("logs", lambda: _logs(logs))

    findings = _mark_missing_packages(findings, path)
    env_checked = any(section.name == "environment" and section.ran for section in sections)
    verdict = verdict_of(findings, env_checked=env_checked)
    report = Report(
        command="doctor",
        root=str(path),
        findings=tuple(findings),
        silenced=silenced,
        files=files,
        duration=time.perf_counter() - started,
        summary={"verdict": verdict.kind, "verdict_reason": verdict.reason},
    )
    return DoctorResult(
        report=report,
        verdict=verdict,
        sections=tuple(sections),
        top=tuple(_ranked(report.findings, first=verdict.kind)[:TOP]),
        links=_links(report.findings),
    )


def _env(path: Path, *, import_check: bool, timeout: float) -> Report:
    from fastapi_medic import env

    return env.check(path, import_check=import_check, timeout=timeout)


def _static(path: Path, config: Config | None) -> Report:
    from fastapi_medic.config import load_config
    from fastapi_medic.static import check_paths

    return check_paths([path], config or load_config(path))


def _live(path: Path, app: str | None, timeout: float, *, fallback: object = None) -> Report:
    from fastapi_medic import live
    from fastapi_medic.errors import AppImportError

    try:
        return live.probe(path, app=app, timeout=timeout)
    except AppImportError:
        if app is not None or not isinstance(fallback, str):
            raise
        return live.probe(path, app=fallback, timeout=timeout)


def _logs(sources: Sequence[str]) -> Report:
    from fastapi_medic import logs

    return logs.triage(sources)


def side_of(finding: Finding) -> str:
    """``environment`` or ``code``: which side a finding speaks for.

    Environment findings, configuration failures and imports of a package that is not
    installed (``missing_package`` in the evidence) speak for the environment.
    """
    if finding.source is Source.ENV or finding.cause in _ENV_CAUSES:
        return "environment"
    if "missing_package" in finding.evidence:
        return "environment"
    return "code"


_NO_MODULE = re.compile(r"No module named '(?P<name>[\w.]+)'")


def _mark_missing_packages(findings: Sequence[Finding], root: Path) -> list[Finding]:
    """Note, on import failures seen live or in logs, a module the project does not hold.

    ``No module named 'redis'`` in a project without a ``redis`` package of its own means a
    package is missing from the environment; a missing module of the project's own is code.
    """
    marked = []
    for finding in findings:
        text = f"{finding.message} {finding.evidence.get('error', '')}"
        match = _NO_MODULE.search(text) if finding.cause is Cause.IMPORT_ERROR else None
        if match is not None and finding.source in _OBSERVED:
            top = match.group("name").partition(".")[0]
            if not _is_local_module(root, top):
                evidence = {**finding.evidence, "missing_package": top}
                marked.append(finding.replace(evidence=evidence))
                continue
        marked.append(finding)
    return marked


def _is_local_module(root: Path, name: str) -> bool:
    for base in (root, root / "src"):
        if (base / name).is_dir() or (base / f"{name}.py").is_file():
            return True
    return False


def _weight(finding: Finding) -> int:
    return int(finding.severity) * (3 if finding.source in _OBSERVED else 1)


def verdict_of(findings: Sequence[Finding], *, env_checked: bool = True) -> Verdict:
    """The verdict for a set of findings.

    A side with an error (a start command that cannot import the app, a request seen
    failing, a blocking call in an async route) is in trouble; with no error anywhere, the
    heaviest warning decides. When both sides hold errors, the environment is named first:
    code cannot be judged in an environment that cannot run it.
    """
    serious = [f for f in findings if f.severity >= Severity.WARNING]
    if not serious:
        return Verdict("none", "No check found a problem that explains a failure.")
    sides = {side_of(f) for f in serious if f.severity >= Severity.ERROR}
    if not sides:
        sides = {side_of(max(serious, key=_weight))}
    if len(sides) == 2:
        env = max((f for f in serious if side_of(f) == "environment"), key=_weight)
        return Verdict(
            "both", f"Fix the environment first ({env.message}); then the code findings."
        )
    side = sides.pop()
    worst = max((f for f in serious if side_of(f) == side), key=_weight)
    seen = " (seen failing)" if worst.source in _OBSERVED else ""
    if side == "environment":
        return Verdict("environment", f"The deployment is the problem: {worst.message}{seen}.")
    if not env_checked:
        return Verdict(
            "code", f"The code is the problem: {worst.message}{seen} (environment unchecked)."
        )
    return Verdict(
        "code", f"The environment checks out; the code is the problem: {worst.message}{seen}."
    )


def _ranked(findings: Sequence[Finding], *, first: str = "") -> list[Finding]:
    # the side the verdict names first comes first, so "do first" agrees with the verdict
    lead = "environment" if first in ("environment", "both") else "code"
    return sorted(findings, key=lambda f: (side_of(f) != lead, -_weight(f), f.sort_key))


def _links(findings: Sequence[Finding]) -> dict[str, tuple[Finding, ...]]:
    by_cause: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.cause is not None and finding.cause is not Cause.TOOL:
            by_cause.setdefault(finding.cause.value, []).append(finding)
    return {
        cause: tuple(_ranked(group))
        for cause, group in sorted(by_cause.items())
        if len({f.source for f in group}) > 1
    }
