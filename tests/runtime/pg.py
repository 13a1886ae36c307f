"""The throwaway PostgreSQL server of ``scripts/with_postgres.sh``: its URL per driver.

The script exports ``FASTAPI_MEDIC_TEST_PG_URL=postgresql://USER@127.0.0.1:PORT/DB``; the
``pg_url`` fixture of ``tests/conftest.py`` reads it (and skips or fails without it).
"""

from __future__ import annotations

__all__ = ["asyncpg_url", "psycopg_url"]


def _with_driver(url: str, driver: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}+{driver}://{rest}"


def psycopg_url(url: str) -> str:
    """``url`` for SQLAlchemy with psycopg 3 (sync)."""
    return _with_driver(url, "psycopg")


def asyncpg_url(url: str) -> str:
    """``url`` for SQLAlchemy with asyncpg."""
    return _with_driver(url, "asyncpg")
