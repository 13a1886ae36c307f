"""A project's own import-linter contracts, read and checked against the inferred import graph.

Only the three common contract types are understood: ``layers`` (with ``containers``,
``|`` and ``:`` siblings and ``(optional)`` layers), ``forbidden`` and ``independence``,
plus ``ignore_imports``. Module names may use import-linter's ``*`` (one component) and
``**`` (any number) wildcards. Anything else in the file is left to import-linter itself.
Only direct, module-level imports are judged: an indirect chain is import-linter's job.
"""

from __future__ import annotations

import configparser
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    # tomli exists only on 3.10 installs, so mypy may not find it when checking for 3.10.
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["Contract", "breach", "matches", "read_contracts"]

#: Where import-linter looks, in its own order.
_INI_FILES = ("setup.cfg", ".importlinter")
_TYPES = frozenset({"layers", "forbidden", "independence"})


@dataclass(frozen=True)
class Contract:
    """One contract: its id and name, where it is written, and the modules it names."""

    id: str
    name: str
    type: str
    origin: str  # the configuration file, relative to the project root
    line: int
    #: layers top to bottom: (module names, whether the siblings are independent)
    layers: tuple[tuple[tuple[str, ...], bool], ...] = ()
    optional: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    ignores: tuple[tuple[str, str], ...] = ()
    containers: tuple[str, ...] = ()
    roots: tuple[str, ...] = field(default=())

    def named_modules(self) -> list[str]:
        """Every module the contract names, optional layers left out."""
        names = [m for layer, _ in self.layers for m in layer if m not in self.optional]
        return [*names, *self.sources, *self.forbidden, *self.modules]


def _lines(value: object) -> list[str]:
    """A multi-line INI value or a TOML list, as stripped items (comments dropped)."""
    items = value if isinstance(value, list) else str(value or "").splitlines()
    out = []
    for item in items:
        text = str(item).split("#", 1)[0].strip()
        if text:
            out.append(text)
    return out


def _layers(
    raw: list[str], containers: list[str]
) -> tuple[list[tuple[tuple[str, ...], bool]], set[str]]:
    layers: list[tuple[tuple[str, ...], bool]] = []
    optional: set[str] = set()
    for entry in raw:
        independent = ":" not in entry
        tails = [t.strip() for t in re.split(r"[|:]", entry) if t.strip()]
        names: list[str] = []
        for raw_tail in tails:
            is_optional = raw_tail.startswith("(") and raw_tail.endswith(")")
            tail = raw_tail.strip("()").strip()
            full = [f"{c}.{tail}" for c in containers] if containers else [tail]
            names += full
            if is_optional:
                optional.update(full)
        layers.append((tuple(names), independent))
    return layers, optional


def _contract(
    cid: str, options: dict[str, object], origin: str, line: int, roots: tuple[str, ...]
) -> Contract | None:
    kind = str(options.get("type", "")).strip()
    if kind not in _TYPES:
        return None
    containers = _lines(options.get("containers"))
    layers, optional = _layers(_lines(options.get("layers")), containers)
    ignores = []
    for item in _lines(options.get("ignore_imports")):
        importer, arrow, imported = item.partition("->")
        if arrow:
            ignores.append((importer.strip(), imported.strip()))
    return Contract(
        id=cid,
        name=str(options.get("name", cid)),
        type=kind,
        origin=origin,
        line=line,
        layers=tuple(layers),
        optional=frozenset(optional),
        sources=tuple(_lines(options.get("source_modules"))),
        forbidden=tuple(_lines(options.get("forbidden_modules"))),
        modules=tuple(_lines(options.get("modules"))),
        ignores=tuple(ignores),
        containers=tuple(containers),
        roots=roots,
    )


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _roots(session: dict[str, object]) -> tuple[str, ...]:
    return tuple(_lines(session.get("root_packages")) or _lines(session.get("root_package")))


def _from_ini(path: Path, origin: str) -> list[Contract] | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    parser = configparser.ConfigParser()
    parser.read_string(text)
    if "importlinter" not in parser.sections():
        return None
    roots = _roots(dict(parser["importlinter"]))
    contracts = []
    for section in parser.sections():
        if not section.startswith("importlinter:"):
            continue
        cid = section.split(":")[-1]
        line = _line_of(text, f"[{section}]")
        found = _contract(cid, dict(parser[section]), origin, line, roots)
        if found is not None:
            contracts.append(found)
    return contracts


