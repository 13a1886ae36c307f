"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PG_URL_VAR = "FASTAPI_MEDIC_TEST_PG_URL"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory (a child of ``tmp_path``, so siblings stay outside it)."""
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def pg_url() -> str:
    """The URL of the throwaway PostgreSQL server of ``scripts/with_postgres.sh``.

    The test skips, with the script's reason, when the server is not running, unless
    ``FASTAPI_MEDIC_REQUIRE_PG=1`` (set by CI): then a missing server fails it.
    """
    url = os.environ.get(PG_URL_VAR, "")
    if url:
        return url
    reason = os.environ.get(
        "FASTAPI_MEDIC_PG_SKIP_REASON",
        f"{PG_URL_VAR} is not set: run the tests through scripts/with_postgres.sh",
    )
    if os.environ.get("FASTAPI_MEDIC_REQUIRE_PG") == "1":
        pytest.fail(f"FASTAPI_MEDIC_REQUIRE_PG=1 but {reason}", pytrace=False)
    pytest.skip(reason)
