"""Database URLs, .env files and Poetry constraints, read the way the checks need them."""

from __future__ import annotations

import pytest

from fastapi_medic.env.dburl import parse_db_url
from fastapi_medic.env.pyversion import poetry_to_pep440
from fastapi_medic.env.values import parse_dotenv


def test_url_shape_keeps_scheme_host_and_port_only() -> None:
    url = parse_db_url("postgresql+asyncpg://shop:S3cret@db.internal:5432/shop?sslmode=require")

    assert url is not None
    assert url.shape == "postgresql+asyncpg://db.internal:5432"
    assert url.libpq_params == ["sslmode"]
    assert "S3cret" not in repr(url)


@pytest.mark.parametrize(
    ("sqlalchemy", "driver"), [("2.0.36", "psycopg2"), ("2.1.9", "psycopg"), (None, "psycopg")]
)
def test_default_postgres_driver_follows_the_sqlalchemy_version(
    sqlalchemy: str | None, driver: str
) -> None:
    url = parse_db_url("postgresql://db/shop")

    assert url is not None
    assert url.default_driver(sqlalchemy) == driver


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("postgresql://u:p@ss@db/shop", "an unescaped '@' in the password"),
        ("postgresql://db:54x2/shop", "the port is not a number"),
    ],
)
def test_broken_url_gives_a_reason_without_the_value(value: str, error: str) -> None:
    url = parse_db_url(value)

    assert url is not None
    assert url.error == error


def test_templated_url_is_not_reported_for_its_placeholder_port() -> None:
    url = parse_db_url("postgresql://db:${DB_PORT}/shop")

    assert url is not None
    assert url.error is None


def test_relative_and_absolute_sqlite_paths_are_told_apart() -> None:
    relative = parse_db_url("sqlite:///./app.db")
    absolute = parse_db_url("sqlite:////data/app.db")

    assert relative is not None
    assert absolute is not None
    assert (relative.database, absolute.database) == ("./app.db", "/data/app.db")


def test_not_a_database_url_when_scheme_is_another() -> None:
    assert parse_db_url("https://example.com") is None


def test_dotenv_reads_quotes_exports_and_comments() -> None:
    text = '# comment\nexport A=1\nB="two words"\nC=3 # note\nnot a line\n'

    assert list(parse_dotenv(text)) == [("A", "1", 2), ("B", "two words", 3), ("C", "3", 4)]


@pytest.mark.parametrize(
    ("constraint", "inside", "outside"),
    [("^3.11", "3.12.1", "4.0"), ("~3.11", "3.11.9", "3.12.0"), (">=3.10,<3.13", "3.12", "3.13")],
)
def test_poetry_constraints_become_pep440_ranges(
    constraint: str, inside: str, outside: str
) -> None:
    spec = poetry_to_pep440(constraint)

    assert spec is not None
    assert spec.contains(inside)
    assert not spec.contains(outside)
