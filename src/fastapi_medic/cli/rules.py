"""``fastapi-medic rules [CODE]``: every rule, or one rule's documentation."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markdown import Markdown

from fastapi_medic.catalog import load_catalog
from fastapi_medic.errors import UsageError
from fastapi_medic.registry import Rule, get_rule


def _listing(catalog: list[type[Rule]]) -> str:
    """One line per rule, columns aligned and never wrapped, so the list stays greppable."""
    rows = [("code", "name", "severity", "summary")]
    for rule in catalog:
        name = rule.name + (" (preview)" if rule.preview else "")
        rows.append((rule.code, name, rule.severity.name.lower(), rule.doc().summary))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]))
    return "\n".join(lines)


@click.command()
@click.argument("code", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True
)
def rules(code: str | None, fmt: str) -> None:
    """List every rule, or show the documentation of CODE (a code or a rule name)."""
    catalog = load_catalog()
    if code is None:
        click.echo(_listing(catalog))
        return
    rule = get_rule(code)
    if rule is None:
        raise UsageError(f"no rule {code!r}; `fastapi-medic rules` lists them all")
    doc = rule.doc()
    header = f"# {rule.code} {rule.name}\n\n_severity: {rule.severity.name.lower()}_" + (
        " · _preview_" if rule.preview else ""
    )
    text = f"{header}\n\n{doc.markdown}"
    if fmt == "markdown":
        sys.stdout.write(text)
    elif sys.stdout.isatty():
        Console(file=sys.stdout, highlight=False).print(Markdown(text))
    else:
        # Rich pads every line to the width; piped text gets no trailing blanks.
        console = Console(file=sys.stdout, highlight=False)
        with console.capture() as captured:
            console.print(Markdown(text))
        click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))
