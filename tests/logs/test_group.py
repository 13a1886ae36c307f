"""Grouping by signature, ordering, and the findings built from groups."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fastapi_medic.findings import Cause, Severity, Source
from fastapi_medic.logs import group as group_module
from fastapi_medic.logs.classify import Classification, classify
from fastapi_medic.logs.group import Grouper, Occurrence, ServerErrors
from fastapi_medic.logs.tracebacks import parse_traceback_text

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def _c(exception: str, line: int = 9) -> Classification:
    frame = f'  File "/app/api.py", line {line}, in route\n'
    tb = parse_traceback_text(f"Traceback (most recent call last):\n{frame}{exception}\n")
    c = classify(tb)
    assert c is not None
    return c


def test_same_cause_type_and_frame_are_one_group_when_seen_twice() -> None:
    grouper = Grouper()
    grouper.add(_c("KeyError: 1"), Occurrence("a.log", 10, T0 + timedelta(minutes=5)))
    grouper.add(_c("KeyError: 2"), Occurrence("a.log", 50, T0))

    (group,) = grouper.ordered()

    assert group.count == 2
    assert (group.first.line, group.last.line) == (50, 10)  # ordered by time, not by line


def test_another_frame_is_another_group() -> None:
    grouper = Grouper()
    grouper.add(_c("KeyError: 1", line=9), Occurrence("a.log", 1, None))
    grouper.add(_c("KeyError: 1", line=10), Occurrence("a.log", 2, None))

    assert len(grouper.ordered()) == 2


def test_most_severe_then_most_frequent_come_first() -> None:
    grouper = Grouper()
    for i in range(3):
        grouper.add(_c("KeyError: 1"), Occurrence("a.log", i, None))
    grouper.add(
        _c("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5"), Occurrence("a.log", 9, None)
    )
    grouper.add(_c("ValueError: x"), Occurrence("a.log", 10, None))

    ordered = grouper.ordered()

    assert [g.classification.cause for g in ordered] == [
        Cause.POOL_EXHAUSTION,
        Cause.UNHANDLED,
        Cause.UNHANDLED,
    ]
    assert [g.count for g in ordered] == [1, 3, 1]


def test_groups_beyond_the_limit_are_counted_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_module, "MAX_GROUPS", 2)
    grouper = Grouper()
    for line in range(5):
        grouper.add(_c("KeyError: 1", line=line + 1), Occurrence("a.log", line, None))

    assert (len(grouper.groups), grouper.overflow) == (2, 3)


def test_finding_carries_model_fields_location_and_marked_frame() -> None:
    grouper = Grouper()
    grouper.add(_c("KeyError: 1"), Occurrence("api.log", 7, T0), route="GET /items/{id}")

    finding = grouper.ordered()[0].finding()

    assert (finding.code, finding.source, finding.cause) == ("MED810", Source.LOGS, Cause.UNHANDLED)
    assert finding.location is not None
    assert (finding.location.path, finding.location.line) == (
        "api.log",
        7,
    )
    assert finding.chain[-1].label == "route (your innermost frame)"
    assert finding.evidence["count"] == 1
    assert finding.evidence["first_seen"] == "2026-11-25T10:00:00+00:00"
    assert finding.evidence["routes"] == "GET /items/{id} (1)"
    assert finding.evidence["caught_earlier_by"] == "MED701"
    assert len(finding.message) < 80


def test_long_traceback_chain_keeps_your_frame_and_the_innermost_ones() -> None:
    frames = "".join(
        f'  File "/usr/lib/python3.11/site-packages/lib/m{i}.py", line {i}, in f{i}\n'
        for i in range(40)
    )
    frames = '  File "/app/api.py", line 3, in route\n' + frames
    tb = parse_traceback_text(f"Traceback (most recent call last):\n{frames}ValueError: x\n")
    c = classify(tb)
    assert c is not None
    grouper = Grouper()
    grouper.add(c, Occurrence("a.log", 1, None))

    chain = grouper.ordered()[0].finding().chain

    assert chain[0].label == "route (your innermost frame)"
    assert any(frame.label.startswith("...") for frame in chain)
    assert chain[-1].label == "f39"
    assert len(chain) < 20


def test_blind_spot_counts_routes_and_is_an_error() -> None:
    errors = ServerErrors()
    errors.add(Occurrence("a.log", 3, None), "POST /checkout")
    errors.add(Occurrence("a.log", 4, None), "POST /checkout")

    finding = errors.blind_spot()

    assert finding is not None
    assert (finding.code, finding.severity, finding.cause) == (
        "MED811",
        Severity.ERROR,
        Cause.LOGGING,
    )
    assert finding.subject == "POST /checkout"
    assert finding.evidence["count"] == 2


def test_no_blind_spot_without_500s() -> None:
    assert ServerErrors().blind_spot() is None
