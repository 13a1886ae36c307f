"""``fastapi-medic load``: options -> live.load -> text, JSON or HTML -> exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from fastapi_medic._version import __version__
from fastapi_medic.errors import UsageError

__all__ = ["load"]


@click.command("load")
@click.argument(
    "path", required=False, type=click.Path(path_type=Path, exists=True), default=Path(".")
)
@click.option("--app", "app_spec", metavar="MODULE:ATTR", help="The app [default: discovered].")
@click.option(
    "--route",
    "routes",
    multiple=True,
    metavar="REQUEST",
    help="A request to send, as PATH or 'METHOD PATH [curl options]'; repeatable "
    "[default: every GET route without required input].",
)
@click.option("--requests", type=click.IntRange(1, 10_000), default=200, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--duration",
    type=click.FloatRange(0.1, 300.0),
    default=20.0,
    show_default=True,
    help="Stop after this many seconds even if requests remain.",
)
@click.option(
    "--server",
    type=click.Choice(["in-process", "uvicorn"]),
    default="in-process",
    show_default=True,
    help="Serve the app through its ASGI interface, or with uvicorn on 127.0.0.1.",
)
@click.option(
    "--stall-threshold",
    type=click.FloatRange(0.01, 10.0),
    default=0.1,
    show_default=True,
    help="Seconds without an event-loop iteration that count as a stall.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file.",
)
def load(
    *,
    path: Path,
    app_spec: str | None,
    routes: tuple[str, ...],
    requests: int,
    concurrency: int,
    duration: float,
    server: str,
    stall_threshold: float,
    fmt: str,
    output: Path | None,
) -> None:
    """Put a bounded load on the app at PATH with the runtime probes on.

    Reports latency percentiles, errors by cause, event-loop stalls with their stacks, leaks
    per route and pool use over time. Exit 1 when anything is found.
    """
    from fastapi_medic.findings import Report
    from fastapi_medic.live.curl import parse_request
    from fastapi_medic.live.load import load as run_load
    from fastapi_medic.live.load_report import load_dict, load_html, load_text
    from fastapi_medic.output.json import report_to_dict

    specs = [parse_request(r if " " in r.strip() else f"GET {r}") for r in routes]
    result = run_load(
        path,
        app=app_spec,
        routes=specs,
        requests=requests,
        concurrency=concurrency,
        duration=duration,
        server=server,
        stall_threshold=stall_threshold,
    )
    if fmt == "json":
        data = load_dict(result)
        report = Report(command="load", root=str(path), findings=result.findings)
        data["findings"] = report_to_dict(report, tool_version=__version__)["findings"]
        text = json.dumps(data, indent=2, default=str) + "\n"
    elif fmt == "html":
        text = load_html(result)
    else:
        text = "\n".join(load_text(result)) + "\n"
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc
    else:
        click.echo(text, nl=False)
    sys.exit(1 if result.findings else 0)
