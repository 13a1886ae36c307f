"""The text report of ``fastapi-medic logs``: failure groups, most severe and most frequent first.

The generic text writer groups findings by file; a log report reads better by group, with
counts, first and last seen, your own frame and the fix. This returns lines; the CLI prints.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi_medic.findings import Finding, Report, Severity

__all__ = ["render_text"]

_COLOURS = {
    Severity.INFO: "36",
    Severity.WARNING: "33",
    Severity.ERROR: "31",
    Severity.CRITICAL: "1;31",
}
_OWN = "(your innermost frame)"


def _order(finding: Finding) -> tuple[int, int, str, int]:
    count = finding.evidence.get("count", 0)
    loc = finding.location
    return (
        -finding.severity,
        -(count if isinstance(count, int) else 0),
        loc.path if loc else "",
        loc.line if loc else 0,
    )


def render_text(report: Report, *, color: bool = False) -> list[str]:
    """The report as lines of text, without trailing newlines."""
    findings = sorted(report.findings, key=_order)
    lines: list[str] = []
    for number, finding in enumerate(findings, 1):
        lines.extend(_group(number, finding, color))
        lines.append("")
    lines.extend(_footer(report, findings))
    return lines


def _paint(text: str, severity: Severity, color: bool) -> str:
    return f"\x1b[{_COLOURS[severity]}m{text}\x1b[0m" if color else text


def _group(number: int, f: Finding, color: bool) -> Iterator[str]:
    ev = f.evidence
    count = ev.get("count", 1)
    label = _paint(f.severity.name.lower(), f.severity, color)
    cause = f.cause.value if f.cause is not None else "-"
    yield f"{number}. {f.code} {cause} x{count} [{label}]"
    yield f"   {f.message}"
    exc_type, exc_message = ev.get("exc_type"), ev.get("exc_message")
    if exc_type or exc_message:
        text = f"{exc_type}: {exc_message}" if exc_type and exc_message else exc_type or exc_message
        yield f"   {str(text)[:160]}"
    if ev.get("user_frame"):
        yield f"   your frame: {ev['user_frame']}"
    elif f.chain:
        yield "   no frame of your own code in the traceback"
    where = f"{f.location.path}:{f.location.line}" if f.location else "-"
    last_line = str(ev.get("last_line") or "")
    if count != 1 and last_line and f.location is not None:
        same_file = last_line.startswith(f"{f.location.path}:")
        where += (
            f", last at line {last_line.rsplit(':', 1)[1]}" if same_file else f", last {last_line}"
        )
    yield f"   log: {where}"
    first_seen, last_seen = ev.get("first_seen"), ev.get("last_seen")
    if first_seen:
        later = f" .. {last_seen}" if last_seen and last_seen != first_seen else ""
        yield f"   seen: {first_seen}{later}"
    if ev.get("routes"):
        yield f"   routes: {ev['routes']}"
    if ev.get("request_id"):
        yield f"   request id: {ev['request_id']}"
    if f.fix:
        yield f"   fix: {f.fix}"
    if ev.get("caught_earlier_by"):
        yield f"   caught earlier by: {ev['caught_earlier_by']}"
    if f.chain and not f.chain[-1].label.endswith(_OWN):
        yield f"   raised in: {f.chain[-1]}"


def _footer(report: Report, findings: list[Finding]) -> Iterator[str]:
    scope = f"{report.files} file" + ("" if report.files == 1 else "s")
    lines = report.summary.get("lines read")
    if isinstance(lines, int):
        scope += f", {lines:,} lines"
    if not findings:
        yield f"No failures found ({scope})."
    else:
        counts: dict[Severity, int] = {}
        for f in findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        parts = ", ".join(f"{n} {s.name.lower()}" for s, n in sorted(counts.items(), reverse=True))
        total = sum(int(f.evidence.get("count", 1) or 1) for f in findings)
        groups = "group" if len(findings) == 1 else "groups"
        times = "occurrence" if total == 1 else "occurrences"
        yield f"Found {len(findings)} failure {groups} ({parts}), {total:,} {times} ({scope})."
    for key, value in sorted(report.summary.items()):
        if key != "lines read":
            yield f"{key}: {value}"
