"""``fastapi-medic doctor``: every check, then the verdict and what to do first."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from fastapi_medic.cli.options import config_for, emit_report, severity_choice
from fastapi_medic.findings import Severity

if TYPE_CHECKING:
    from fastapi_medic.doctor import DoctorResult

__all__ = ["doctor"]

FORMATS = ["text", "json", "sarif", "github", "html"]

_VERDICT_STYLE = {"environment": "bold magenta", "code": "bold red", "both": "bold yellow"}


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path), default=Path("."))
@click.option("--app", "app_spec", metavar="MODULE:ATTR", help="The app, when discovery misses it.")
@click.option("--no-live", is_flag=True, help="Do not import the app or send it requests.")
@click.option(
    "--logs",
    "log_files",
    multiple=True,
    metavar="FILE",
    help="Also triage these log files (repeatable; globs and .gz work).",
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Live probe limit, s.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the HTML report to this file.",
)
@click.option(
    "--fail-level",
    type=severity_choice(),
    help="Exit 1 at or above this severity [default: warning].",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the text report [default: when a terminal]."
)
def doctor(
    *,
    path: Path,
    app_spec: str | None,
    no_live: bool,
    log_files: tuple[str, ...],
    timeout: float,
    fmt: str,
    html_file: Path | None,
    fail_level: str | None,
    color: bool | None,
) -> None:
    """Run the environment, code and live checks and say where the trouble is."""
    from fastapi_medic.doctor import doctor as run_doctor

    config = config_for([path], fail_level=Severity.parse(fail_level) if fail_level else None)
    result = run_doctor(
        path, config=config, live=not no_live, app=app_spec, logs=log_files, timeout=timeout
    )
    if html_file is not None:
        emit_report(result.report, "html", output=html_file)
    if fmt == "text":
        # the verdict closes the text report; the footer need not repeat it
        emit_report(dataclasses.replace(result.report, summary={}), fmt, color=color)
        _summary(result, color)
    else:
        emit_report(result.report, fmt, color=color)
    failing = result.report.at_or_above(config.fail_level)
    sys.exit(1 if failing else 0)


def _summary(result: DoctorResult, color: bool | None) -> None:
    use_color = sys.stdout.isatty() if color is None else color
    console = Console(
        no_color=not use_color,
        force_terminal=use_color,
        color_system="standard" if use_color else None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    console.print()
    console.print(Text("Checks", style="bold"))
    for section in result.sections:
        if section.ran:
            state = f"{section.findings} findings in {section.seconds:.1f} s"
        else:
            state = section.note
        console.print(Text.assemble(f"  {section.name:<12}", (state, "dim")))
    if result.links:
        console.print(Text("Seen from more than one side", style="bold"))
        for cause, findings in result.links.items():
            sides = "; ".join(
                f"{source.value} "
                + ", ".join(sorted({f.code for f in findings if f.source is source}))
                for source in sorted({f.source for f in findings}, key=lambda s: s.value)
            )
            console.print(f"  {cause}: {sides}")
    if result.top:
        console.print(Text("Do first", style="bold"))
        for index, finding in enumerate(result.top, 1):
            where = finding.subject or ""
            if finding.location is not None:
                where = f"{finding.location.path}:{finding.location.line}"
            console.print(f"  {index}. {finding.code} {finding.message} ({where})")
            if finding.fix:
                console.print(Text.assemble("     ", ("fix:", "green"), " ", finding.fix))
    verdict = result.verdict
    console.print()
    console.print(
        Text.assemble(
            ("Verdict: ", "bold"), (verdict.kind, _VERDICT_STYLE.get(verdict.kind, "bold green"))
        )
    )
    console.print(verdict.reason)