def _from_toml(path: Path, origin: str) -> list[Contract] | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    session = tomllib.loads(text).get("tool", {}).get("importlinter")
    if not isinstance(session, dict):
        return None
    roots = _roots(session)
    contracts = []
    for number, options in enumerate(session.get("contracts", []), 1):
        if not isinstance(options, dict):
            continue
        cid = str(options.get("id", options.get("name", f"contract-{number}")))
        line = _line_of(text, str(options.get("name", cid)))
        found = _contract(cid, options, origin, line, roots)
        if found is not None:
            contracts.append(found)
    return contracts


def read_contracts(root: Path) -> list[Contract]:
    """The contracts of the first configuration import-linter would read, or none.

    A file that cannot be read or parsed gives no contracts: import-linter reports it.
    """
    for name in (*_INI_FILES, "pyproject.toml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            found = _from_toml(path, name) if name.endswith(".toml") else _from_ini(path, name)
        except (OSError, configparser.Error, tomllib.TOMLDecodeError, ValueError):
            continue
        if found is not None:
            return found
    return []


def _pattern(expression: str) -> re.Pattern[str]:
    """A module expression with ``*`` and ``**`` wildcards, as a regular expression."""
    parts = []
    for part in expression.split("."):
        if part == "**":
            parts.append(r"[^.]+(?:\.[^.]+)*")
        else:
            parts.append(re.escape(part).replace(r"\*", r"[^.]+"))
    return re.compile(r"\.".join(parts))


def matches(expression: str, module: str, *, descendants: bool = True) -> bool:
    """Whether ``module`` is the module ``expression`` names (or, by default, inside it)."""
    if "*" not in expression:
        return module == expression or (descendants and module.startswith(expression + "."))
    pattern = _pattern(expression)
    if pattern.fullmatch(module):
        return True
    return descendants and any(
        pattern.fullmatch(module[:i]) for i, c in enumerate(module) if c == "."
    )


def _first(expressions: tuple[str, ...], module: str) -> str | None:
    """The module named by the first expression covering ``module``: with wildcards, the
    module they matched (``shop.features.*`` covers ``shop.features.cart.api`` as
    ``shop.features.cart``), so that each match is a member of its own."""
    for expression in expressions:
        if not matches(expression, module):
            continue
        if "*" not in expression:
            return expression
        pattern = _pattern(expression)
        parts = module.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if pattern.fullmatch(prefix):
                return prefix
    return None


def _layer(contract: Contract, module: str) -> tuple[int, str, str] | None:
    """(position, layer module, container) of ``module`` in a layers contract."""
    for position, (names, _) in enumerate(contract.layers):
        for name in names:
            if matches(name, module):
                container = next((c for c in contract.containers if name.startswith(c + ".")), "")
                return position, name, container
    return None


def breach(contract: Contract, importer: str, imported: str) -> str | None:
    """Why ``importer`` importing ``imported`` breaks ``contract``, or None if it does not."""
    if any(
        matches(a, importer, descendants=False) and matches(b, imported, descendants=False)
        for a, b in contract.ignores
    ):
        return None
    if contract.type == "forbidden":
        source = _first(contract.sources, importer)
        banned = _first(contract.forbidden, imported)
        if source is not None and banned is not None:
            return f"{source} must not import {banned}"
    elif contract.type == "independence":
        mine = _first(contract.modules, importer)
        theirs = _first(contract.modules, imported)
        if mine is not None and theirs is not None and mine != theirs:
            return f"{mine} and {theirs} must be independent"
    elif contract.type == "layers":
        low = _layer(contract, importer)
        high = _layer(contract, imported)
        if low is None or high is None or low[2] != high[2]:
            return None
        if high[0] < low[0]:
            return f"{low[1]} is below {high[1]}"
        independent = contract.layers[low[0]][1]
        if high[0] == low[0] and independent and high[1] != low[1]:
            return f"{low[1]} and {high[1]} are independent siblings"
    return None
