"""What SQLAlchemy objects look like to the resolver: sessions, factories and engines.

Names are canonical external names (see :func:`.project.canonical`), ``()`` marking an
instance: ``sqlalchemy.orm.sessionmaker()()`` is a session made by a ``sessionmaker``.
"""

from __future__ import annotations

import re

from fastapi_medic.static.model import CallRef, FunctionInfo, Ref, SimpleValue
from fastapi_medic.static.project import Project, Symbol

__all__ = [
    "ENGINE_FACTORIES",
    "SESSION_FACTORIES",
    "engine_url",
    "session_kind",
    "url_driver",
]

_SESSIONS = {
    "sqlalchemy.orm.Session()": "sync",
    "sqlalchemy.orm.sessionmaker()()": "sync",
    "sqlalchemy.ext.asyncio.AsyncSession()": "async",
    "sqlalchemy.ext.asyncio.async_sessionmaker()()": "async",
}
#: session factory call -> "sync" / "async"
SESSION_FACTORIES = {
    "sqlalchemy.orm.sessionmaker": "sync",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "async",
}
#: engine factory call -> "sync" / "async"
ENGINE_FACTORIES = {
    "sqlalchemy.create_engine": "sync",
    "sqlalchemy.ext.asyncio.create_async_engine": "async",
}


def session_kind(symbol: Symbol | None) -> str | None:
    """ "sync" or "async" when ``symbol`` is a SQLAlchemy session instance, else None."""
    if symbol is None or symbol.kind != "external":
        return None
    return _SESSIONS.get(symbol.external)


def resolved_session(
    project: Project, rel: str, fn: FunctionInfo | None, dotted: str
) -> str | None:
    """The session kind of the expression ``dotted`` written in ``fn``, or None."""
    return session_kind(project.resolve(rel, fn, dotted))


def external_call(project: Project, rel: str, fn: FunctionInfo | None, func: str) -> str | None:
    """The canonical external name a call's callee resolves to, or None."""
    symbol = project.resolve(rel, fn, func)
    return symbol.external if symbol is not None and symbol.kind == "external" else None


def engine_url(project: Project, rel: str, call: CallRef) -> str | None:
    """The URL literal an engine factory receives, following a module-level constant."""
    value: SimpleValue = call.args[0] if call.args else call.kwarg("url")
    if isinstance(value, str):
        return value
    if isinstance(value, Ref):
        summary = project.modules.get(rel)
        if summary is not None and "." not in value.dotted:
            constant = summary.constants.get(value.dotted)
            if isinstance(constant, str):
                return constant
            symbol = project.resolve(rel, None, value.dotted)
            if symbol is not None and symbol.kind == "value":
                owner = project.modules.get(symbol.rel)
                found = owner.constants.get(symbol.qualname) if owner else None
                return found if isinstance(found, str) else None
    return None


_URL = re.compile(r"^(?P<dialect>[A-Za-z0-9_]+)(?:\+(?P<driver>[A-Za-z0-9_]+))?://")
_ASYNC_DRIVERS = frozenset(
    {"asyncpg", "aiosqlite", "aiomysql", "asyncmy", "psycopg_async", "aioodbc"}
)
_BOTH = frozenset({"psycopg", "oracledb"})  # drivers with a sync and an async flavour
_DEFAULT_DRIVERS = {
    "postgresql": "psycopg2",
    "postgres": "psycopg2",
    "mysql": "mysqldb",
    "mariadb": "mysqldb",
    "sqlite": "pysqlite",
    "mssql": "pyodbc",
    "oracle": "cx_oracle",
}


def url_driver(url: str) -> tuple[str, str, bool | None] | None:
    """(dialect, driver, is_async) of a database URL; is_async None when both work.

    Uses SQLAlchemy's own URL parser and dialect registry when it is installed, so third-party
    dialects are judged by their own ``is_async`` flag.
    """
    match = _URL.match(url.strip())
    if match is None:
        return None
    dialect = match.group("dialect").lower()
    driver = (match.group("driver") or _DEFAULT_DRIVERS.get(dialect, "")).lower()
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url.replace("{}", "x"))
        is_async = bool(getattr(parsed.get_dialect(), "is_async", False))
    except Exception:  # no SQLAlchemy, an unknown dialect or a templated URL
        if not driver:
            return None
        is_async = driver in _ASYNC_DRIVERS
    if driver in _BOTH:
        return dialect, driver, None
    return dialect, driver, is_async
