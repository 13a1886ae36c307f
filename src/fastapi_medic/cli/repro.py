"""``fastapi-medic repro REQUEST``: options -> live.repro -> text or JSON -> exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from fastapi_medic._version import __version__
from fastapi_medic.errors import UsageError

__all__ = ["repro"]

MAX_TIMEOUT = 600.0


@click.command(
    "repro",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": True},
)
@click.argument("request", nargs=-1, type=click.UNPROCESSED, required=True)
@click.option("--app", "app_spec", metavar="MODULE:ATTR", help="The app [default: discovered].")
@click.option(
    "--path",
    "project",
    type=click.Path(path_type=Path, exists=True),
    default=Path("."),
    help="The project directory [default: the current one].",
)
@click.option("--bisect", is_flag=True, help="Reduce a failing request to the failing part.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.5, MAX_TIMEOUT),
    default=30.0,
    show_default=True,
    help="Seconds for import, startup and the request together.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--color/--no-color", default=None, help="Colour the text [default: terminal].")
def repro(
    *,
    request: tuple[str, ...],
    app_spec: str | None,
    project: Path,
    bisect: bool,
    timeout: float,
    fmt: str,
    color: bool | None,
) -> None:
    """Send one request to the app in-process and show the server's side of it.

    REQUEST is a pasted curl command (one quoted argument, or `-` to read it from stdin) or
    METHOD PATH followed by curl options such as --json, -d and -H. Exit 1 when the request
    fails (5xx, exception, startup failure or timeout).
    """
    from fastapi_medic.findings import Report
    from fastapi_medic.live.curl import parse_request
    from fastapi_medic.live.render import repro_dict, repro_text
    from fastapi_medic.live.repro import repro as run_repro
    from fastapi_medic.output.json import report_to_dict

    tokens: str | tuple[str, ...] = request
    if request == ("-",):
        tokens = sys.stdin.read()
        if not tokens.strip():
            raise UsageError("no request on stdin")
    spec = parse_request(tokens)
    result = run_repro(project, spec, app=app_spec, bisect=bisect, timeout=timeout)
    if fmt == "json":
        report = Report(command="repro", root=str(project), findings=result.findings)
        data = repro_dict(result)
        data["findings"] = report_to_dict(report, tool_version=__version__)["findings"]
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        use_color = sys.stdout.isatty() if color is None else color
        click.echo("\n".join(repro_text(result, color=use_color)), color=use_color)
    sys.exit(1 if result.failed else 0)
