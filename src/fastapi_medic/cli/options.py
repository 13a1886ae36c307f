"""Options shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from fastapi_medic._version import __version__
from fastapi_medic.config import Config, load_config
from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Report, Severity

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = [s.name.lower() for s in Severity]


def split_codes(values: Sequence[str]) -> tuple[str, ...]:
    """``("MED1,MED2", "MED3")`` -> ``("MED1", "MED2", "MED3")``."""
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


def config_for(paths: Sequence[Path], **overrides: object) -> Config:
    """Load the configuration nearest to the first path, with command-line overrides."""
    start = paths[0] if paths else Path.cwd()
    clean = {k: v for k, v in overrides.items() if v not in (None, (), "")}
    return load_config(start, overrides=clean)


def selection_options(func: F) -> F:
    """``--select``, ``--ignore``, ``--extend-select``."""
    for option in reversed(
        [
            click.option(
                "--select",
                multiple=True,
                metavar="CODES",
                help="Only these codes or prefixes (comma-separated).",
            ),
            click.option(
                "--ignore", multiple=True, metavar="CODES", help="Skip these codes or prefixes."
            ),
            click.option(
                "--extend-select",
                multiple=True,
                metavar="CODES",
                help="Add codes to the configured selection.",
            ),
        ]
    ):
        func = option(func)
    return func


def severity_choice() -> click.Choice[str]:
    """A case-insensitive choice among the severity names."""
    return click.Choice(SEVERITIES, case_sensitive=False)


def emit_report(
    report: Report,
    fmt: str,
    *,
    output: Path | None = None,
    color: bool | None = None,
    statistics: bool = False,
) -> None:
    """Write ``report`` in ``fmt`` to ``output`` (a file) or to standard output.

    Raises:
        UsageError: the output file cannot be written.
    """
    from fastapi_medic.output import WriteOptions, write

    options = WriteOptions(
        color=sys.stdout.isatty() if color is None and output is None else bool(color),
        statistics=statistics,
        tool_version=__version__,
    )
    if output is None:
        write(report, fmt, sys.stdout, options)
        return
    try:
        with output.open("w", encoding="utf-8") as stream:
            write(report, fmt, stream, options)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc
