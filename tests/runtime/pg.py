"""The throwaway PostgreSQL server of ``scripts/with_postgres.sh``: its URL per driver.

The script exports ``FASTAPI_MEDIC_TEST_PG_URL=postgresql://USER@127.0.0.1:PORT/DB``. Tests
marked ``postgres`` skip when it is unset, with the script's reason, unless
``FASTAPI_MEDIC_REQUIRE_PG=1`` (CI), where a missing server is a failure.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["asyncpg_url", "psycopg_url", "require_url"]

URL_VAR = "FASTAPI_MEDIC_TEST_PG_URL"


def require_url() -> str:
    """The server's URL; skips the test (or fails it in CI) when there is none."""
    url = os.environ.get(URL_VAR, "")
    if url:
        return url
    reason = os.environ.get(
        "FASTAPI_MEDIC_PG_SKIP_REASON",
        f"{URL_VAR} is not set: run the tests through scripts/with_postgres.sh",
    )
    if os.environ.get("FASTAPI_MEDIC_REQUIRE_PG") == "1":
        pytest.fail(f"FASTAPI_MEDIC_REQUIRE_PG=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _with_driver(url: str, driver: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}+{driver}://{rest}"


def psycopg_url(url: str) -> str:
    """``url`` for SQLAlchemy with psycopg 3 (sync)."""
    return _with_driver(url, "psycopg")


def asyncpg_url(url: str) -> str:
    """``url`` for SQLAlchemy with asyncpg."""
    return _with_driver(url, "asyncpg")
