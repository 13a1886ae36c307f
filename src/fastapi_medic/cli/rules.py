"""``fastapi-medic rules [CODE]``: every rule, or one rule's documentation."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from fastapi_medic.catalog import load_catalog
from fastapi_medic.errors import UsageError
from fastapi_medic.registry import get_rule


@click.command()
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules(code: str | None, fmt: str) -> None:
    """List every rule, or show the documentation of CODE (a code or a rule name)."""
    catalog = load_catalog()
    console = Console(file=sys.stdout, highlight=False, soft_wrap=fmt == "markdown")
    if code is None:
        table = Table(box=None, pad_edge=False, show_edge=False)
        for column in ("code", "name", "severity", "summary"):
            table.add_column(column)
        for rule in catalog:
            preview = " (preview)" if rule.preview else ""
            table.add_row(rule.code, rule.name + preview, rule.severity.name.lower(), rule.doc().summary)
        console.print(table)
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
    else:
        console.print(Markdown(text))
