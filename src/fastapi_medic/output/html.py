"""A self-contained HTML report: a verdict banner, charts drawn as inline SVG, every finding.

The page has no scripts and loads nothing from the network, so it can be attached to a
ticket or opened from a CI artifact as it is. Every piece of user text goes through
:func:`html.escape`; the findings' evidence was redacted when they were made.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO

from fastapi_medic.findings import Finding, Report, Severity, Source
from fastapi_medic.output._base import (
    WriteOptions,
    count_noun,
    json_figures,
    severity_counts,
    severity_label,
)

__all__ = ["bar_chart", "write_html"]

_COLOURS: dict[Severity, str] = {
    Severity.INFO: "#2b8cbe",
    Severity.WARNING: "#e6a000",
    Severity.ERROR: "#d7301f",
    Severity.CRITICAL: "#7f0000",
}
_VERDICT_COLOURS = {"environment": "#6a51a3", "code": "#d7301f", "both": "#e6550d"}

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;
color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.banner{padding:1rem 1.2rem;border-radius:6px;color:#fff;margin:1rem 0}
.banner b{font-size:1.2rem}.muted{color:#666}.charts{display:flex;flex-wrap:wrap;gap:2rem}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}code{font:13px ui-monospace,Menlo,monospace}
.sev{font-weight:600}.fix{color:#1a7f37}.chain{color:#555;font-size:13px}
"""


def write_html(report: Report, stream: TextIO, /, *, options: WriteOptions) -> None:
    """Write ``report`` as one HTML page.

    ``report.summary`` may carry ``verdict`` and ``verdict_reason`` (``doctor``): they are
    shown as a banner above the charts.
    """
    title = f"fastapi-medic {report.command}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(report.root)} · fastapi-medic {_e(options.tool_version)} · '
        f"{report.duration:.1f} s</p>",
        *_banner(report),
        f"<p><b>{_e(_headline(report))}</b></p>",
        '<div class="charts">',
        bar_chart("Findings by source and severity", _by_source(report.findings)),
        bar_chart("Findings by cause", _by_cause(report.findings)),
        "</div>",
        *_figures(report),
        *_tables(report.findings, options),
        "</body></html>",
    ]
    stream.write("\n".join(parts) + "\n")


def bar_chart(
    title: str, rows: Sequence[tuple[str, Sequence[tuple[Severity, int]]]], *, width: int = 420
) -> str:
    """A horizontal stacked bar chart as an inline SVG figure.

    Args:
        title: the caption above the chart.
        rows: one bar per label, each made of (severity, count) segments.
        width: the drawing width in pixels.

    Returns:
        The ``<figure>`` element, or an empty string when there is nothing to draw.
    """
    if not rows:
        return ""
    label_width, bar_height, gap = 150, 18, 6
    total = max(sum(count for _, count in segments) for _, segments in rows) or 1
    scale = (width - label_width - 40) / total
    height = len(rows) * (bar_height + gap) + gap
    shapes: list[str] = []
    for index, (label, segments) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        shapes.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" '
            f'font-size="12">{_e(label)}</text>'
        )
        x = float(label_width)
        for severity, count in segments:
            w = count * scale
            shapes.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                f'fill="{_COLOURS[severity]}"><title>{count} {severity_label(severity)}'
                "</title></rect>"
            )
            x += w
        count_total = sum(count for _, count in segments)
        shapes.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="12">{count_total}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}">{"".join(shapes)}</svg>'
    )
    return f"<figure><figcaption>{_e(title)}</figcaption>{svg}</figure>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _headline(report: Report) -> str:
    if not report.findings:
        return "All clear: no findings."
    return (
        f"{count_noun(len(report.findings), 'finding')} ({severity_counts(report.findings)}); "
        f"{report.silenced} silenced."
    )


def _banner(report: Report) -> Iterator[str]:
    verdict = report.summary.get("verdict")
    if verdict is None:
        return
    colour = _VERDICT_COLOURS.get(str(verdict), "#31a354")
    reason = report.summary.get("verdict_reason", "")
    yield (
        f'<div class="banner" style="background:{colour}"><b>Verdict: {_e(verdict)}</b>'
        f"<br>{_e(reason)}</div>"
    )


def _segments(findings: Iterable[Finding]) -> list[tuple[Severity, int]]:
    counts = Counter(f.severity for f in findings)
    return [(level, counts[level]) for level in sorted(counts, reverse=True)]


def _by_source(findings: Sequence[Finding]) -> list[tuple[str, list[tuple[Severity, int]]]]:
    return [
        (source.value, _segments(f for f in findings if f.source is source))
        for source in Source
        if any(f.source is source for f in findings)
    ]


def _by_cause(findings: Sequence[Finding]) -> list[tuple[str, list[tuple[Severity, int]]]]:
    causes = sorted({f.cause.value if f.cause else "other" for f in findings})
    return [
        (cause, _segments(f for f in findings if (f.cause.value if f.cause else "other") == cause))
        for cause in causes
    ]


def _figures(report: Report) -> Iterator[str]:
    figures = {k: v for k, v in json_figures(report.summary).items() if not k.startswith("verdict")}
    if not figures:
        return
    yield "<h2>Figures</h2><table>"
    for key, value in figures.items():
        yield f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>"
    yield "</table>"


def _tables(findings: Sequence[Finding], options: WriteOptions) -> Iterator[str]:
    for source in Source:
        chosen = [f for f in findings if f.source is source]
        if not chosen:
            continue
        chosen.sort(key=lambda f: (-f.severity, f.sort_key))
        yield f"<h2>{_e(source.value)} ({len(chosen)})</h2>"
        yield "<table><tr><th>severity</th><th>code</th><th>where</th><th>problem</th></tr>"
        for finding in chosen:
            yield _row(finding, options)
        yield "</table>"


def _row(finding: Finding, options: WriteOptions) -> str:
    where = finding.subject or ""
    if finding.location is not None:
        where = f"{finding.location.path}:{finding.location.line}"
    detail = [_e(finding.message)]
    if options.show_fixes and finding.fix:
        detail.append(f'<div class="fix">fix: {_e(finding.fix)}</div>')
    if finding.chain:
        chain = " → ".join(str(frame) for frame in finding.chain)
        detail.append(f'<div class="chain">{_e(chain)}</div>')
    if finding.evidence:
        pairs = ", ".join(f"{k}={v}" for k, v in sorted(finding.evidence.items()))
        detail.append(f'<div class="chain">evidence: {_e(pairs)}</div>')
    colour = _COLOURS[finding.severity]
    return (
        f'<tr><td class="sev" style="color:{colour}">{severity_label(finding.severity)}</td>'
        f"<td><code>{_e(finding.code)}</code></td><td><code>{_e(where)}</code></td>"
        f"<td>{''.join(detail)}</td></tr>"
    )
