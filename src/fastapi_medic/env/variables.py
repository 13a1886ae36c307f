"""Environment variables: required names that nothing sets, and database URLs that break.

Values are never shown: a URL appears as its scheme, host and port only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from fastapi_medic.env import rules
from fastapi_medic.env.code_scan import CodeFacts
from fastapi_medic.env.dburl import DRIVERS, DbUrl, parse_db_url
from fastapi_medic.env.installed import Installed
from fastapi_medic.env.locks import Declarations
from fastapi_medic.env.values import DEPLOY_DECLARING, EnvValue
from fastapi_medic.findings import Finding
from fastapi_medic.registry import Rule

__all__ = ["check_variables"]

_URL_NAME = re.compile(r"(DATABASE|DB|SQLALCHEMY|POSTGRES|PG|MYSQL).*(URL|URI|DSN)$", re.I)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f"})


def _finding(rule: type[Rule], value: EnvValue, message: str, fix: str) -> Finding:
    subject = None if value.location else f"env {value.name}"
    return rule.finding(message[:79], location=value.location, subject=subject, fix=fix)


def check_variables(
    values: Sequence[EnvValue],
    facts: CodeFacts,
    installed: Installed,
    declared: Declarations,
    provided: set[str] | None,
) -> list[Finding]:
    """Findings about variables and database URLs (MED640-649)."""
    findings = list(_unset(values, facts))
    read_names = {r.name.upper() for r in facts.reads}
    for value in values:
        if value.name.upper() in read_names and value.value == "" and value.location is not None:
            findings.append(
                _finding(
                    rules.EnvValueEmpty,
                    value,
                    f"{value.name} is set to an empty string",
                    "Give it a value or remove the line so the default applies.",
                )
            )
    findings += _booleans(values, facts)
    findings += _urls(
        values,
        facts,
        installed=installed,
        declared=declared,
        provided=provided,
        read_names=read_names,
    )
    return findings


def _unset(values: Sequence[EnvValue], facts: CodeFacts) -> Iterator[Finding]:
    set_names = {v.name.upper() for v in values}
    if "*" in set_names:
        return
    # Deployment files that list their variables: a name missing there is missing in prod.
    declaring = {
        v.location.path for v in values if v.origin in DEPLOY_DECLARING and v.deploy and v.location
    }
    reported: set[str] = set()
    for read in facts.reads:
        name = read.name.upper()
        if not read.required or name in reported:
            continue
        reported.add(name)
        if name not in set_names:
            yield rules.EnvVarUnset.finding(
                f"{read.name} is required but no config or environment sets it"[:79],
                location=read.location,
                fix=f"Set {read.name} in the deployment's environment.",
            )
            continue
        setting = [v for v in values if v.name.upper() == name]
        if any(v.deploy for v in setting):
            continue
        lacking = sorted(declaring - {v.location.path for v in setting if v.location})
        if lacking:
            yield rules.EnvVarUnset.finding(
                f"{read.name} is set only locally, not in {lacking[0]}"[:79],
                location=read.location,
                fix=f"Declare {read.name} in {lacking[0]} (as a secret if it is one).",
            )


def _booleans(values: Sequence[EnvValue], facts: CodeFacts) -> Iterator[Finding]:
    for read in facts.reads:
        if not read.as_bool:
            continue
        falsy = next(
            (
                v
                for v in values
                if v.name == read.name and (v.value or "").strip().lower() in _FALSE
            ),
            None,
        )
        if falsy is not None:
            yield rules.EnvBooleanString.finding(
                f"bool() of {read.name} is True for {falsy.value!r} set in {falsy.where}"[:79],
                location=read.location,
                fix=f'Compare the text: os.getenv("{read.name}", "").lower() in {{"1", "true"}}.',
            )


def _url_values(values: Sequence[EnvValue], facts: CodeFacts) -> Iterator[EnvValue]:
    """Values to check as database URLs: deployment and local ones, then code defaults."""
    seen: set[str] = set()
    for value in values:
        if value.value is None and value.hint is None:
            continue
        if _URL_NAME.search(value.name) or (value.value and parse_db_url(value.value)):
            seen.add(value.name.upper())
            yield value
    for read in facts.reads:
        if read.default and read.name.upper() not in seen and parse_db_url(read.default):
            yield EnvValue(read.name, read.default, "code default", read.location)


def _has(names: tuple[str, ...], installed: Installed, provided: set[str] | None) -> bool:
    from packaging.utils import canonicalize_name

    if provided is not None:
        return any(str(canonicalize_name(n)) in provided for n in names)
    return any(installed.version(n) is not None for n in names)


def _urls(
    values: Sequence[EnvValue],
    facts: CodeFacts,
    *,
    installed: Installed,
    declared: Declarations,
    provided: set[str] | None,
    read_names: set[str],
) -> Iterator[Finding]:
    sqlalchemy = _sqlalchemy_version(declared, installed)
    engines = set(facts.engines)
    uses_sqlalchemy = bool({"sqlalchemy", "sqlmodel"} & set(facts.imports))
    for value in _url_values(values, facts):
        if value.name.upper() not in read_names and value.origin == "environment":
            continue  # a variable of this shell that the app does not read
        url = parse_db_url(value.value) if value.value else None
        if url is None and value.hint:
            url = DbUrl(value.hint, value.hint, None)
        if url is None:
            continue
        if url.error:
            yield _finding(
                rules.DatabaseUrlUnparseable,
                value,
                f"{value.name} cannot be parsed: {url.error}",
                "Percent-encode special characters in the password (@ is %40).",
            )
            continue
        yield from _placement(value, url)
        if not uses_sqlalchemy:
            continue  # the scheme and driver rules below are SQLAlchemy's
        if url.backend.lower() == "postgres" and not facts.rewrites:
            yield _finding(
                rules.DatabaseUrlPostgresScheme,
                value,
                f"{value.name} uses postgres://, which SQLAlchemy rejects",
                "Use postgresql:// (with +psycopg or +asyncpg).",
            )
        yield from _driver(
            value,
            url,
            sqlalchemy=sqlalchemy,
            installed=installed,
            provided=provided,
            declared=declared,
            facts=facts,
        )
        if "sync" in engines or "async" in engines:
            yield from _engine_kind(value, url, sqlalchemy, engines, facts)
        if url.driver and url.driver.lower() == "asyncpg" and url.libpq_params:
            yield _finding(
                rules.DatabaseUrlSslmodeAsyncpg,
                value,
                f"{value.name} passes {url.libpq_params[0]} to asyncpg",
                "Use ?ssl=require (asyncpg's name) instead of sslmode.",
            )


def _sqlalchemy_version(declared: Declarations, installed: Installed) -> str | None:
    for pin in declared.reference:
        if pin.name == "sqlalchemy" and pin.spec.startswith("=="):
            return pin.spec[2:]
    if any(p.name == "sqlalchemy" for p in declared.reference):
        return installed.version("sqlalchemy")
    return installed.version("sqlalchemy") if not declared.reference else None


def _driver(
    value: EnvValue,
    url: DbUrl,
    *,
    sqlalchemy: str | None,
    installed: Installed,
    provided: set[str] | None,
    declared: Declarations,
    facts: CodeFacts,
) -> Iterator[Finding]:
    if facts.rewrites and not url.driver:
        return  # the code rewrites the scheme; its driver is in the code, not the URL
    driver = url.default_driver(sqlalchemy)
    entry = DRIVERS.get(driver or "")
    if entry is None or not entry[1]:
        return
    _, dists, suggestion, _ = entry
    if _has(dists, installed, provided):
        return
    where = declared.files[0] if provided is not None and declared.files else "this environment"
    verb = "does not declare it" if provided is not None else "does not have it"
    yield _finding(
        rules.DatabaseDriverUnavailable,
        value,
        f"{value.name} needs driver {driver}; {where} {verb}",
        f"Add {suggestion} to {where}"
        + ("." if url.driver else f" (SQLAlchemy {sqlalchemy or 'latest'} picks {driver})."),
    )


def _engine_kind(
    value: EnvValue, url: DbUrl, sqlalchemy: str | None, engines: set[str], facts: CodeFacts
) -> Iterator[Finding]:
    if len(engines) != 1 or facts.rewrites:
        return
    driver = url.default_driver(sqlalchemy)
    entry = DRIVERS.get(driver or "")
    if entry is None:
        return
    is_async = entry[3]
    if "async" in engines and is_async is False:
        yield _finding(
            rules.DatabaseUrlEngineMismatch,
            value,
            f"{value.name} uses sync driver {driver}; the app uses an async engine",
            "Use an async driver: postgresql+asyncpg:// or sqlite+aiosqlite://.",
        )
    elif "sync" in engines and is_async is True:
        yield _finding(
            rules.DatabaseUrlEngineMismatch,
            value,
            f"{value.name} uses async driver {driver}; the app uses create_engine",
            "Use a sync driver (postgresql+psycopg://) or create_async_engine.",
        )


def _placement(value: EnvValue, url: DbUrl) -> Iterator[Finding]:
    if not value.deploy:
        return
    if url.host and url.host.lower() in _LOOPBACK and not value.network_host:
        where = "the container" if value.container else "the platform's machine"
        yield _finding(
            rules.DatabaseHostLoopback,
            value,
            f"{value.name} points at {url.host}, which is {where} itself",
            "Use the database's service or host name (e.g. db in compose).",
        )
    database = url.database or ""
    relative = database and not database.startswith("/") and "$" not in database
    if url.backend.lower() == "sqlite" and relative and database != ":memory:":
        yield _finding(
            rules.SqlitePathRelative,
            value,
            f"{value.name} SQLite path {database} depends on the working dir"[:79],
            "Use an absolute path on a persistent volume: sqlite:////data/app.db.",
        )
