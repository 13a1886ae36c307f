"""``fastapi-medic logs``: sources -> logs.triage -> writer -> exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from fastapi_medic._version import __version__
from fastapi_medic.cli.options import severity_choice
from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Report, Severity

__all__ = ["logs"]

FORMATS = ["text", "json", "sarif", "github"]


@click.command("logs")
@click.argument("sources", nargs=-1, metavar="[FILE... | -]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--since", metavar="TIME", help="Ignore failures before TIME (ISO 8601, or 2h, 30m).")
@click.option("--until", metavar="TIME", help="Ignore failures after TIME (ISO 8601, or 2h, 30m).")
@click.option(
    "--fail-level",
    type=severity_choice(),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when failures are found.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file.",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the text report [default: when a terminal]."
)
def logs(
    *,
    sources: tuple[str, ...],
    fmt: str,
    since: str | None,
    until: str | None,
    fail_level: str,
    exit_zero: bool,
    output: Path | None,
    color: bool | None,
) -> None:
    """Find, group and explain the failures in server logs.

    Reads uvicorn, gunicorn, JSON and container logs (files, globs, .gz, or - for standard
    input), reassembles tracebacks, and names each failure's cause, your own frame and the fix.
    """
    from fastapi_medic import logs as triage_logs

    if not sources:
        if sys.stdin.isatty():
            raise UsageError("pass log files, a glob, or - to read standard input")
        sources = ("-",)
    report = triage_logs.triage(list(sources), since=since, until=until)
    if output is not None:
        try:
            with output.open("w", encoding="utf-8") as stream:
                _write(report, fmt, stream, color=bool(color))
        except OSError as exc:
            raise UsageError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc
    else:
        _write(report, fmt, sys.stdout, color=sys.stdout.isatty() if color is None else color)
    failing = report.at_or_above(Severity.parse(fail_level))
    sys.exit(1 if failing and not exit_zero else 0)


def _write(report: Report, fmt: str, stream: TextIO, *, color: bool) -> None:
    if fmt == "text":
        from fastapi_medic.logs.render import render_text

        for line in render_text(report, color=color):
            stream.write(line + "\n")
        return
    from fastapi_medic.logs.rules import LogRule
    from fastapi_medic.output import WriteOptions, write
    from fastapi_medic.registry import all_rules

    rules = tuple(rule for rule in all_rules() if issubclass(rule, LogRule))
    write(report, fmt, stream, WriteOptions(tool_version=__version__, rules=rules))
