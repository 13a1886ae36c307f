"""MED505: the project's own import-linter contracts against the imports we find."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.contracts import breach, matches, read_contracts
from fastapi_medic.static.imports import shared_edges
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["ImportAgainstContract"]


class ImportAgainstContract(StaticRule):
    """An import that breaks one of the project's own import-linter contracts.

    ## What it does
    Checks for module-level imports that break a `layers`, `forbidden` or `independence`
    contract written for import-linter (in `.importlinter`, `setup.cfg` or
    `[tool.importlinter]` of `pyproject.toml`), and for contracts that name a module the
    project does not have. `ignore_imports`, `containers`, optional `(layers)` and the `*` /
    `**` wildcards are honoured; other contract types are left to import-linter. Only
    direct imports are judged: a chain through other modules is import-linter's job.

    ## Why it matters
    The contract is the architecture the team agreed on; an import that breaks it is the
    start of the cycles and the tangled start-up that later fail in production. A contract
    naming a module that was renamed or moved checks nothing, so it passes while the code
    drifts. Seeing both next to the other findings catches them even where `lint-imports`
    does not run.

    ## Example
    ```python
    # app/repositories/orders.py, with a layers contract: app.routers above app.repositories
    from app.routers.orders import PAGE_SIZE


    def page() -> int:
        return PAGE_SIZE
    ```

    Use instead:
    ```python
    # app/repositories/orders.py: the constant moved down, to app.settings
    from app.settings import PAGE_SIZE


    def page() -> int:
        return PAGE_SIZE
    ```

    ## References
    - [import-linter contract types](https://import-linter.readthedocs.io/en/stable/contract_types.html)
    """

    code = "MED505"
    name = "import-against-contract"
    severity = Severity.WARNING
    cause = Cause.IMPORT_ERROR
    tags = frozenset({"imports", "architecture"})
    preview = True
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report imports that break a contract, and contracts naming missing modules."""
        contracts = read_contracts(ctx.root)
        if not contracts:
            return
        model = ctx.project
        roots = {r for c in contracts for r in c.roots} or {
            m.split(".", 1)[0] for c in contracts for m in c.named_modules()
        }
        names = _dotted_names(model, roots)
        known = set(names.values())
        for contract in contracts:
            for module in dict.fromkeys(contract.named_modules()):
                if module.split(".", 1)[0] not in roots:
                    continue  # an outside package (`forbidden_modules = requests`)
                if any(matches(module, k, descendants=False) for k in known):
                    continue
                if any(matches(module, k) for k in known):
                    # import-linter does not see a folder without __init__.py either
                    yield self.finding(
                        f"Contract `{contract.id}` names {module}, which has no __init__.py",
                        location=Location(contract.origin, contract.line),
                        fix="Add the package's __init__.py, or name the modules inside it",
                    )
                    continue
                yield self.finding(
                    f"Contract `{contract.id}` names {module}, which does not exist",
                    location=Location(contract.origin, contract.line),
                    fix="Correct the module name, or mark the layer optional: `(name)`",
                )
        for rel, importer, imported, line, column in _imports(ctx, names):
            for contract in contracts:
                why = breach(contract, importer, imported)
                if why is None:
                    continue
                yield self.finding(
                    f"Import of {imported} breaks contract `{contract.id}`",
                    location=Location(rel, line, column),
                    fix="Move the code this import needs, or change the contract",
                    evidence={"contract": contract.name, "rule": why},
                )


def _dotted_names(model: Project, roots: set[str]) -> dict[str, str]:
    """The dotted module name of every project module inside the root packages."""
    names: dict[str, str] = {}
    for root in sorted(roots):
        found = model.resolve_module(root, "")
        if found is None:
            continue
        if not found.endswith(("/", "__init__.py")):
            names[found] = root  # a single-module root: shop.py
            continue
        base = Project.package_dir(found)
        for rel in model.modules:
            if not rel.startswith(base + "/") or not _in_packages(model, base, rel):
                continue
            tail = rel[len(base) + 1 :].removesuffix(".py").removesuffix("__init__").rstrip("/")
            names[rel] = f"{root}.{tail.replace('/', '.')}" if tail else root
    return names


def _in_packages(model: Project, base: str, rel: str) -> bool:
    """Whether every folder between the root package and ``rel`` has an ``__init__.py``:
    import-linter leaves out modules in folders without one, and so do we."""
    folder = rel.rpartition("/")[0]
    while folder != base and folder.startswith(base + "/"):
        if f"{folder}/__init__.py" not in model.modules:
            return False
        folder = folder.rpartition("/")[0]
    return True


def _imports(
    ctx: ProjectContext, names: dict[str, str]
) -> Iterator[tuple[str, str, str, int, int]]:
    """(module, importer, imported, line, column) of each module-level import of a module
    inside the root packages: project targets from the import graph, others as written."""
    model = ctx.project
    for rel, edges in sorted(shared_edges(ctx).items()):
        importer = names.get(rel)
        if importer is None:
            continue
        for edge in edges:
            imported = names.get(edge.target)
            if imported is not None:
                yield rel, importer, imported, edge.line, edge.column
        summary = model.modules[rel]
        for imp in summary.imports:
            if imp.scope != "module" or imp.level or not imp.module:
                continue
            if model.resolve_module(imp.module, rel) is None:  # outside the project
                yield rel, importer, imp.module, imp.line, imp.column
