"""The JSON report: its schema, its key order, and that it carries every field of a finding."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the lock file

from fastapi_medic.findings import (
    Applicability,
    Cause,
    Edit,
    Finding,
    Fix,
    Frame,
    Location,
    Report,
    Severity,
    Source,
)
from fastapi_medic.output import WriteOptions
from fastapi_medic.output.json import FORMAT_VERSION, load_schema, write_json

SCHEMA_FILE = pathlib.Path(__file__).parents[2] / "src/fastapi_medic/output/report.schema.json"

FULL = Finding(
    code="MED101",
    name="blocking-call-in-async-function",
    severity=Severity.ERROR,
    message="requests.get blocks the event loop → every request waits",
    fix="Call httpx.AsyncClient instead",
    location=Location("routes/users.py", 12, 4, 12, 30),
    subject="GET /users/{id}",
    chain=(
        Frame("get_user", "routes/users.py", 12),
        Frame("ProfileService.fetch", "services/profile.py"),
        Frame("requests.get"),
    ),
    source=Source.STATIC,
    cause=Cause.EVENT_LOOP,
    evidence={"calls": 2, "ratio": 0.5, "inline": True, "note": "ünïcode", "none": None},
    autofix=Fix(
        edits=(
            Edit("routes/users.py", 12, 4, 12, 16, "await client.get"),
            Edit("routes/users.py", 1, 0, 1, 0, "import httpx\n"),
        ),
        applicability=Applicability.UNSAFE,
    ),
)
BARE = Finding(
    code="MED601",
    name="database-url-unset",
    severity=Severity.WARNING,
    message="DATABASE_URL is not set",
    source=Source.ENV,
)
REPORT = Report(
    command="check",
    root="/srv/app",
    findings=(FULL, BARE),
    silenced=3,
    files=12,
    duration=1.23456,
    summary={"cached": 10},
)


def render(report: Report) -> str:
    stream = io.StringIO()
    write_json(report, stream, options=WriteOptions(tool_version="1.2.3"))
    return stream.getvalue()


def parse(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render(report))
    return data


def finding_from_json(data: dict[str, Any]) -> Finding:
    location = data["location"]
    autofix = data["autofix"]
    return Finding(
        code=data["code"],
        name=data["name"],
        severity=Severity.parse(data["severity"]),
        message=data["message"],
        fix=data["fix"],
        location=None if location is None else Location(**location),
        subject=data["subject"],
        chain=tuple(Frame(**frame) for frame in data["chain"]),
        source=Source(data["source"]),
        cause=None if data["cause"] is None else Cause(data["cause"]),
        evidence=data["evidence"],
        autofix=None
        if autofix is None
        else Fix(
            edits=tuple(Edit(**edit) for edit in autofix["edits"]),
            applicability=Applicability(autofix["applicability"]),
        ),
    )


def test_schema_is_a_valid_draft_2020_12_schema_when_loaded_from_the_package() -> None:
    schema = load_schema()

    Draft202012Validator.check_schema(schema)
    assert schema == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "report",
    [REPORT, Report(command="env check", root=".")],
    ids=["full", "empty"],
)
def test_output_matches_the_schema_when_written(report: Report) -> None:
    validator = Draft202012Validator(load_schema())

    errors = [error.message for error in validator.iter_errors(parse(report))]

    assert errors == []


def test_findings_survive_a_round_trip_when_every_field_is_set() -> None:
    data = parse(REPORT)

    restored = [finding_from_json(item) for item in data["findings"]]

    assert restored == list(REPORT.findings)
    # autofix does not take part in equality, so compare it on its own
    assert [f.autofix for f in restored] == [f.autofix for f in REPORT.findings]


def test_report_fields_are_written_in_a_fixed_order_when_serialised() -> None:
    data = parse(REPORT)

    assert list(data) == [
        "version", "tool", "command", "root", "findings",
        "silenced", "files", "duration", "summary",
    ]  # fmt: skip
    assert list(data["findings"][0]) == [
        "code", "name", "severity", "message", "fix", "location", "subject",
        "chain", "source", "cause", "evidence", "autofix",
    ]  # fmt: skip
    full = next(item for item in data["findings"] if item["code"] == "MED101")
    assert list(full["evidence"]) == ["calls", "inline", "none", "note", "ratio"]


def test_run_figures_are_written_when_the_report_has_them() -> None:
    data = parse(REPORT)

    assert data["version"] == FORMAT_VERSION == 1
    assert data["tool"] == {"name": "fastapi-medic", "version": "1.2.3"}
    assert (data["command"], data["root"]) == ("check", "/srv/app")
    assert (data["silenced"], data["files"], data["duration"]) == (3, 12, 1.235)
    assert data["summary"] == {"cached": 10}


def test_finding_without_location_has_null_fields_when_optional_parts_are_missing() -> None:
    data = parse(Report(command="env check", root=".", findings=(BARE,)))

    assert data["findings"] == [
        {
            "code": "MED601",
            "name": "database-url-unset",
            "severity": "warning",
            "message": "DATABASE_URL is not set",
            "fix": None,
            "location": None,
            "subject": None,
            "chain": [],
            "source": "env",
            "cause": None,
            "evidence": {},
            "autofix": None,
        }
    ]


def test_text_is_written_unescaped_and_indented_when_it_is_not_ascii() -> None:
    text = render(REPORT)

    assert "→ every request waits" in text
    assert '\n  "version": 1,\n' in text
    assert text.endswith("}\n")


def test_non_finite_numbers_become_strings_when_evidence_holds_them() -> None:
    finding = BARE.replace(evidence={"p99": float("inf"), "mean": float("nan")})

    text = render(Report(command="logs", root=".", findings=(finding,)))

    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} in JSON"))
    assert data["findings"][0]["evidence"] == {"mean": "nan", "p99": "inf"}


def test_secrets_are_redacted_when_evidence_names_them() -> None:
    finding = BARE.replace(evidence={"api_token": "abc123", "pool_size": 5})

    data = parse(Report(command="env check", root=".", findings=(finding,)))

    assert data["findings"][0]["evidence"]["api_token"] != "abc123"
    assert data["findings"][0]["evidence"]["pool_size"] == 5
