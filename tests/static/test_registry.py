"""The rule registry: codes and names, retired codes, and the explicit list of families."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from checking import TEST_CODES

import fastapi_medic.static.rules as rules_package
from fastapi_medic.catalog import load_catalog
from fastapi_medic.findings import Severity
from fastapi_medic.registry import FAMILIES as FAMILY_NAMES
from fastapi_medic.registry import RETIRED, Rule, all_rules, get_rule
from fastapi_medic.static.rules import FAMILIES

RULES = [rule for rule in load_catalog() if rule.code not in TEST_CODES]
_KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def test_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in RULES]

    assert len(codes) == len(set(codes))
    assert [c for c in codes if not re.fullmatch(r"MED\d{3}", c)] == []


def test_names_are_unique_kebab_case_patterns() -> None:
    names = [rule.name for rule in RULES]

    assert len(names) == len(set(names))
    assert [n for n in names if not _KEBAB.match(n)] == []
    assert [n for n in names if n.startswith(("no-", "disallow-"))] == []


def test_a_rule_is_found_by_code_and_by_name() -> None:
    for rule in RULES:
        assert get_rule(rule.code) is rule
        assert get_rule(rule.code.lower()) is rule
        assert get_rule(rule.name) is rule


def test_every_rule_has_a_severity_and_a_known_family() -> None:
    for rule in RULES:
        assert isinstance(rule.severity, Severity), rule.code
        assert rule.code[3] in FAMILY_NAMES, rule.code


def test_retired_codes_are_not_registered() -> None:
    assert sorted(set(RETIRED) & {rule.code for rule in all_rules()}) == []


def test_rules_package_imports_every_family_module() -> None:
    modules = {
        info.name
        for info in pkgutil.iter_modules(rules_package.__path__)
        if not info.name.startswith("_")
    }
    listed = {family.__name__.rpartition(".")[2] for family in FAMILIES}

    assert listed == modules


def test_every_family_module_defines_a_rule() -> None:
    for family in FAMILIES:
        module = importlib.import_module(family.__name__)
        defined = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value.__module__ == module.__name__
            and value.__dict__.get("code")
        ]
        assert defined, f"{module.__name__} defines no rule"


def test_every_rule_is_defined_in_a_listed_family_or_outside_static() -> None:
    family_names = {family.__name__ for family in FAMILIES}
    for rule in RULES:
        if rule.__module__.startswith("fastapi_medic.static."):
            assert rule.__module__ in family_names, f"{rule.code} is in {rule.__module__}"


def test_a_second_rule_with_a_registered_code_raises_type_error() -> None:
    taken = RULES[0]

    with pytest.raises(TypeError, match=taken.code):

        class Impostor(Rule):  # the check runs before registration: nothing is replaced
            code = taken.code
            name = "impostor-pattern"

    assert get_rule(taken.code) is taken


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("MED1", "short-code"),
        ("MED0001", "long-code"),
        ("XYZ101", "other-prefix"),
        ("MED198", "Not_Kebab"),
        ("MED198", "no-sleep"),
        ("MED198", "disallow-sleep"),
    ],
)
def test_a_malformed_code_or_name_raises_type_error(code: str, name: str) -> None:
    before = get_rule(code)

    with pytest.raises(TypeError):
        type("Malformed", (Rule,), {"code": code, "name": name})

    assert get_rule(code) is before


def test_a_retired_code_cannot_be_given_to_a_new_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RETIRED, "MED199", "a test code, retired for this test")
    before = get_rule("MED199")

    with pytest.raises(TypeError, match="retired"):
        type("Reborn", (Rule,), {"code": "MED199", "name": "reborn-pattern"})

    assert get_rule("MED199") is before
