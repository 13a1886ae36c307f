"""The text report: grouping, fix hints, chains, footer, statistics and colour."""

from __future__ import annotations

import io
import textwrap

from fastapi_medic.findings import Finding, Frame, Location, Report, Severity, Source
from fastapi_medic.output import WriteOptions
from fastapi_medic.output.text import write_text

BLOCKING = Finding(
    code="MED101",
    name="blocking-call-in-async-function",
    severity=Severity.ERROR,
    message="requests.get blocks the event loop",
    fix="Call httpx.AsyncClient instead",
    location=Location("routes/users.py", 12, 4, 12, 30),
    chain=(
        Frame("get_user", "routes/users.py", 12),
        Frame("ProfileService.fetch", "services/profile.py", 40),
        Frame("requests.get", "services/profile.py", 44),
    ),
)
SLEEP = Finding(
    code="MED102",
    name="sleep-in-async-function",
    severity=Severity.WARNING,
    message="time.sleep blocks the event loop",
    fix="Await asyncio.sleep instead",
    location=Location("routes/users.py", 30, 8),
)
SESSION = Finding(
    code="MED201",
    name="session-at-import-time",
    severity=Severity.WARNING,
    message="Session is created when the module is imported",
    location=Location("db.py", 3, 0),
)
DATABASE_URL = Finding(
    code="MED601",
    name="database-url-unset",
    severity=Severity.WARNING,
    message="DATABASE_URL is not set",
    fix="Set DATABASE_URL in the service's environment",
    subject="env DATABASE_URL",
    source=Source.ENV,
)
SLOW_ROUTE = Finding(
    code="MED701",
    name="slow-route",
    severity=Severity.INFO,
    message="Route answers slowly under load",
    subject="GET /items/{id}",
    source=Source.RUNTIME,
    evidence={"requests": 40, "p95_ms": 812.5},
)


def render(
    report: Report, *, color: bool = False, show_fixes: bool = True, statistics: bool = False
) -> str:
    stream = io.StringIO()
    options = WriteOptions(
        tool_version="0.1.0", color=color, show_fixes=show_fixes, statistics=statistics
    )
    write_text(report, stream, options=options)
    return stream.getvalue()


def test_report_groups_findings_by_file_then_subject_when_findings_mix_sources() -> None:
    report = Report(
        command="check",
        root=".",
        findings=(SLOW_ROUTE, SLEEP, DATABASE_URL, BLOCKING, SESSION),
        silenced=2,
        files=12,
    )

    assert render(report) == textwrap.dedent(
        """\
        db.py
          3:1  MED201  Session is created when the module is imported  [warning]

        routes/users.py
          12:5  MED101  requests.get blocks the event loop  [error]
            fix: Call httpx.AsyncClient instead
            ↳ get_user routes/users.py:12 → ProfileService.fetch services/profile.py:40 → requests.get services/profile.py:44
          30:9  MED102  time.sleep blocks the event loop  [warning]
            fix: Await asyncio.sleep instead

        GET /items/{id}
          MED701  Route answers slowly under load  [info]
            evidence: p95_ms=812.5, requests=40

        env DATABASE_URL
          MED601  DATABASE_URL is not set  [warning]
            fix: Set DATABASE_URL in the service's environment

        Found 5 findings (1 error, 3 warnings, 1 info) in 12 files; 2 silenced.
        """  # noqa: E501
    )


def test_footer_says_all_clear_when_there_are_no_findings() -> None:
    report = Report(command="check", root=".", silenced=1, files=12)

    assert render(report) == "All clear: no findings in 12 files; 1 silenced.\n"


def test_footer_names_each_severity_once_when_counts_are_singular() -> None:
    critical = SESSION.replace(severity=Severity.CRITICAL)
    report = Report(command="check", root=".", findings=(critical,), files=1)

    assert render(report).splitlines()[-1] == "Found 1 finding (1 critical) in 1 file; 0 silenced."


def test_footer_leaves_out_the_file_count_when_no_files_were_examined() -> None:
    report = Report(command="env check", root=".", findings=(DATABASE_URL,))

    assert render(report).splitlines()[-1] == "Found 1 finding (1 warning); 0 silenced."


def test_summary_figures_follow_the_footer_when_the_report_has_them() -> None:
    report = Report(command="check", root=".", files=3, summary={"cached": 2, "parsed": 1})

    assert render(report).splitlines() == [
        "All clear: no findings in 3 files; 0 silenced.",
        "cached: 2",
        "parsed: 1",
    ]


def test_fix_lines_are_left_out_when_show_fixes_is_off() -> None:
    report = Report(command="check", root=".", findings=(SLEEP,), files=1)

    assert render(report, show_fixes=False) == textwrap.dedent(
        """\
        routes/users.py
          30:9  MED102  time.sleep blocks the event loop  [warning]

        Found 1 finding (1 warning) in 1 file; 0 silenced.
        """
    )


def test_text_is_printed_literally_when_it_looks_like_rich_markup() -> None:
    tricky = SESSION.replace(
        message="[bold]x[/bold] and [red] and :smile: stay as written",
        fix="Remove [/] from app[0]",
        location=Location("[weird]/db.py", 1, 0),
    )
    report = Report(command="check", root=".", findings=(tricky,), files=1)

    assert render(report).splitlines()[:3] == [
        "[weird]/db.py",
        "  1:1  MED201  [bold]x[/bold] and [red] and :smile: stay as written  [warning]",
        "    fix: Remove [/] from app[0]",
    ]


def test_long_lines_are_never_wrapped_when_they_exceed_the_width() -> None:
    long = SESSION.replace(message="x" * 250)
    report = Report(command="check", root=".", findings=(long,), files=1)

    assert f"  3:1  MED201  {'x' * 250}  [warning]" in render(report).splitlines()


def test_statistics_list_codes_by_count_when_statistics_is_on() -> None:
    report = Report(
        command="check",
        root=".",
        findings=(
            SESSION,
            SESSION.replace(location=Location("other.py", 1, 0)),
            SLEEP,
            *(BLOCKING.replace(location=Location(f"r{i}.py", 1, 0)) for i in range(10)),
        ),
        silenced=0,
        files=13,
    )

    assert render(report, statistics=True) == textwrap.dedent(
        """\
        10  MED101  blocking-call-in-async-function
         2  MED201  session-at-import-time
         1  MED102  sleep-in-async-function

        Found 13 findings (10 errors, 3 warnings) in 13 files; 0 silenced.
        """
    )


def test_statistics_print_only_the_footer_when_there_are_no_findings() -> None:
    report = Report(command="check", root=".", files=2)

    assert render(report, statistics=True) == "All clear: no findings in 2 files; 0 silenced.\n"


def test_severity_is_coloured_when_color_is_on() -> None:
    report = Report(command="check", root=".", findings=(BLOCKING, SLEEP), files=1)

    output = render(report, color=True)

    assert "\x1b[31m[error]\x1b[0m" in output
    assert "\x1b[33m[warning]\x1b[0m" in output


def test_output_has_no_escape_codes_when_color_is_off() -> None:
    report = Report(command="check", root=".", findings=(BLOCKING, SLOW_ROUTE), files=1)

    assert "\x1b" not in render(report, color=False)
