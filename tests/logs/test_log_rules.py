"""The log-triage codes: one per cause class, and pointers to checks that exist."""

from __future__ import annotations

from fastapi_medic.catalog import load_catalog
from fastapi_medic.findings import Cause, Source
from fastapi_medic.logs.patterns import EARLIER, PATTERNS
from fastapi_medic.logs.rules import LOG_RULES, LogRule, ServerErrorWithoutTraceback


def test_every_cause_of_a_pattern_has_its_own_code() -> None:
    causes = {pattern.cause for pattern in PATTERNS} | {Cause.UNHANDLED}

    assert causes <= set(LOG_RULES)
    assert len({rule.code for rule in LOG_RULES.values()}) == len(LOG_RULES)


def test_log_codes_are_in_their_range_and_source() -> None:
    rules = [rule for rule in load_catalog() if issubclass(rule, LogRule)]

    assert rules
    for rule in rules:
        assert 801 <= int(rule.code[3:]) <= 849
        assert rule.source is Source.LOGS


def test_every_code_named_as_catching_a_cause_earlier_exists() -> None:
    registered = {rule.code for rule in load_catalog()}
    named = {code for codes in EARLIER.values() for code in codes}
    named |= {code for rule in LOG_RULES.values() for code in rule.earlier}
    named |= set(ServerErrorWithoutTraceback.earlier)

    assert named - registered == set()


def test_every_pattern_ident_is_unique_and_every_earlier_entry_names_a_pattern() -> None:
    idents = [pattern.ident for pattern in PATTERNS]

    assert len(idents) == len(set(idents))
    assert set(EARLIER) - set(idents) == {"environment-variable-missing"}


def test_explanations_and_fixes_fit_one_line() -> None:
    for pattern in PATTERNS:
        assert len(pattern.explanation) < 80, pattern.ident
        assert "\n" not in pattern.fix
        assert len(pattern.fix) < 90, pattern.ident
