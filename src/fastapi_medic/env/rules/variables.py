"""Environment variables and database URLs (MED640-659), and unreadable config (MED699)."""

from __future__ import annotations

from fastapi_medic.env.rules._base import EnvRule
from fastapi_medic.findings import Cause, Severity

__all__ = [
    "ConfigUnparsable",
    "DatabaseDriverUnavailable",
    "DatabaseHostLoopback",
    "DatabaseUrlEngineMismatch",
    "DatabaseUrlPostgresScheme",
    "DatabaseUrlSslmodeAsyncpg",
    "DatabaseUrlUnparseable",
    "EnvBooleanString",
    "EnvValueEmpty",
    "EnvVarUnset",
    "SqlitePathRelative",
]


class _VariableRule(EnvRule):
    tags = frozenset({"env", "variables"})


class EnvVarUnset(_VariableRule):
    """The app requires an environment variable that nothing sets.

    ## What it does
    Checks for names read without a default (`os.environ["X"]`, required settings fields)
    that neither the environment nor any config (.env, compose, render.yaml, fly.toml,
    app.yaml, Dockerfile `ENV`) sets, or that only local files set.

    ## Why it matters
    The process raises `KeyError` or pydantic's "Field required" at import and exits before
    it binds its port.

    ## Example
    ```python
    import os

    SECRET_KEY = os.environ["SECRET_KEY"]
    ```

    Use instead:
    ```text
    render.yaml envVars: SECRET_KEY (sync: false)
    ```
    """

    code = "MED640"
    name = "env-var-unset"
    severity = Severity.WARNING


class DatabaseUrlUnparseable(_VariableRule):
    """A database URL cannot be parsed.

    ## What it does
    Checks for database URLs that SQLAlchemy's `make_url` (or `urllib`) rejects, including a
    raw `@` in the password and a non-numeric port.

    ## Why it matters
    The engine fails at startup with `Could not parse SQLAlchemy URL`, or connects to a host
    made of the password's tail.

    ## Example
    ```text
    DATABASE_URL=postgresql://shop:p@ss@db:5432/shop
    ```

    Use instead:
    ```text
    DATABASE_URL=postgresql://shop:p%40ss@db:5432/shop
    ```
    """

    code = "MED641"
    name = "database-url-unparseable"
    severity = Severity.ERROR


class DatabaseUrlPostgresScheme(_VariableRule):
    """A database URL uses the `postgres://` scheme.

    ## What it does
    Checks for `postgres://` URLs, which Heroku and others hand out.

    ## Why it matters
    SQLAlchemy 1.4 and later fail with `Can't load plugin: sqlalchemy.dialects:postgres`.

    ## Example
    ```text
    DATABASE_URL=postgres://db:5432/shop
    ```

    Use instead:
    ```text
    DATABASE_URL=postgresql+psycopg://db:5432/shop
    ```
    """

    code = "MED642"
    name = "database-url-postgres-scheme"
    severity = Severity.ERROR


class DatabaseDriverUnavailable(_VariableRule):
    """The driver a database URL needs is not declared (or not installed).

    ## What it does
    Checks for database URLs whose driver no declared distribution (or, when nothing is
    declared, no installed one) provides; plain `postgresql://` means psycopg2 before
    SQLAlchemy 2.1 and psycopg 3 from 2.1.

    ## Why it matters
    The engine fails with `No module named 'psycopg2'` on the first connection, often only
    after an unpinned SQLAlchemy upgrade.

    ## Example
    ```text
    requirements.txt: sqlalchemy==2.1.9    DATABASE_URL=postgresql://db/shop
    ```

    Use instead:
    ```text
    requirements.txt: sqlalchemy==2.1.9 psycopg[binary]==3.2.3
    ```
    """

    code = "MED643"
    name = "database-driver-unavailable"
    severity = Severity.ERROR


class DatabaseUrlEngineMismatch(_VariableRule):
    """A sync driver URL feeds an async engine, or an async driver a sync engine.

    ## What it does
    Checks for database URLs whose driver does not fit the engine the code builds
    (`create_async_engine` or `create_engine`).

    ## Why it matters
    `The asyncio extension requires an async driver to be used`, or a sync engine that
    cannot call an async driver, at the first connection.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+psycopg2://db/shop")
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://db/shop")
    ```
    """

    code = "MED644"
    name = "database-url-engine-mismatch"
    severity = Severity.ERROR


