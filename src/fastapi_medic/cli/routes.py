"""``fastapi-medic routes``: every route with its full path, endpoint and dependency tree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from fastapi_medic.cli.options import config_for
from fastapi_medic.static import load_project
from fastapi_medic.static.fastapi_model import Dependency, Route


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _dep_json(dep: Dependency) -> dict[str, object]:
    symbol = dep.symbol
    return {
        "name": dep.label,
        "via": dep.via,
        "path": symbol.rel if symbol and symbol.rel else None,
        "qualname": symbol.qualname if symbol and symbol.qualname else None,
        "yields": dep.is_generator,
        "async": dep.is_async,
        "dependencies": [_dep_json(child) for child in dep.children],
    }


def _route_json(route: Route) -> dict[str, object]:
    return {
        "methods": list(route.methods),
        "path": route.path,
        "endpoint": {"path": route.rel, "line": route.line, "qualname": route.qualname},
        "mounted": route.mounted,
        "dependencies": [_dep_json(d) for d in route.dependencies],
    }


def _add_deps(tree: Tree, deps: list[Dependency]) -> None:
    for dep in deps:
        flags = [f for f, on in (("yield", dep.is_generator), ("async", dep.is_async)) if on]
        where = f" {dep.symbol.rel}" if dep.symbol and dep.symbol.rel else " (unresolved)"
        extra = f" [{', '.join(flags)}]" if flags else ""
        branch = tree.add(escape(f"{dep.via}: {dep.label}{extra}") + f"[dim]{escape(where)}[/dim]")
        _add_deps(branch, dep.children)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--no-cache", is_flag=True, help="Parse every file again, ignoring the cache.")
def routes(paths: tuple[Path, ...], fmt: str, no_cache: bool) -> None:
    """Print every route: methods, full path, endpoint location and dependency tree."""
    targets = list(paths) or [Path(".")]
    loaded = load_project(targets, config_for(targets), use_cache=not no_cache)
    model = loaded.app
    if fmt == "json":
        json.dump(
            {"version": 1, "routes": [_route_json(r) for r in model.routes]}, sys.stdout, indent=2
        )
        sys.stdout.write("\n")
        return
    # Piped output is never wrapped, so each route stays on one greppable line.
    console = Console(
        file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 10_000
    )
    for route in model.routes:
        note = "" if route.mounted else "  [yellow](router not included in any app)[/yellow]"
        tree = Tree(
            f"[bold]{escape(','.join(route.methods)):<7}[/bold] {escape(route.path)}  "
            f"[dim]{escape(route.qualname)} {escape(route.rel)}:{route.line}[/dim]{note}"
        )
        _add_deps(tree, route.dependencies)
        console.print(tree)
    apps = sum(1 for o in model.objects.values() if o.is_app)
    routers = len(model.objects) - apps
    console.print(
        f"{_count(len(model.routes), 'route')}, {_count(apps, 'app')}, "
        f"{_count(routers, 'router')} in {_count(loaded.files, 'file')}"
    )
