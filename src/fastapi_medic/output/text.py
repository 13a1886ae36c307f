"""The readable report: findings grouped by file, fix hints, call chains and a footer.

Every piece of user text is appended to :class:`rich.text.Text` objects as plain text, so a
message holding ``[bold]`` or ``:smile:`` is printed as written, never as markup.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterator
from typing import TextIO

from rich.console import Console
from rich.text import Text

from fastapi_medic.findings import Finding, Report, Severity
from fastapi_medic.output._base import WriteOptions, count_noun, severity_counts, severity_label

__all__ = ["write_text"]

_DEFAULT_WIDTH = 100

_SEVERITY_STYLE: dict[Severity, str] = {
    Severity.INFO: "cyan",
    Severity.WARNING: "yellow",
    Severity.ERROR: "red",
    Severity.CRITICAL: "bold red",
}


def write_text(report: Report, stream: TextIO, /, *, options: WriteOptions) -> None:
    """Write ``report`` as a readable text report.

    Findings with a location are grouped under their file's path; the others follow, grouped
    under their subject. With ``options.statistics`` one line per code replaces the findings.
    The footer counts findings per severity, the files examined and the silenced findings.
    """
    console = _console(stream, options.color)
    lines = _statistics(report) if options.statistics else _findings(report, options)
    for line in [*lines, *_footer(report)]:
        console.print(line)


def _console(stream: TextIO, color: bool) -> Console:
    return Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        # A fixed palette: colour must not vanish because TERM is unset or "dumb" in CI.
        color_system="standard" if color else None,
        width=_width(stream),
        highlight=False,
        markup=False,
        emoji=False,
        # Findings are never wrapped or cropped, so a line stays greppable and copyable.
        soft_wrap=True,
        legacy_windows=False,
    )


def _width(stream: TextIO) -> int:
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    return _DEFAULT_WIDTH


def _findings(report: Report, options: WriteOptions) -> Iterator[Text]:
    for header, findings in _groups(report.findings):
        yield Text(header, style="bold")
        for finding in findings:
            yield from _finding_lines(finding, options)
        yield Text()


def _groups(findings: tuple[Finding, ...]) -> list[tuple[str, list[Finding]]]:
    located: dict[str, list[Finding]] = {}
    unlocated: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.location is not None:
            located.setdefault(finding.location.path, []).append(finding)
        else:
            header = finding.subject or f"{finding.source.value} (no location)"
            unlocated.setdefault(header, []).append(finding)
    return [*located.items(), *sorted(unlocated.items())]


def _finding_lines(finding: Finding, options: WriteOptions) -> Iterator[Text]:
    line = Text("  ")
    if finding.location is not None:
        line.append(f"{finding.location.line}:{finding.location.column + 1}", style="dim")
        line.append("  ")
    line.append(finding.code, style="bold")
    line.append("  ")
    line.append(finding.message)
    line.append("  ")
    line.append(f"[{severity_label(finding.severity)}]", style=_SEVERITY_STYLE[finding.severity])
    yield line
    if options.show_fixes and finding.fix:
        yield Text.assemble("    ", ("fix:", "green"), " ", finding.fix)
    if finding.chain:
        chain = " → ".join(str(frame) for frame in finding.chain)
        yield Text.assemble("    ", ("↳ ", "dim"), (chain, "dim"))
    if finding.evidence:
        pairs = ", ".join(f"{key}={value}" for key, value in sorted(finding.evidence.items()))
        yield Text.assemble("    ", ("evidence:", "dim"), " ", pairs)


def _statistics(report: Report) -> Iterator[Text]:
    counts = Counter(finding.code for finding in report.findings)
    names = {finding.code: finding.name for finding in report.findings}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(count)) for _, count in rows), default=1)
    for code, count in rows:
        yield Text.assemble(str(count).rjust(width), "  ", (code, "bold"), "  ", names[code])
    if rows:
        yield Text()


def _footer(report: Report) -> Iterator[Text]:
    scope = f" in {count_noun(report.files, 'file')}" if report.files else ""
    silenced = f"; {report.silenced} silenced."
    if not report.findings:
        yield Text(f"All clear: no findings{scope}{silenced}", style="bold green")
    else:
        worst = max(finding.severity for finding in report.findings)
        yield Text(
            f"Found {count_noun(len(report.findings), 'finding')} "
            f"({severity_counts(report.findings)}){scope}{silenced}",
            style=f"bold {_SEVERITY_STYLE[worst].removeprefix('bold ')}",
        )
    for key, value in sorted(report.summary.items()):
        yield Text(f"{key}: {value}", style="dim")
