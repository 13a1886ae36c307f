"""``fastapi-medic env check | snapshot | diff``: the deployment environment, checked."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from fastapi_medic._version import __version__
from fastapi_medic.cli.options import config_for, selection_options, severity_choice, split_codes
from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Severity

__all__ = ["env"]

FORMATS = ["text", "json", "sarif", "github"]


@click.group("env")
def env() -> None:
    """Check the environment the app is deployed in; snapshot it; diff two snapshots."""


@env.command("check")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--import",
    "import_check",
    is_flag=True,
    help="Also import each start command's app in a subprocess.",
)
@click.option(
    "--timeout", type=float, default=20.0, show_default=True, help="Seconds each --import may take."
)
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="Check the packages and version of another interpreter.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@selection_options
@click.option(
    "--fail-level",
    type=severity_choice(),
    help="Exit 1 at or above this severity [default: warning].",
)
@click.option("--color/--no-color", default=None, help="Colour the text report.")
def check(
    *,
    path: Path,
    import_check: bool,
    timeout: float,
    python: str | None,
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    fail_level: str | None,
    color: bool | None,
) -> None:
    """Check start commands, Python version, packages and variables of PATH."""
    from fastapi_medic.catalog import load_catalog
    from fastapi_medic.env import check as env_check
    from fastapi_medic.env.noqa import noqa_for
    from fastapi_medic.output import WriteOptions, write
    from fastapi_medic.suppress import split_findings

    if not path.is_dir():
        raise UsageError(f"{path}: not a directory")
    load_catalog()
    config = config_for(
        [path],
        select=split_codes(select),
        ignore=split_codes(ignore),
        extend_select=split_codes(extend_select),
        fail_level=Severity.parse(fail_level) if fail_level else None,
    )
    report = env_check(path, import_check=import_check, timeout=timeout, python=python)
    noqa = noqa_for(path.resolve(), report.findings)
    split = split_findings(report.findings, noqa_by_path=noqa, config=config, base=path.resolve())
    report = dataclasses.replace(report, findings=split.kept, silenced=len(split.silenced))
    options = WriteOptions(
        color=sys.stdout.isatty() if color is None else color, tool_version=__version__
    )
    write(report, fmt, sys.stdout, options)
    sys.exit(1 if report.at_or_above(config.fail_level) else 0)


@env.command("snapshot")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the snapshot to this file (atomically) instead of stdout.",
)
@click.option(
    "--key",
    envvar="FASTAPI_MEDIC_SNAPSHOT_KEY",
    metavar="TEXT",
    help="Key for the value hashes; use the same key on both machines.",
)
def snapshot(*, path: Path, output: Path | None, key: str | None) -> None:
    """Write a redacted JSON snapshot of the environment PATH runs in."""
    from fastapi_medic.env import snapshot as take

    text = json.dumps(take(path, key=key), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    _write_atomically(output, text)
    click.echo(f"snapshot written to {output}", err=True)


def _write_atomically(output: Path, text: str) -> None:
    """Write ``text`` to ``output`` so a reader sees the old file or the whole new one."""
    directory = output.parent if str(output.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, output)
    except OSError as exc:
        if "temp" in locals() and Path(temp).exists():
            Path(temp).unlink()
        raise UsageError(f"{output}: cannot write the snapshot: {exc.strerror or exc}") from exc


@env.command("diff")
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def diff(*, a: Path, b: Path, fmt: str) -> None:
    """Show what differs between snapshots A and B, what matters first.

    Exits 1 when a difference that matters is found.
    """
    from fastapi_medic.env import diff as compare
    from fastapi_medic.env import load_snapshot

    result = compare(load_snapshot(a), load_snapshot(b))
    if fmt == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        for line in result.lines(a.name, b.name):
            click.echo(line)
    sys.exit(1 if result.important else 0)
