"""``fastapi-medic check``: options -> static.check_paths -> writer -> exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fastapi_medic.cli.options import (
    config_for,
    emit_report,
    selection_options,
    severity_choice,
    split_codes,
)
from fastapi_medic.findings import Severity

FORMATS = ["text", "json", "sarif", "github", "html"]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@selection_options
@click.option(
    "--fail-level",
    type=severity_choice(),
    help="Exit 1 at or above this severity [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing them.")
@click.option("--no-cache", is_flag=True, help="Analyse every file again, ignoring the cache.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file.",
)
@click.option("--fix", is_flag=True, help="Apply safe mechanical fixes, then report what remains.")
@click.option(
    "--unsafe-fixes", is_flag=True, help="With --fix, also apply fixes that may change behaviour."
)
@click.option(
    "--color/--no-color", default=None, help="Colour the text report [default: when a terminal]."
)
def check(
    *,
    paths: tuple[Path, ...],
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    fail_level: str | None,
    exit_zero: bool,
    statistics: bool,
    no_cache: bool,
    output: Path | None,
    color: bool | None,
    fix: bool,
    unsafe_fixes: bool,
) -> None:
    """Check a FastAPI code base for the causes of production failures."""
    from fastapi_medic.static import check_paths

    targets = list(paths) or [Path(".")]
    config = config_for(
        targets,
        select=split_codes(select),
        ignore=split_codes(ignore),
        extend_select=split_codes(extend_select),
        fail_level=Severity.parse(fail_level) if fail_level else None,
    )
    report = check_paths(
        targets, config, use_cache=not no_cache, fix=fix, unsafe_fixes=unsafe_fixes
    )
    emit_report(report, fmt, output=output, color=color, statistics=statistics)
    failing = report.at_or_above(config.fail_level)
    sys.exit(1 if failing and not exit_zero else 0)
