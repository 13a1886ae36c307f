"""The HTML report: one self-contained page, every finding, escaped, no secret."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from fastapi_medic.findings import Cause, Finding, Frame, Location, Report, Severity, Source
from fastapi_medic.output import WriteOptions
from fastapi_medic.output.html import bar_chart, write_html

OPTIONS = WriteOptions(tool_version="0.1.0")


def _finding(**changes: object) -> Finding:
    base = Finding(
        code="MED101",
        name="blocking-call-in-async-function",
        severity=Severity.ERROR,
        message="time.sleep blocks the event loop",
        fix="Use await asyncio.sleep()",
        location=Location("app/main.py", 12, 4),
        chain=(Frame("read_item", "app/main.py", 10), Frame("pause", "app/util.py", 3)),
        cause=Cause.EVENT_LOOP,
    )
    return base.replace(**changes)


def _render(report: Report) -> str:
    stream = io.StringIO()
    write_html(report, stream, options=OPTIONS)
    return stream.getvalue()


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_every_finding_appears_with_its_fix_and_chain_when_rendered() -> None:
    report = Report(
        command="doctor",
        root="shop",
        findings=(
            _finding(),
            _finding(
                code="MED605",
                name="env-var-missing",
                severity=Severity.WARNING,
                message="DATABASE_URL is not set",
                location=None,
                subject="env DATABASE_URL",
                source=Source.ENV,
                cause=Cause.CONFIG,
                chain=(),
            ),
        ),
    )

    page = _render(report)
    parser = _Collector()
    parser.feed(page)
    text = " ".join(parser.text)

    assert "time.sleep blocks the event loop" in text
    assert "fix: Use await asyncio.sleep()" in text
    assert "read_item app/main.py:10 → pause app/util.py:3" in text
    assert "env DATABASE_URL" in text
    assert parser.tags.count("svg") == 2
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?://', page)


def test_user_text_is_escaped_when_it_holds_markup() -> None:
    report = Report(command="check", root=".", findings=(_finding(message="<script>x</script>"),))

    page = _render(report)

    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_verdict_banner_is_shown_when_the_summary_carries_one() -> None:
    report = Report(
        command="doctor",
        root=".",
        summary={"verdict": "environment", "verdict_reason": "the start command cannot import"},
    )

    page = _render(report)

    assert "Verdict: environment" in page
    assert "the start command cannot import" in page
    assert "All clear" in page


def test_secret_evidence_is_masked_when_rendered() -> None:
    report = Report(
        command="check",
        root=".",
        findings=(_finding(evidence={"url": "postgresql://app:hunter2@db/prod"}),),
    )

    page = _render(report)

    assert "hunter2" not in page


def test_bars_scale_to_the_longest_row_when_drawn() -> None:
    chart = bar_chart(
        "t", [("a", [(Severity.ERROR, 4)]), ("b", [(Severity.WARNING, 1), (Severity.INFO, 1)])]
    )
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', chart)]

    assert widths[0] == max(widths)
    assert abs(widths[0] - 2 * (widths[1] + widths[2])) < 0.5
    assert bar_chart("empty", []) == ""
