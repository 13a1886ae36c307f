"""Text and JSON renderings of a :class:`~fastapi_medic.live.repro.ReproResult`.

These return strings and mappings; the command line prints them. Everything in a result is
already redacted, so rendering never sees a secret.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi_medic.live._tb import ServerError, TbFrame
from fastapi_medic.live.repro import ReproResult

__all__ = ["repro_dict", "repro_text"]

Style = Callable[..., str]


def _plain(text: str, **_: object) -> str:
    return text


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _frame_lines(frames: tuple[TbFrame, ...], style: Style) -> Iterator[str]:
    hidden: list[TbFrame] = []
    last = len(frames) - 1
    for index, frame in enumerate(frames):
        if not frame.user and index != last:
            hidden.append(frame)
            continue
        if hidden:
            packages = sorted({f.path.split("/")[0].removesuffix(".py") for f in hidden})
            yield style(f"    ... {len(hidden)} frames in {', '.join(packages)}", dim=True)
            hidden = []
        marker = ">" if frame.user else " "
        where = f"  {marker} {frame.path}:{frame.line} in {frame.function}"
        yield style(where, bold=frame.user, fg="yellow" if frame.user else None)
        if frame.code:
            yield f"        {frame.code}"


def _error_lines(error: ServerError, style: Style) -> Iterator[str]:
    chain: list[ServerError] = []
    current: ServerError | None = error
    while current is not None:
        chain.append(current)
        current = current.cause
    # Python's order: the original exception first, the one that reached the server last.
    for position, item in enumerate(reversed(chain)):
        if position:
            kind = chain[len(chain) - position].cause_kind
            yield ""
            yield (
                "  The above exception was the direct cause of the following exception:"
                if kind == "cause"
                else "  During handling of the above exception, another exception occurred:"
            )
            yield ""
        yield from _frame_lines(item.frames, style)
        yield style(f"  {item.headline}", fg="red", bold=True)
        for extra in item.message.splitlines()[1:8]:
            yield f"    {extra}"


def repro_text(result: ReproResult, *, color: bool = False) -> list[str]:
    """The readable report of one repro, as lines."""
    import click

    def styled(text: str, **kwargs: Any) -> str:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return click.style(text, **kwargs)

    style: Style = styled if color else _plain
    lines = [f"{result.method} {result.target}  (app {result.app})"]
    for name, value in result.request_headers:
        lines.append(style(f"  {name}: {value}", dim=True))
    if result.hang is not None:
        hang = result.hang
        lines += ["", style(f"timeout: no answer within {hang.timeout:g} s", fg="red", bold=True)]
        lines.append(f"the app was in its {hang.phase} phase; stack of the hung thread:")
        lines += list(_frame_lines(hang.frames, style))
    if result.startup_error is not None:
        lines += ["", style("startup failed; server traceback:", fg="red", bold=True)]
        lines += list(_error_lines(result.startup_error, style))
    exchange = result.exchange
    if exchange is not None:
        status = f"{exchange.status} {_reason(exchange.status)}".strip()
        ok = not exchange.failed
        lines += ["", style(f"status: {status}", fg="green" if ok else "red", bold=True)]
        lines += ["", "response body:"]
        lines.append(f"  {exchange.body}" if exchange.body else "  (empty)")
        if exchange.error is not None:
            note = ", handled by an exception handler" if exchange.handled else ""
            lines += ["", f"server traceback ({exchange.error.where or 'app'}{note}):"]
            lines += list(_error_lines(exchange.error, style))
        if exchange.breadcrumbs:
            lines += ["", "breadcrumbs:"]
            for crumb in exchange.breadcrumbs:
                took = f" ({crumb.ms:.2f} ms)" if crumb.ms is not None else ""
                lines.append(f"  {crumb.at_ms:8.1f} ms  {crumb.kind:<10} {crumb.message}{took}")
        lines += ["", f"request time: {exchange.duration * 1000:.1f} ms"]
    probes = [f for f in result.findings if f.source.value == "runtime"]
    if probes:
        lines += ["", "runtime probes:"]
        for finding in probes:
            loc = finding.location
            where = f"  ({loc.path}:{loc.line})" if loc else ""
            lines.append(f"  {finding.code}  {finding.message}{where}")
            if finding.fix:
                lines.append(style(f"      fix: {finding.fix}", dim=True))
    if result.bisect is not None:
        lines += ["", "bisect:"]
        for step in result.bisect.steps:
            verdict = "passes" if step.passed else f"fails: {step.error or step.status}"
            lines.append(f"  {step.number}. {step.label:<50} {step.status}  {verdict}")
        lines.append(style(f"failing part: {result.bisect.verdict}", bold=True))
    if result.output.strip() and (result.failed or result.hang is not None):
        lines += ["", "app output (last lines):"]
        lines += [f"  {line}" for line in result.output.strip().splitlines()[-15:]]
    lines += ["", f"total: {result.total:.2f} s"]
    return lines


def repro_dict(result: ReproResult) -> dict[str, Any]:
    """A JSON-ready mapping of one repro (findings are added by the caller's writer)."""
    data = dataclasses.asdict(result)
    data.pop("findings")
    data["failed"] = result.failed
    return data
