"""Every rule's docstring is its documentation: the headings, and code that does what it says.

The Example of a static rule must be flagged by the rule, and its "Use instead" must not be.
A rule whose findings carry an autofix must have a "Fix safety" section: there is no class
attribute saying so, so the Example here and the fixtures in test_rules.py check the findings.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from checking import TEST_CODES, check, write

from fastapi_medic.catalog import load_catalog
from fastapi_medic.registry import Rule
from fastapi_medic.static.walker import StaticRule

RULES = [rule for rule in load_catalog() if rule.code not in TEST_CODES]
STATIC = [rule for rule in RULES if issubclass(rule, StaticRule)]

REQUIRED = ["What it does", "Why it matters", "Example"]
OPTIONAL = ["Known problems", "Fix safety", "Options", "References"]
_FENCE = re.compile(r"```(?P<lang>[\w+-]*)\n(?P<body>.*?)```", re.DOTALL)
_USE_INSTEAD = re.compile(r"^Use instead:\s*$", re.MULTILINE)
_PYTHON = {"python", "py"}


def _ids(rule: type[Rule]) -> str:
    return rule.code


def _blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block of ``text``."""
    return [(m.group("lang"), m.group("body")) for m in _FENCE.finditer(text)]


def _example_parts(rule: type[Rule]) -> tuple[tuple[str, str], tuple[str, str]]:
    """The first block before "Use instead:" and the first block after it."""
    section = rule.doc().sections.get("Example", "")
    match = _USE_INSTEAD.search(section)
    assert match is not None, f"{rule.code}: Example has no `Use instead:` line"
    before = _blocks(section[: match.start()])
    after = _blocks(section[match.end() :])
    assert before, f"{rule.code}: Example has no code block before `Use instead:`"
    assert after, f"{rule.code}: `Use instead:` has no code block"
    return before[0], after[0]


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_headings_are_the_documented_ones_in_order(rule: type[Rule]) -> None:
    titles = list(rule.doc().sections)

    assert titles[:3] == REQUIRED
    extra = titles[3:]
    assert [t for t in extra if t not in OPTIONAL] == []
    assert extra == sorted(extra, key=OPTIONAL.index)


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_summary_and_sections_are_not_empty(rule: type[Rule]) -> None:
    doc = rule.doc()

    assert doc.summary, f"{rule.code}: the docstring has no summary line"
    assert [title for title, body in doc.sections.items() if not body.strip()] == []


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_what_it_does_starts_with_checks_for(rule: type[Rule]) -> None:
    assert rule.doc().what.startswith("Checks for ")


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_example_and_use_instead_are_code_blocks(rule: type[Rule]) -> None:
    (_, example), (_, use_instead) = _example_parts(rule)

    assert example.strip()
    assert use_instead.strip()
    assert example != use_instead
    # What the doc generator and `fastapi-medic rules` read is the same code.
    assert rule.doc().example == example
    assert rule.doc().use_instead == use_instead


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_python_blocks_are_complete_snippets(rule: type[Rule]) -> None:
    docstring = inspect.cleandoc(rule.__doc__ or "")
    for lang, body in _blocks(docstring):
        if lang not in _PYTHON:
            continue
        if rule.code == "MED901" and body == rule.doc().example:
            continue  # the unparsable file is the example
        ast.parse(body)


def _runnable(rule: type[Rule]) -> tuple[str, str]:
    """The python Example and Use instead of a static rule (skips configuration examples)."""
    (example_lang, example), (instead_lang, use_instead) = _example_parts(rule)
    if example_lang not in _PYTHON or instead_lang not in _PYTHON:
        pytest.skip(f"{rule.code}: the example is about configuration, not code")
    if "architecture" in rule.tags:
        pytest.skip(f"{rule.code}: the example spans several modules; its fixture project runs")
    return example, use_instead


@pytest.mark.parametrize("rule", STATIC, ids=_ids)
def test_example_is_flagged(rule: type[Rule], project: Path) -> None:
    example, _ = _runnable(rule)
    write(project, {"app.py": example})

    report = check(project, "ALL", rule.code)

    flagged = [f for f in report.findings if f.code == rule.code]
    assert flagged, f"{rule.code} does not flag its own Example"
    if any(f.autofix is not None for f in flagged):  # the fixtures check this too
        assert "Fix safety" in rule.doc().sections, f"{rule.code} has an autofix"


@pytest.mark.parametrize("rule", STATIC, ids=_ids)
def test_use_instead_is_clean(rule: type[Rule], project: Path) -> None:
    _, use_instead = _runnable(rule)
    write(project, {"app.py": use_instead})

    report = check(project, "ALL", rule.code)

    assert [f for f in report.findings if f.code == rule.code] == []
