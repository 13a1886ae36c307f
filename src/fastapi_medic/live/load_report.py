"""Renderings of a :class:`~fastapi_medic.live.load.LoadResult`: text, JSON data, HTML page.

The HTML page is self-contained: inline CSS and SVG charts drawn here, no scripts. Everything in
a result is already redacted.
"""

from __future__ import annotations

import dataclasses
import html
from collections import defaultdict
from typing import Any

from fastapi_medic.findings import Cause, Finding
from fastapi_medic.live.load import PERCENTILES, LoadResult, RouteStats

__all__ = ["load_dict", "load_html", "load_text"]

_STALL_CODES = frozenset({"MED730", "MED731"})
_LEAK_CODES = frozenset({"MED720", "MED721"})
_SHOWN_ELSEWHERE = _STALL_CODES | _LEAK_CODES | {"MED855"}


def _where(finding: Finding) -> str:
    return f"  ({finding.location.path}:{finding.location.line})" if finding.location else ""


def _times(finding: Finding) -> str:
    count = finding.evidence.get("occurrences")
    return f"  [{count} times]" if isinstance(count, int) and count > 1 else ""


def _row(stats: RouteStats, width: int) -> str:
    cells = " ".join(f"{stats.percentiles[f'p{p}']:>9.1f}" for p in PERCENTILES)
    counts = f"{stats.requests:>8} {stats.errors:>6}"
    return f"  {stats.route:<{width}} {counts} {cells} {stats.max_ms:>9.1f}"


def _pool_lines(result: LoadResult) -> list[str]:
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sample in result.pool:
        series[str(sample.get("engine", "engine"))].append(sample)
    lines = []
    for engine, samples in series.items():
        values = [int(s.get("checked_out") or 0) for s in samples]
        step = max(1, -(-len(values) // 12))  # about a dozen points, evenly spaced
        shown = values[::step] + ([values[-1]] if (len(values) - 1) % step else [])
        trail = " -> ".join(str(v) for v in shown)
        lines.append(f"  {engine}  size {samples[0].get('size')}: {trail} (peak {max(values)})")
    return lines


def load_text(result: LoadResult) -> list[str]:
    """The readable report of one load run, as lines."""
    lines = [
        f"load: {result.requests} requests, concurrency {result.concurrency}, "
        f"{result.elapsed:.1f} s ({result.throughput:.1f} req/s), {result.server}, "
        f"app {result.app}; stopped by {result.stopped_by}"
    ]
    if not result.instrumented:
        lines.append("runtime probes unavailable: no stalls, leaks or pool figures")
    width = max([len(r.route) for r in result.routes] + [10])
    heads = " ".join(f"{'p' + str(p):>9}" for p in PERCENTILES)
    lines += ["", f"  {'latency ms':<{width}} {'requests':>8} {'errors':>6} {heads} {'max':>9}"]
    lines += [_row(r, width) for r in (result.overall, *result.routes)]
    if result.errors:
        lines += ["", "errors by cause:"]
        for group in result.errors:
            where = f"  ({group.location})" if group.location else ""
            lines.append(f"  {group.count:>5}  {group.route}  {group.headline[:120]}{where}")
    stalls = [f for f in result.findings if f.code in _STALL_CODES]
    if stalls:
        lines += ["", "event-loop stalls:"]
        for finding in stalls:
            lines.append(
                f"  {finding.subject}  {finding.message}{_where(finding)}{_times(finding)}"
            )
            lines += [f"      {frame}" for frame in finding.chain[-6:]]
    leaks = [f for f in result.findings if f.code in _LEAK_CODES]
    if leaks:
        lines += ["", "leaks per route:"]
        lines += [f"  {f.subject}  {f.message}{_where(f)}{_times(f)}" for f in leaks]
    if result.pool:
        lines += ["", "pool: connections checked out over time"]
        lines += _pool_lines(result)
    others = [f for f in result.findings if f.code not in _SHOWN_ELSEWHERE]
    if others:
        lines += ["", "other findings:"]
        lines += [f"  {f.code} {f.subject or ''}  {f.message}{_where(f)}" for f in others]
    return lines


def load_dict(result: LoadResult) -> dict[str, Any]:
    """The measurements as JSON-ready data (findings are added by the caller's writer)."""
    data = dataclasses.asdict(result)
    data.pop("findings")
    data["throughput"] = round(result.throughput, 2)
    data["stalls"] = len([f for f in result.findings if f.cause is Cause.EVENT_LOOP])
    return data


# -- HTML ------------------------------------------------------------------------------------

_W, _H, _PAD = 640, 220, 40
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _axis(max_x: float, max_y: float, x_label: str, y_label: str) -> list[str]:
    return [
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - 10}" y2="{_H - _PAD}" stroke="#444"/>',
        f'<line x1="{_PAD}" y1="10" x2="{_PAD}" y2="{_H - _PAD}" stroke="#444"/>',
        f'<text x="{_W // 2}" y="{_H - 8}" text-anchor="middle">{html.escape(x_label)}</text>',
        f'<text x="4" y="20">{max_y:.0f}</text>',
        f'<text x="{_W - 60}" y="{_H - _PAD + 15}">{max_x:.1f}</text>',
        f'<text x="{_PAD + 5}" y="20">{html.escape(y_label)}</text>',
    ]


def _scale(value: float, top: float, span: float) -> float:
    return 0.0 if top <= 0 else value / top * span


def _timeline_svg(result: LoadResult) -> str:
    if not result.timeline:
        return ""
    max_t = max(p[0] for p in result.timeline) or 1.0
    max_ms = max(p[1] for p in result.timeline) or 1.0
    routes = sorted({p[2] for p in result.timeline})
    parts = _axis(max_t, max_ms, "seconds", "latency ms")
    for t, ms, route, outcome in result.timeline:
        x = _PAD + _scale(t, max_t, _W - _PAD - 20)
        y = _H - _PAD - _scale(ms, max_ms, _H - _PAD - 20)
        failed = not outcome.isdigit() or int(outcome) >= 500
        color = "#d62728" if failed else _COLORS[routes.index(route) % len(_COLORS)]
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 if failed else 2}" fill="{color}"/>')
    return _svg(parts)


