"""``--bisect`` names the failing part: a dependency, the endpoint body or the response model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_medic.live.curl import parse_request
from fastapi_medic.live.repro import repro

AppDir = Callable[[str], Path]


@pytest.mark.parametrize(
    ("request_text", "part", "name", "verdict"),
    [
        (
            "GET /users/me -H 'Authorization: Bearer bob'",
            "dependency",
            "get_current_user",
            "dependency `get_current_user`",
        ),
        ("POST /orders/average --json '[]'", "endpoint", "average", "endpoint body (`average`)"),
        (
            "GET /profile",
            "response-model",
            "UserOut",
            "response model `UserOut` validation of field `email`",
        ),
    ],
    ids=["dependency", "endpoint-body", "response-model"],
)
def test_names_the_failing_part_when_the_request_fails(
    app_dir: AppDir, request_text: str, part: str, name: str, verdict: str
) -> None:
    result = repro(app_dir("failing"), parse_request(request_text), bisect=True)

    assert result.bisect is not None
    assert (result.bisect.part, result.bisect.name) == (part, name)
    assert result.bisect.verdict == verdict
    assert result.bisect.steps[-1].passed != (part == "endpoint")


def test_runs_the_dummy_endpoint_first_when_bisecting(app_dir: AppDir) -> None:
    result = repro(
        app_dir("failing"), parse_request("POST /orders/average --json '[]'"), bisect=True
    )

    assert result.bisect is not None
    assert [(s.number, s.passed) for s in result.bisect.steps] == [(1, True), (3, False)]


def test_stubs_each_dependency_in_turn_when_the_dummy_endpoint_still_fails(
    app_dir: AppDir,
) -> None:
    result = repro(
        app_dir("failing"),
        parse_request("GET /users/me -H 'Authorization: Bearer bob'"),
        bisect=True,
    )

    assert result.bisect is not None
    assert [(s.label, s.passed) for s in result.bisect.steps] == [
        ("endpoint replaced by a dummy", False),
        ("dependency `get_db` replaced by a stub", False),
        ("dependency `get_current_user` replaced by a stub", True),
    ]


def test_does_not_bisect_when_the_request_passes(app_dir: AppDir) -> None:
    result = repro(app_dir("failing"), parse_request("GET /health"), bisect=True)

    assert result.bisect is None
    assert not result.failed
