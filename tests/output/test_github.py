"""GitHub Actions workflow commands: severity mapping, positions and escaping."""

from __future__ import annotations

import io

import pytest

from fastapi_medic.findings import Finding, Frame, Location, Report, Severity, Source
from fastapi_medic.output import WriteOptions
from fastapi_medic.output.github import annotation, write_github

SLEEP = Finding(
    code="MED102",
    name="sleep-in-async-function",
    severity=Severity.WARNING,
    message="time.sleep blocks the event loop",
    location=Location("routes/users.py", 30, 8, 30, 21),
)


def render(report: Report, *, show_fixes: bool = True) -> str:
    stream = io.StringIO()
    options = WriteOptions(tool_version="0.1.0", show_fixes=show_fixes)
    write_github(report, stream, options=options)
    return stream.getvalue()


def test_annotation_carries_the_full_range_when_the_finding_has_a_location() -> None:
    assert annotation(SLEEP) == (
        "::warning file=routes/users.py,line=30,col=9,endLine=30,endColumn=22,"
        "title=MED102 (sleep-in-async-function)::time.sleep blocks the event loop"
    )


def test_annotation_leaves_out_the_end_when_the_location_has_none() -> None:
    finding = SLEEP.replace(location=Location("db.py", 3, 0))

    assert annotation(finding) == (
        "::warning file=db.py,line=3,col=1,"
        "title=MED102 (sleep-in-async-function)::time.sleep blocks the event loop"
    )


@pytest.mark.parametrize(
    ("severity", "command"),
    [
        (Severity.INFO, "notice"),
        (Severity.WARNING, "warning"),
        (Severity.ERROR, "error"),
        (Severity.CRITICAL, "error"),
    ],
)
def test_command_follows_the_severity_when_written(severity: Severity, command: str) -> None:
    assert annotation(SLEEP.replace(severity=severity)).startswith(f"::{command} file=")


def test_fix_and_chain_follow_on_escaped_lines_when_the_finding_has_them() -> None:
    finding = SLEEP.replace(
        fix="Await asyncio.sleep instead",
        chain=(Frame("get_user", "routes/users.py", 12), Frame("time.sleep")),
    )

    assert annotation(finding).split("::")[2] == (
        "time.sleep blocks the event loop"
        "%0AFix: Await asyncio.sleep instead"
        "%0A↳ get_user routes/users.py:12 → time.sleep"
    )


def test_fix_is_left_out_when_show_fixes_is_off() -> None:
    finding = SLEEP.replace(fix="Await asyncio.sleep instead")

    assert annotation(finding, show_fixes=False).endswith("::time.sleep blocks the event loop")


def test_special_characters_are_escaped_when_message_and_path_hold_them() -> None:
    finding = SLEEP.replace(
        name="odd-pattern",
        message="100% of\r\nrequests: wait, then fail",
        location=Location("a,b:c%d.py", 1, 0),
    )

    assert annotation(finding) == (
        "::warning file=a%2Cb%3Ac%25d.py,line=1,col=1,title=MED102 (odd-pattern)"
        "::100%25 of%0D%0Arequests: wait, then fail"
    )


def test_annotation_names_the_subject_when_the_finding_has_no_location() -> None:
    finding = Finding(
        code="MED601",
        name="database-url-unset",
        severity=Severity.ERROR,
        message="DATABASE_URL is not set",
        subject="env DATABASE_URL",
        source=Source.ENV,
    )

    assert annotation(finding) == (
        "::error title=MED601 (database-url-unset)::env DATABASE_URL: DATABASE_URL is not set"
    )


def test_one_line_per_finding_is_written_when_the_report_has_findings() -> None:
    other = SLEEP.replace(location=Location("a.py", 1, 0))
    report = Report(command="check", root=".", findings=(SLEEP, other), files=2)

    assert render(report).splitlines() == [annotation(other), annotation(SLEEP)]


def test_nothing_is_written_when_the_report_is_clean() -> None:
    assert render(Report(command="check", root=".", files=3)) == ""
