"""Database URLs: parsed with SQLAlchemy's ``make_url`` when installed, else ``urllib``,
and shown only as scheme, host and port."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["DRIVERS", "DbUrl", "is_db_url", "parse_db_url"]

_SCHEME = re.compile(
    r"^(?P<backend>postgres|postgresql|mysql|mariadb|sqlite|mssql|oracle|cockroachdb)"
    r"(?:\+(?P<driver>\w+))?://",
    re.I,
)

#: driver -> (module, distributions that provide it, what to add, async: True/False/None=both)
DRIVERS: dict[str, tuple[str | None, tuple[str, ...], str, bool | None]] = {
    "psycopg2": ("psycopg2", ("psycopg2", "psycopg2-binary"), "psycopg2-binary", False),
    "psycopg": ("psycopg", ("psycopg",), "psycopg[binary]", None),
    "psycopg_async": ("psycopg", ("psycopg",), "psycopg[binary]", True),
    "asyncpg": ("asyncpg", ("asyncpg",), "asyncpg", True),
    "pg8000": ("pg8000", ("pg8000",), "pg8000", False),
    "pysqlite": (None, (), "", False),
    "aiosqlite": ("aiosqlite", ("aiosqlite",), "aiosqlite", True),
    "mysqldb": ("MySQLdb", ("mysqlclient",), "mysqlclient", False),
    "pymysql": ("pymysql", ("pymysql",), "PyMySQL", False),
    "aiomysql": ("aiomysql", ("aiomysql",), "aiomysql", True),
    "asyncmy": ("asyncmy", ("asyncmy",), "asyncmy", True),
    "mysqlconnector": (
        "mysql.connector",
        ("mysql-connector-python",),
        "mysql-connector-python",
        False,
    ),
    "pyodbc": ("pyodbc", ("pyodbc",), "pyodbc", False),
    "aioodbc": ("aioodbc", ("aioodbc",), "aioodbc", True),
    "pymssql": ("pymssql", ("pymssql",), "pymssql", False),
    "oracledb": ("oracledb", ("oracledb",), "oracledb", None),
    "cx_oracle": ("cx_Oracle", ("cx-oracle",), "cx-Oracle", False),
}
_LIBPQ_ONLY = frozenset({"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl"})


@dataclasses.dataclass(frozen=True)
class DbUrl:
    """The parts of a database URL that are safe to show and to check.

    Attributes:
        backend: ``postgresql``, ``sqlite``, ...; driver: as written, or None.
        host, port, database: as parsed; query: the query-string keys (values dropped).
        error: why it cannot be parsed, or None.
    """

    scheme: str
    backend: str
    driver: str | None
    host: str | None = None
    port: str | None = None
    database: str | None = None
    query: tuple[str, ...] = ()
    error: str | None = None

    @property
    def shape(self) -> str:
        """``postgresql+asyncpg://db:5432``: what may be printed."""
        where = f"{self.host or ''}{':' + self.port if self.port else ''}"
        return f"{self.scheme}://{where}"

    @property
    def libpq_params(self) -> list[str]:
        """Query keys only libpq understands (asyncpg rejects them)."""
        return sorted(_LIBPQ_ONLY.intersection(self.query))

    def default_driver(self, sqlalchemy: str | None) -> str | None:
        """The driver SQLAlchemy uses when the URL names none (depends on its version)."""
        if self.driver:
            return self.driver.lower()
        backend = self.backend.lower()
        if backend in ("postgresql", "postgres", "cockroachdb"):
            return "psycopg" if _at_least(sqlalchemy, (2, 1)) else "psycopg2"
        return {
            "sqlite": "pysqlite",
            "mysql": "mysqldb",
            "mariadb": "mysqldb",
            "mssql": "pyodbc",
            "oracle": "oracledb" if _at_least(sqlalchemy, (2, 0)) else "cx_oracle",
        }.get(backend)


def _at_least(version: str | None, floor: tuple[int, int]) -> bool:
    if not version:
        return True  # an unpinned SQLAlchemy installs the newest release
    numbers = re.findall(r"\d+", version)[:2]
    return tuple(int(n) for n in numbers) >= floor if len(numbers) == 2 else True


def is_db_url(value: str) -> bool:
    """True when ``value`` starts with a database scheme."""
    return bool(_SCHEME.match(value.strip()))


def parse_db_url(value: str) -> DbUrl | None:
    """Parse ``value``; None when it is not a database URL at all."""
    value = value.strip()
    match = _SCHEME.match(value)
    if match is None:
        return None
    backend, driver = match.group("backend"), match.group("driver")
    scheme = f"{backend}+{driver}" if driver else backend
    templated = "$" in value or "{{" in value
    try:
        parts = urlsplit(value)
        if parts.netloc.count("@") > 1:
            return DbUrl(scheme, backend, driver, error="an unescaped '@' in the password")
        host, port = parts.hostname, None
        try:
            port = str(parts.port) if parts.port else None
        except ValueError:
            if not templated:
                raise ValueError("the port is not a number") from None
        database = parts.path.lstrip("/") if backend != "sqlite" else parts.path[1:]
        query = tuple(sorted(parse_qs(parts.query, keep_blank_values=True)))
    except ValueError as exc:
        return DbUrl(scheme, backend, driver, error=str(exc).split(":")[0][:40])
    if not templated:
        error = _sqlalchemy_error(value, backend)
        if error:
            return DbUrl(scheme, backend, driver, host, port, database, query, error)
    return DbUrl(scheme, backend, driver, host, port, database, query)


def _sqlalchemy_error(value: str, backend: str) -> str | None:
    """SQLAlchemy's verdict when it is installed (never its message: it may hold the URL)."""
    if backend == "postgres":
        return None  # reported on its own (MED642)
    try:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError
    except ImportError:
        return None
    try:
        make_url(value)
    except ArgumentError:
        return "SQLAlchemy cannot parse it"
    except ValueError:
        return "the port is not a number"
    return None