def _pool_svg(result: LoadResult) -> str:
    if not result.pool:
        return ""
    start = min(float(s["t"]) for s in result.pool)
    max_t = max(float(s["t"]) - start for s in result.pool) or 1.0
    max_out = max(int(s.get("checked_out") or 0) for s in result.pool) or 1
    series: dict[str, list[str]] = defaultdict(list)
    for s in result.pool:
        x = _PAD + _scale(float(s["t"]) - start, max_t, _W - _PAD - 20)
        y = _H - _PAD - _scale(int(s.get("checked_out") or 0), max_out, _H - _PAD - 20)
        series[str(s.get("engine"))].append(f"{x:.1f},{y:.1f}")
    parts = _axis(max_t, max_out, "seconds", "connections checked out")
    for index, points in enumerate(series.values()):
        color = _COLORS[index % len(_COLORS)]
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
        )
    return _svg(parts)


def _svg(parts: list[str]) -> str:
    body = "".join(parts)
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}">{body}</svg>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def load_html(result: LoadResult) -> str:
    """A self-contained HTML page with the tables and charts of one load run."""
    latency = _table(
        ["route", "requests", "errors", *(f"p{p} ms" for p in PERCENTILES), "max ms"],
        [
            [r.route, str(r.requests), str(r.errors)]
            + [f"{r.percentiles[f'p{p}']:.1f}" for p in PERCENTILES]
            + [f"{r.max_ms:.1f}"]
            for r in (result.overall, *result.routes)
        ],
    )
    errors = _table(
        ["count", "route", "error", "where"],
        [[str(g.count), g.route, g.headline, g.location or ""] for g in result.errors],
    )
    findings = _table(
        ["code", "subject", "message", "where"],
        [[f.code, f.subject or "", f.message, _where(f).strip(" ()")] for f in result.findings],
    )
    title = f"fastapi-medic load: {result.app}"
    summary = html.escape(load_text(result)[0])
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "svg text{font-size:11px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{summary}</p>"
        f"<h2>Latency</h2>{latency}<h2>Latency over time</h2>{_timeline_svg(result)}"
        f"<p>red dots: failed requests</p><h2>Errors by cause</h2>{errors}"
        f"<h2>Pool: connections checked out</h2>{_pool_svg(result)}"
        f"<h2>Findings</h2>{findings}</body></html>\n"
    )
