"""The import graph of a project: module-level edges, cycles, and what fails at import."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_medic.static.project import Project

if TYPE_CHECKING:
    from fastapi_medic.static.context import ProjectContext

__all__ = ["Cycle", "ImportEdge", "cycles", "import_edges", "shared_edges"]


@dataclass(frozen=True, slots=True)
class ImportEdge:
    """``source`` imports ``target`` at module level, on ``line``; ``names`` for ``from`` forms."""

    source: str
    target: str
    line: int
    column: int
    names: tuple[str, ...]
    conditional: bool = False  # under a module-level `if` or `try`


@dataclass(frozen=True)
class Cycle:
    """A loop of module-level imports, the edge cheapest to break, and whether it fails."""

    edges: tuple[ImportEdge, ...]
    cheapest: ImportEdge
    failure: str | None  # "from app.a import f" that raises ImportError, when one does

    @property
    def path(self) -> str:
        """``a.py -> b.py -> a.py``."""
        return " -> ".join([*(e.source for e in self.edges), self.edges[0].source])


def _within(line: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= line <= end for start, end in spans)


def import_edges(project: Project) -> dict[str, list[ImportEdge]]:
    """Module-level imports between project modules (TYPE_CHECKING and local ones left out)."""
    graph: dict[str, list[ImportEdge]] = {}
    for rel, summary in project.modules.items():
        merged: dict[str, ImportEdge] = {}
        for imp in summary.imports:
            if imp.scope != "module" or _within(imp.line, summary.main_blocks):
                continue
            module = project.resolve_module(imp.module, rel, imp.level)
            if imp.name is not None and module is not None:
                sub = project.submodule(module, imp.name)
                if sub is not None:
                    module, name = sub, None
                else:
                    name = imp.name
            else:
                name = None
            if module is None or module.endswith("/") or module == rel:
                continue
            known = merged.get(module)
            if known is None:
                conditional = _within(imp.line, summary.conditional_blocks)
                names = (name,) if name else ()
                merged[module] = ImportEdge(rel, module, imp.line, imp.column, names, conditional)
            elif name is not None:
                merged[module] = ImportEdge(
                    rel, module, known.line, known.column, (*known.names, name), known.conditional
                )
        graph[rel] = sorted(merged.values(), key=lambda e: e.line)
    return graph


def shared_edges(ctx: ProjectContext) -> dict[str, list[ImportEdge]]:
    """The module-level import graph of the run, built once and shared by the rules."""
    edges = ctx.shared.get("import_edges")
    if not isinstance(edges, dict):
        edges = ctx.shared["import_edges"] = import_edges(ctx.project)
    return edges


def _components(graph: dict[str, list[ImportEdge]]) -> Iterator[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph.get(node, [])
            if i < len(edges):
                work.append((node, i + 1))
                target = edges[i].target
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    yield sorted(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])


def _shortest_cycle(graph: dict[str, list[ImportEdge]], members: set[str]) -> list[ImportEdge]:
    """The shortest loop through the component's first module (breadth first)."""
    start = min(members)
    previous: dict[str, ImportEdge] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for edge in graph.get(node, []):
                if edge.target not in members:
                    continue
                if edge.target == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, previous[path[0].source])
                    return path
                if edge.target not in seen:
                    seen.add(edge.target)
                    previous[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    return []


def _failure(project: Project, edges: list[ImportEdge]) -> str | None:
    """The ``from X import name`` that raises ImportError when the loop is entered at X.

    Entering at module X, X runs until its import of the next module; the last module then
    does ``from X import name`` while X is half initialised. If ``name`` is a function or
    class that X defines below that import, Python raises "cannot import name ...
    (most likely due to a circular import)".
    """
    if any(edge.conditional for edge in edges):
        return None  # a guarded import may not run: the loop may never close
    members = {edge.source for edge in edges}
    for position, entry in enumerate(edges):
        closing = edges[position - 1]  # the edge that comes back to entry.source
        summary = project.modules.get(entry.source)
        if summary is None or not _can_be_imported_first(project, entry.source, members):
            continue
        for name in closing.names:
            binding = summary.bindings.get(name)
            if binding is None or binding[0] not in ("def", "class"):
                continue
            defined = summary.functions.get(str(binding[1])) or summary.classes.get(str(binding[1]))
            if defined is not None and defined.line > entry.line:
                return f"from {entry.source} import {name} (in {closing.source}:{closing.line})"
    return None


def _can_be_imported_first(project: Project, module: str, members: set[str]) -> bool:
    """Whether ``module`` can start the loop: Python initialises its parent packages first,
    so if one of their ``__init__`` modules leads into the loop, the loop starts there."""
    if module.rpartition("/")[2] == "__main__.py":
        return False  # run as __main__, a different module object from the imported one
    parents = []
    directory = module.rpartition("/")[0]
    while directory:
        init = f"{directory}/__init__.py"
        if init in project.modules and init != module:
            parents.append(init)
        directory = directory.rpartition("/")[0]
    if not parents:
        return True
    return not (project.import_closure(parents) & members)


def _reexports(edge: ImportEdge) -> bool:
    """A package's ``__init__`` importing its own submodule: the usual re-export, which works
    because Python initialises the package first."""
    if not edge.source.endswith("__init__.py"):
        return False
    package = edge.source.rpartition("/")[0]
    return edge.target.startswith(f"{package}/") if package else True


def cycles(project: Project, graph: dict[str, list[ImportEdge]] | None = None) -> list[Cycle]:
    """One cycle per strongly connected component of the module-level import graph."""
    if graph is None:
        graph = import_edges(project)
    out = []
    for component in _components(graph):
        edges = _shortest_cycle(graph, set(component))
        if not edges or any(_reexports(edge) for edge in edges):
            continue
        cheapest = min(edges, key=lambda e: (len(e.names) or 99, -e.line))
        out.append(Cycle(tuple(edges), cheapest, _failure(project, edges)))
    return out
