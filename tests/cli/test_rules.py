"""``fastapi-medic rules [CODE]``: the list comes from the registry, one rule shows its docs."""

from __future__ import annotations

import pytest

from fastapi_medic.catalog import load_catalog
from fastapi_medic.registry import Rule

from ._projects import invoke, run_module

CATALOG = load_catalog()


def _ids(rule: type[Rule]) -> str:
    return rule.code


def test_list_has_one_line_per_registered_rule() -> None:
    result = invoke("rules")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "severity", "summary"]
    assert [line.split()[0] for line in lines[1:]] == [rule.code for rule in CATALOG]


@pytest.mark.parametrize("rule", CATALOG, ids=_ids)
def test_list_shows_name_severity_and_summary(rule: type[Rule]) -> None:
    [line] = [line for line in invoke("rules").stdout.splitlines() if line.startswith(rule.code)]

    assert f" {rule.name} " in line
    assert f" {rule.severity.name.lower()} " in line
    assert line.endswith(rule.doc().summary)
    assert ("(preview)" in line) == rule.preview


def test_shows_what_it_does_for_med101() -> None:
    result = invoke("rules", "MED101")

    assert result.exit_code == 0, result.output
    assert "MED101 blocking-call-in-async-function" in result.stdout
    assert "What it does" in result.stdout
    assert "Checks for calls that block the thread" in result.stdout


@pytest.mark.parametrize("rule", CATALOG, ids=_ids)
def test_markdown_is_the_rule_docstring(rule: type[Rule]) -> None:
    result = invoke("rules", rule.code, "--format", "markdown")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"# {rule.code} {rule.name}\n")
    assert "## What it does\n" in result.stdout
    assert rule.doc().markdown in result.stdout


@pytest.mark.parametrize("query", ["MED105", "med105", " MED105", "dangling-task"])
def test_finds_a_rule_by_code_in_any_case_or_by_name(query: str) -> None:
    result = invoke("rules", query, "--format", "markdown")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# MED105 dangling-task\n")


def test_unknown_rule_exits_2_with_one_line() -> None:
    result = invoke("rules", "MED999")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: no rule 'MED999'; `fastapi-medic rules` lists them all\n"


def test_unknown_rule_exits_2_through_the_console_script() -> None:
    done = run_module("rules", "MED999")

    assert done.returncode == 2
    assert done.stderr.startswith("error: no rule 'MED999'")
    assert "Traceback" not in done.stderr