class DatabaseUrlSslmodeAsyncpg(_VariableRule):
    """An asyncpg URL carries libpq's `sslmode` parameter.

    ## What it does
    Checks for `+asyncpg` URLs with `sslmode`, `sslrootcert`, `sslcert` or `sslkey`.

    ## Why it matters
    Managed databases hand out `?sslmode=require`; asyncpg rejects it with
    `connect() got an unexpected keyword argument 'sslmode'`.

    ## Example
    ```text
    DATABASE_URL=postgresql+asyncpg://db/shop?sslmode=require
    ```

    Use instead:
    ```text
    DATABASE_URL=postgresql+asyncpg://db/shop?ssl=require
    ```
    """

    code = "MED645"
    name = "database-url-sslmode-asyncpg"
    severity = Severity.ERROR


class DatabaseHostLoopback(_VariableRule):
    """A container or platform points its database URL at localhost.

    ## What it does
    Checks for database URLs set for a container or platform (compose, Dockerfile `ENV`,
    render.yaml, fly.toml) whose host is `localhost` or `127.0.0.1`.

    ## Why it matters
    Inside a container localhost is the container itself: "connection refused ... Is the
    server running on host 127.0.0.1".

    ## Example
    ```yaml
    environment:
      DATABASE_URL: postgresql+psycopg://localhost:5432/shop
    ```

    Use instead:
    ```yaml
    environment:
      DATABASE_URL: postgresql+psycopg://db:5432/shop
    ```
    """

    code = "MED646"
    name = "database-host-loopback"
    severity = Severity.WARNING


class SqlitePathRelative(_VariableRule):
    """A deployment's SQLite URL is relative to the working directory.

    ## What it does
    Checks for `sqlite:///relative.db` URLs set in deployment files.

    ## Why it matters
    The file lands wherever the process starts, often on an ephemeral or read-only disk,
    so data disappears on redeploy or writes fail.

    ## Example
    ```yaml
    environment:
      DATABASE_URL: sqlite:///./app.db
    ```

    Use instead:
    ```yaml
    environment:
      DATABASE_URL: sqlite:////data/app.db
    ```
    """

    code = "MED647"
    name = "sqlite-path-relative"
    severity = Severity.WARNING


class EnvValueEmpty(_VariableRule):
    """A variable the app reads is set to an empty string.

    ## What it does
    Checks for variables the code reads that a config or the environment sets to `""`.

    ## Why it matters
    An empty value is not a missing one: defaults do not apply and the app gets `""` as a
    URL, a key or a number.

    ## Example
    ```yaml
    environment:
      DATABASE_URL: ""
    ```

    Use instead:
    ```yaml
    environment:
      DATABASE_URL: postgresql+psycopg://db/shop
    ```
    """

    code = "MED648"
    name = "env-value-empty"
    severity = Severity.WARNING


class EnvBooleanString(_VariableRule):
    """The code treats a variable's raw text as a boolean, and a config sets it to "false".

    ## What it does
    Checks for `bool(os.getenv("X"))` where a config or the environment sets `X` to `false`,
    `0`, `no` or `off`.

    ## Why it matters
    Any non-empty string is true, so `DEBUG=False` turns debug mode on in production.

    ## Example
    ```python
    import os

    DEBUG = bool(os.getenv("DEBUG"))
    ```

    Use instead:
    ```python
    import os

    DEBUG = os.getenv("DEBUG", "").lower() in {"1", "true", "yes"}
    ```
    """

    code = "MED649"
    name = "env-boolean-string"
    severity = Severity.WARNING


class ConfigUnparsable(EnvRule):
    """A deployment or lock file cannot be parsed.

    ## What it does
    Checks for files the environment checks read (TOML, YAML, JSON, requirements,
    Dockerfiles, gunicorn.conf.py) that do not parse.

    ## Why it matters
    The platform cannot read the file either, and the other checks skip what it holds.

    ## Example
    ```toml
    [project
    name = "shop"
    ```

    Use instead:
    ```toml
    [project]
    name = "shop"
    ```
    """

    code = "MED699"
    name = "env-config-unparsable"
    severity = Severity.WARNING
    cause = Cause.TOOL
