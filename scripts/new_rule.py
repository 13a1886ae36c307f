"""Scaffold a new static rule: a class with empty doc sections, and its fixture file.

Usage::

    python scripts/new_rule.py MED108 sync-call-in-lifespan --family event_loop
    python scripts/new_rule.py MED108 sync-call-in-lifespan --family event_loop --severity error

The class is appended to ``src/fastapi_medic/static/rules/<family>.py`` (and to its
``__all__``) as a preview rule; ``tests/static/fixtures/<code>.py`` is created for its
flagged and clean lines. The script refuses a code or name that is registered, retired or
already written somewhere, so a code is never given twice.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from fastapi_medic.catalog import load_catalog
from fastapi_medic.findings import Severity
from fastapi_medic.registry import FAMILIES, RETIRED

REPO = Path(__file__).resolve().parents[1]
RULES_PACKAGE = Path("src") / "fastapi_medic" / "static" / "rules"
FIXTURES = Path("tests") / "static" / "fixtures"

_CODE = re.compile(r"^MED[1-9]\d\d$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_FAMILY = re.compile(r"^[a-z_][a-z0-9_]*$")

RULE_TEMPLATE = '''

class {cls}(StaticRule):
    """TODO: one line naming the pattern.

    ## What it does
    Checks for TODO.

    ## Why it matters
    TODO: the production symptom (the 500, the hang, the exhausted pool), and what the rule
    deliberately does not flag.

    ## Example
    ```python
    TODO: a complete snippet that the rule flags
    ```

    Use instead:
    ```python
    TODO: the same snippet, corrected
    ```
    """

    code = "{code}"
    name = "{name}"
    severity = Severity.{severity}
    preview = True
'''

FIXTURE_TEMPLATE = '''"""{code} {name}: flagged lines end with `# expect: {code}`."""

# --- flagged ----------------------------------------------------------------------------------


# --- clean look-alikes: nothing here may be reported ------------------------------------------
'''


class ScaffoldError(Exception):
    """The rule cannot be scaffolded; the text says why."""


def class_name(name: str) -> str:
    """``sync-call-in-lifespan`` -> ``SyncCallInLifespan``."""
    return "".join(part.capitalize() for part in name.split("-"))


def _codes_in(text: str) -> set[str]:
    return set(re.findall(r"""\bcode\s*=\s*["'](MED\d{3})["']""", text))


def _validate(code: str, name: str, family: str, root: Path) -> Path:
    if not _CODE.match(code):
        raise ScaffoldError(f"{code!r} is not MED and three digits (MED108)")
    if not _NAME.match(name) or name.startswith(("no-", "disallow-")):
        raise ScaffoldError(
            f"{name!r} is not a kebab-case name of the pattern that reads after 'allow'"
        )
    if not _FAMILY.match(family):
        raise ScaffoldError(f"{family!r} is not a module name")
    registered = {rule.code: rule for rule in load_catalog()}
    if code in registered:
        raise ScaffoldError(f"{code} is already {registered[code].__qualname__}")
    if code in RETIRED:
        raise ScaffoldError(f"{code} is retired ({RETIRED[code]}); codes are never reused")
    for rule in registered.values():
        if rule.name == name:
            raise ScaffoldError(f"the name {name!r} is already {rule.code}")
    module = root / RULES_PACKAGE / f"{family}.py"
    if not module.is_file():
        raise ScaffoldError(
            f"{module.relative_to(root)} does not exist; create the family module and add it "
            "to FAMILIES in static/rules/__init__.py first"
        )
    for other in sorted((root / RULES_PACKAGE).glob("*.py")):
        if code in _codes_in(other.read_text(encoding="utf-8")):
            raise ScaffoldError(f"{code} is already written in {other.relative_to(root)}")
    text = module.read_text(encoding="utf-8")
    hundreds = {c[3] for c in _codes_in(text)}
    if hundreds and code[3] not in hundreds:
        families = ", ".join(f"MED{h}xx" for h in sorted(hundreds))
        raise ScaffoldError(
            f"{module.relative_to(root)} holds {families} rules; {code} belongs to "
            f"MED{code[3]}xx ({FAMILIES[code[3]]})"
        )
    if re.search(rf"^class {class_name(name)}\b", text, re.MULTILINE):
        raise ScaffoldError(f"{module.relative_to(root)} already defines {class_name(name)}")
    fixture = root / FIXTURES / f"{code}.py"
    if fixture.exists():
        raise ScaffoldError(f"{fixture.relative_to(root)} already exists")
    return module


def _all_names(node: ast.stmt) -> list[str] | None:
    """The names of an ``__all__ = [...]`` statement of string literals, else None."""
    if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.List):
        return None
    if [getattr(target, "id", None) for target in node.targets] != ["__all__"]:
        return None
    names = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    if len(names) != len(node.value.elts) or not all(isinstance(n, str) for n in names):
        return None
    return [str(n) for n in names]


def _with_all_entry(text: str, cls: str) -> str:
    """Add ``cls`` to the module's ``__all__`` list, keeping it sorted."""
    for node in ast.parse(text).body:
        names = _all_names(node)
        if names is None:
            continue
        names = sorted({*names, cls})
        rendered = "__all__ = [" + ", ".join(f'"{n}"' for n in names) + "]\n"
        if len(rendered) > 100:
            rendered = "__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n"
        lines = text.splitlines(keepends=True)
        start, end = node.lineno - 1, node.end_lineno or node.lineno
        return "".join([*lines[:start], rendered, *lines[end:]])
    return text


def scaffold(
    code: str, name: str, family: str, severity: Severity, root: Path = REPO
) -> list[Path]:
    """Write the rule class and its fixture file; return the files written.

    Raises:
        ScaffoldError: the code, the name or the family cannot be used.
    """
    code = code.strip().upper()
    module = _validate(code, name, family, root)
    cls = class_name(name)
    text = module.read_text(encoding="utf-8")
    rule = RULE_TEMPLATE.format(cls=cls, code=code, name=name, severity=severity.name)
    module.write_text(_with_all_entry(text, cls).rstrip("\n") + "\n" + rule, encoding="utf-8")
    fixture = root / FIXTURES / f"{code}.py"
    fixture.parent.mkdir(parents=True, exist_ok=True)
    fixture.write_text(FIXTURE_TEMPLATE.format(code=code, name=name), encoding="utf-8")
    return [module, fixture]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, scaffold the rule, and return the exit code."""
    parser = argparse.ArgumentParser(description="Scaffold a new static rule and its fixture.")
    parser.add_argument("code", help="the new code, e.g. MED108")
    parser.add_argument("name", help="kebab-case name that reads after 'allow'")
    parser.add_argument(
        "--family", required=True, help="the module under static/rules/, e.g. event_loop"
    )
    parser.add_argument(
        "--severity",
        default="warning",
        choices=[s.name.lower() for s in Severity],
        help="the default severity (default: warning)",
    )
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        written = scaffold(
            args.code, args.name, args.family, Severity.parse(args.severity), args.root
        )
    except ScaffoldError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 - a developer script
        return 2
    for path in written:
        print(f"wrote {path.relative_to(args.root)}")  # noqa: T201
    print(  # noqa: T201
        "Next: fill in the docstring sections and the fixture, implement a visit_<Node> hook "
        "or check_project, then run `make docs`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
