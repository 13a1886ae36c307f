"""The verdict: environment or code, from findings of every source."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_medic.doctor import doctor, side_of, verdict_of
from fastapi_medic.findings import Cause, Finding, Location, Severity, Source


def _f(
    source: Source,
    severity: Severity = Severity.ERROR,
    cause: Cause | None = None,
    message: str = "problem",
) -> Finding:
    return Finding(
        code="MED999",
        name="x",
        severity=severity,
        message=message,
        location=Location("a.py", 1, 0),
        source=source,
        cause=cause,
    )


def test_verdict_is_none_when_nothing_at_warning_or_above() -> None:
    assert verdict_of([_f(Source.STATIC, Severity.INFO)]).kind == "none"
    assert verdict_of([]).kind == "none"


def test_verdict_is_environment_when_only_env_findings_are_errors() -> None:
    verdict = verdict_of(
        [
            _f(Source.ENV, message="module app.main not found from /srv"),
            _f(Source.STATIC, Severity.WARNING),
        ]
    )

    assert verdict.kind == "environment"
    assert "module app.main not found from /srv" in verdict.reason


def test_verdict_is_code_when_only_static_findings_are_errors() -> None:
    verdict = verdict_of(
        [_f(Source.STATIC, message="time.sleep blocks"), _f(Source.ENV, Severity.WARNING)]
    )

    assert verdict.kind == "code"
    assert "time.sleep blocks" in verdict.reason


def test_observed_failure_is_named_when_it_is_the_worst_code_finding() -> None:
    verdict = verdict_of(
        [
            _f(Source.STATIC, message="predicted"),
            _f(Source.LIVE, cause=Cause.SESSION_STATE, message="GET /orders answers 500"),
            _f(Source.ENV, Severity.WARNING),
        ]
    )

    assert verdict.kind == "code"
    assert "GET /orders answers 500 (seen failing)" in verdict.reason


def test_heaviest_warning_decides_when_no_side_holds_an_error() -> None:
    verdict = verdict_of(
        [_f(Source.ENV, Severity.WARNING), _f(Source.LIVE, Severity.WARNING, Cause.EVENT_LOOP)]
    )

    assert verdict.kind == "code"


def test_config_failures_count_for_the_environment_wherever_they_are_seen() -> None:
    finding = _f(Source.LOGS, cause=Cause.CONFIG, message="DATABASE_URL scheme postgres://")

    assert side_of(finding) == "environment"
    assert verdict_of([finding, _f(Source.STATIC, Severity.WARNING)]).kind == "environment"


def test_verdict_names_environment_first_when_both_sides_hold_errors() -> None:
    verdict = verdict_of([_f(Source.ENV, message="python 3.9 in prod"), _f(Source.STATIC)])

    assert verdict.kind == "both"
    assert verdict.reason.startswith("Fix the environment first (python 3.9 in prod)")


@pytest.mark.parametrize("source", [Source.STATIC, Source.RUNTIME, Source.LIVE, Source.LOGS])
def test_side_is_code_when_the_cause_is_not_configuration(source: Source) -> None:
    assert side_of(_f(source, cause=Cause.EVENT_LOOP)) == "code"


def test_reason_does_not_vouch_for_the_environment_when_it_was_not_checked() -> None:
    verdict = verdict_of([_f(Source.STATIC, message="bad")], env_checked=False)

    assert verdict.kind == "code"
    assert "checks out" not in verdict.reason


def test_top_findings_follow_the_verdict_when_both_sides_hold_errors(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "main.py").write_text(
        "import time\nfrom fastapi import FastAPI\napp = FastAPI()\n\n"
        "@app.get('/')\nasync def root():\n    time.sleep(1)\n",
        encoding="utf-8",
    )
    (project / "Procfile").write_text("web: uvicorn server:app --host 0.0.0.0\n", "utf-8")

    result = doctor(project, live=False)

    assert result.verdict.kind == "both"
    assert [f.source for f in result.top[:1]] == [Source.ENV]
    assert Source.STATIC in {f.source for f in result.top}


def test_missing_third_party_module_counts_for_the_environment_when_seen_live(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("", encoding="utf-8")
    (project / "app" / "main.py").write_text(
        "import redis_not_installed_here\nfrom fastapi import FastAPI\napp = FastAPI()\n",
        encoding="utf-8",
    )

    result = doctor(project)

    [failure] = [f for f in result.report.findings if f.code == "MED850"]
    assert failure.evidence["missing_package"] == "redis_not_installed_here"
    assert side_of(failure) == "environment"
    assert result.verdict.kind in ("environment", "both")


def test_missing_module_of_the_project_counts_for_the_code_when_seen_live(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("", encoding="utf-8")
    (project / "app" / "main.py").write_text(
        "import app.helpers\nfrom fastapi import FastAPI\napp = FastAPI()\n", encoding="utf-8"
    )

    result = doctor(project)

    [failure] = [f for f in result.report.findings if f.code == "MED850"]
    assert "missing_package" not in failure.evidence
    assert side_of(failure) == "code"
