"""The environment codes (MED6xx), declared next to their detectors.

MED601-619 start commands, MED620-629 Python versions, MED630-639 packages, MED640-659
environment variables and database URLs, MED699 a config file that cannot be read.
"""

from __future__ import annotations

from fastapi_medic.findings import Cause, Severity, Source
from fastapi_medic.registry import Rule

__all__ = [
    "AppAttributeMissing",
    "AppFactoryWithoutFlag",
    "AppImportFailure",
    "AppModuleUnresolvable",
    "AppObjectNotAsgi",
    "ConfigUnparsable",
    "DatabaseDriverUnavailable",
    "DatabaseHostLoopback",
    "DatabaseUrlEngineMismatch",
    "DatabaseUrlPostgresScheme",
    "DatabaseUrlSslmodeAsyncpg",
    "DatabaseUrlUnparseable",
    "DeclaredPackageMissing",
    "EntrypointsDisagree",
    "EnvBooleanString",
    "EnvValueEmpty",
    "EnvVarUnset",
    "ImportUndeclared",
    "InstalledVersionDiffers",
    "OptionalDependencyMissing",
    "PlatformOnlyPin",
    "PlatformPortIgnored",
    "PortVariableUnexpanded",
    "Psycopg2SourceBuild",
    "PythonVersionDiffers",
    "PythonVersionSourcesDisagree",
    "PythonVersionUnpinned",
    "PythonVersionYamlFloat",
    "ReloadInProduction",
    "ServerBoundToLoopback",
    "SqlitePathRelative",
    "WsgiServerForAsgiApp",
]


class _EnvRule(Rule):
    source = Source.ENV
    cause = Cause.CONFIG
    tags = frozenset({"env"})


class _StartRule(_EnvRule):
    tags = frozenset({"env", "start-command"})


class AppModuleUnresolvable(_StartRule):
    """The start command names a module its server cannot import from its working directory.

    ## What it does
    Checks for start commands whose app module is not on the server's `sys.path` (working
    directory, `--app-dir`, `--chdir`, `PYTHONPATH`), mapped through the Dockerfile's `COPY`.

    ## Why it matters
    The server exits at boot with `Error loading ASGI app. Could not import module "main".`
    It works on your machine because you start it from another directory.

    ## Example
    ```dockerfile
    WORKDIR /srv
    COPY . .
    CMD ["uvicorn", "main:app"]
    ```

    Use instead:
    ```dockerfile
    WORKDIR /srv
    COPY . .
    CMD ["uvicorn", "app.main:app"]
    ```
    """

    code = "MED601"
    name = "app-module-unresolvable"
    severity = Severity.ERROR
    cause = Cause.IMPORT_ERROR


class AppAttributeMissing(_StartRule):
    """The start command names an attribute its module does not define.

    ## What it does
    Checks for `module:attr` import strings whose module exists but binds no `attr`.

    ## Why it matters
    The server exits at boot with `Attribute "application" not found in module "app.main"`.

    ## Example
    ```sh
    uvicorn app.main:application
    ```

    Use instead:
    ```sh
    uvicorn app.main:app
    ```
    """

    code = "MED602"
    name = "app-attribute-missing"
    severity = Severity.ERROR
    cause = Cause.IMPORT_ERROR


class AppObjectNotAsgi(_StartRule):
    """The start command serves an object that is not an ASGI application.

    ## What it does
    Checks for start commands whose attribute is a constant, or a WSGI app under an ASGI
    server.

    ## Why it matters
    Uvicorn does not validate the object: it starts, then every request fails with a 500
    and `TypeError: 'str' object is not callable` (or a WSGI call error).

    ## Example
    ```python
    from fastapi import FastAPI

    application = FastAPI()
    app = "application"
    ```

    Use instead:
    ```python
    from fastapi import FastAPI

    app = FastAPI()
    ```
    """

    code = "MED603"
    name = "app-object-not-asgi"
    severity = Severity.ERROR
    cause = Cause.IMPORT_ERROR


class AppFactoryWithoutFlag(_StartRule):
    """The start command serves an app factory without saying so.

    ## What it does
    Checks for start commands whose attribute is a function returning the app, without
    `--factory` (uvicorn), `factory()` syntax (gunicorn, hypercorn), or with `fastapi run`.

    ## Why it matters
    `fastapi run` refuses a factory ("doesn't seem to be a FastAPI app"); uvicorn guesses and
    logs a warning, and a `TypeError` raised inside the factory is then misreported.

    ## Example
    ```sh
    uvicorn app.main:create_app
    ```

    Use instead:
    ```sh
    uvicorn --factory app.main:create_app
    ```
    """

    code = "MED604"
    name = "app-factory-without-flag"
    severity = Severity.WARNING


class ServerBoundToLoopback(_StartRule):
    """A container or platform start command listens on 127.0.0.1 only.

    ## What it does
    Checks for production start commands whose host is loopback, given or by default
    (uvicorn, hypercorn, granian, daphne and `fastapi dev` default to 127.0.0.1).

    ## Why it matters
    Nothing outside the container reaches the server: `docker run -p` gives "connection
    reset", and platforms report that no port is open.

    ## Example
    ```dockerfile
    CMD ["uvicorn", "app.main:app", "--port", "8000"]
    ```

    Use instead:
    ```dockerfile
    CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    ```
    """

    code = "MED605"
    name = "server-bound-to-loopback"
    severity = Severity.ERROR
    cause = Cause.SERVER_PROCESS


class PortVariableUnexpanded(_StartRule):
    """An exec-form command passes `$PORT` to the server as literal text.

    ## What it does
    Checks for `$VAR` words in JSON-array `CMD`/`ENTRYPOINT` (and other shell-less commands).

    ## Why it matters
    Exec form runs no shell, so the server receives the string `$PORT` and exits with
    `Invalid value for '--port'`.

    ## Example
    ```dockerfile
    CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "$PORT"]
    ```

    Use instead:
    ```dockerfile
    CMD ["sh", "-c", "exec uvicorn app.main:app --host 0.0.0.0 --port ${PORT:-8000}"]
    ```
    """

    code = "MED606"
    name = "port-variable-unexpanded"
    severity = Severity.ERROR
    cause = Cause.SERVER_PROCESS


class PlatformPortIgnored(_StartRule):
    """The server listens on a port other than the one the platform routes to.

    ## What it does
    Checks for Heroku-style start commands (Procfile, app.yaml, Railway) that do not bind
    `$PORT`, and fly.toml apps listening on a port other than `internal_port`.

    ## Why it matters
    The platform waits for the port, then kills the app (Heroku R10 "failed to bind to
    $PORT within 60 seconds") or health checks fail.

    ## Example
    ```text
    web: uvicorn app.main:app --host 0.0.0.0 --port 8000
    ```

    Use instead:
    ```text
    web: uvicorn app.main:app --host 0.0.0.0 --port $PORT
    ```
    """

    code = "MED607"
    name = "platform-port-ignored"
    severity = Severity.ERROR
    cause = Cause.SERVER_PROCESS


class ReloadInProduction(_StartRule):
    """A production start command runs the development reloader.

    ## What it does
    Checks for `--reload`, `reload = True` or `fastapi dev` in deployment files.

    ## Why it matters
    The reloader watches the file system, runs a single worker, restarts on file changes
    and uses CPU for nothing; `fastapi dev` also binds 127.0.0.1.

    ## Example
    ```text
    web: uvicorn app.main:app --host 0.0.0.0 --port $PORT --reload
    ```

    Use instead:
    ```text
    web: uvicorn app.main:app --host 0.0.0.0 --port $PORT
    ```
    """

    code = "MED608"
    name = "reload-in-production"
    severity = Severity.WARNING
    cause = Cause.SERVER_PROCESS


class EntrypointsDisagree(_StartRule):
    """Two deployment files start different apps.

    ## What it does
    Checks for production start commands that resolve to different modules or attributes.

    ## Why it matters
    One environment runs code the other never loads: a bug fixed in one entrypoint stays in
    production, or a platform serves a stale module.

    ## Example
    ```text
    Dockerfile: uvicorn main:app
    Procfile:   uvicorn app.main:app
    ```

    Use instead:
    ```text
    Dockerfile: uvicorn app.main:app
    Procfile:   uvicorn app.main:app
    ```
    """

    code = "MED609"
    name = "entrypoints-disagree"
    severity = Severity.WARNING


class AppImportFailure(_StartRule):
    """Importing the app the way its start command does fails (with `--import`).

    ## What it does
    Checks for import strings whose real import, in a subprocess from the command's working
    directory, raises, hangs or yields no ASGI app.

    ## Why it matters
    The server dies at boot: a missing dependency, a settings error or a connection opened
    at import time stops the process before it binds its port.

    ## Example
    ```python
    import redis
    from fastapi import FastAPI

    cache = redis.Redis(host="cache").ping()
    app = FastAPI()
    ```

    Use instead:
    ```python
    from fastapi import FastAPI

    app = FastAPI()
    ```
    """

    code = "MED610"
    name = "app-import-failure"
    severity = Severity.ERROR
    cause = Cause.IMPORT_ERROR


class WsgiServerForAsgiApp(_StartRule):
    """A WSGI server or worker serves an ASGI app.

    ## What it does
    Checks for gunicorn without an ASGI worker class (including App Engine's default
    entrypoint) serving a FastAPI or Starlette app.

    ## Why it matters
    Every request fails with `TypeError: __call__() missing 1 required positional argument:
    'send'`.

    ## Example
    ```sh
    gunicorn app.main:app
    ```

    Use instead:
    ```sh
    gunicorn -k uvicorn_worker.UvicornWorker app.main:app
    ```
    """

    code = "MED611"
    name = "wsgi-server-for-asgi-app"
    severity = Severity.ERROR
    cause = Cause.SERVER_PROCESS


class _PythonRule(_EnvRule):
    tags = frozenset({"env", "python-version"})


class PythonVersionDiffers(_PythonRule):
    """The Python running here is not the one the project declares.

    ## What it does
    Checks for a running interpreter whose minor version differs from a pin, or that a
    range (`requires-python`, lock headers) excludes.

    ## Why it matters
    Syntax such as `X | None` or a stdlib name like `datetime.UTC` works on one minor and
    fails at import on another; wheels exist for some minors only.

    ## Example
    ```text
    .python-version: 3.11    running: 3.12.4
    ```

    Use instead:
    ```text
    .python-version: 3.12    running: 3.12.4
    ```
    """

    code = "MED620"
    name = "python-version-differs"
    severity = Severity.WARNING


class PythonVersionSourcesDisagree(_PythonRule):
    """Two files declare different Python versions.

    ## What it does
    Checks for disagreement between `.python-version`, `runtime.txt`, `requires-python`,
    Poetry's `python`, `Pipfile`, lock headers, `FROM python:X`, render.yaml, app.yaml and
    `.tool-versions`.

    ## Why it matters
    Local runs, CI, the image and the platform each pick a different interpreter, so a
    failure reproduces only in one of them.

    ## Example
    ```dockerfile
    # .python-version says 3.12
    FROM python:3.11-slim
    ```

    Use instead:
    ```dockerfile
    # .python-version says 3.12
    FROM python:3.12-slim
    ```
    """

    code = "MED621"
    name = "python-version-sources-disagree"
    severity = Severity.WARNING


class PythonVersionYamlFloat(_PythonRule):
    """A YAML file writes a Python version as an unquoted number.

    ## What it does
    Checks for unquoted version-like values such as `3.10` in YAML deployment files.

    ## Why it matters
    YAML reads `3.10` as the float 3.1, so the platform installs Python 3.1 (or fails).

    ## Example
    ```yaml
    envVars:
      - key: PYTHON_VERSION
        value: 3.10
    ```

    Use instead:
    ```yaml
    envVars:
      - key: PYTHON_VERSION
        value: "3.10"
    ```
    """

    code = "MED622"
    name = "python-version-yaml-float"
    severity = Severity.ERROR


class PythonVersionUnpinned(_PythonRule):
    """A platform deployment does not pin the Python version.

    ## What it does
    Checks for Procfile, render.yaml or railway projects with no `.python-version`,
    `runtime.txt` or `PYTHON_VERSION`.

    ## Why it matters
    The platform's default Python changes without notice, and the next deploy runs on a
    version you never tested.

    ## Example
    ```text
    Procfile   requirements.txt   (no .python-version)
    ```

    Use instead:
    ```text
    Procfile   requirements.txt   .python-version (3.12)
    ```
    """

    code = "MED623"
    name = "python-version-unpinned"
    severity = Severity.INFO


class _PackageRule(_EnvRule):
    tags = frozenset({"env", "packages"})
    cause = Cause.IMPORT_ERROR


class DeclaredPackageMissing(_PackageRule):
    """A distribution the project declares or locks is not installed here.

    ## What it does
    Checks for distributions that requirements files or lock files (uv.lock, poetry.lock,
    pdm.lock, Pipfile.lock, pylock.toml) list for this machine but that are not installed.

    ## Why it matters
    The environment is not the one the lock describes, so what you test is not what ships.

    ## Example
    ```text
    requirements.txt: httpx==0.28.1    installed: (none)
    ```

    Use instead:
    ```text
    requirements.txt: httpx==0.28.1    installed: httpx 0.28.1
    ```
    """

    code = "MED630"
    name = "declared-package-missing"
    severity = Severity.ERROR


class InstalledVersionDiffers(_PackageRule):
    """An installed distribution's version is not the one the project declares.

    ## What it does
    Checks for installed versions that a lock pin or a requirement specifier excludes.

    ## Why it matters
    Behaviour differs between the version you run and the version production installs.

    ## Example
    ```text
    requirements.txt: fastapi==0.115.6    installed: fastapi 0.110.0
    ```

    Use instead:
    ```text
    requirements.txt: fastapi==0.115.6    installed: fastapi 0.115.6
    ```
    """

    code = "MED631"
    name = "installed-version-differs"
    severity = Severity.WARNING


class ImportUndeclared(_PackageRule):
    """The code imports a module that no declared distribution provides.

    ## What it does
    Checks for imports of the project's code that no declared distribution provides,
    mapping import names to distribution names (`yaml` is PyYAML, `jwt` is PyJWT).

    ## Why it matters
    It works here because the module is installed here, by hand or as a dependency of
    something else; production installs only what is declared and fails with
    `ModuleNotFoundError` at boot.

    ## Example
    ```python
    import jwt
    ```

    Use instead:
    ```text
    requirements.txt: PyJWT==2.10.1
    ```
    """

    code = "MED632"
    name = "import-undeclared"
    severity = Severity.ERROR


class OptionalDependencyMissing(_PackageRule):
    """The code uses a FastAPI feature whose extra package is not declared.

    ## What it does
    Checks for `Form`/`File`/`UploadFile` without python-multipart, `EmailStr` without
    email-validator, WebSocket routes without websockets or wsproto, and `Jinja2Templates`
    without jinja2.

    ## Why it matters
    FastAPI discovers the need at import or request time: `Form data requires
    "python-multipart" to be installed`, or websocket upgrades fail.

    ## Example
    ```python
    from fastapi import FastAPI, Form

    app = FastAPI()


    @app.post("/login")
    def login(user: str = Form()) -> str:
        return user
    ```

    Use instead:
    ```text
    requirements.txt: python-multipart==0.0.20
    ```
    """

    code = "MED633"
    name = "optional-dependency-missing"
    severity = Severity.ERROR


class PlatformOnlyPin(_PackageRule):
    """A requirement installs only on Windows or macOS and has no marker.

    ## What it does
    Checks for `pywin32`, `pywinpty`, `pyobjc` and similar pins without an environment
    marker.

    ## Why it matters
    A `pip freeze` taken on Windows pins them, and the Linux image build fails with "No
    matching distribution found".

    ## Example
    ```text
    pywin32==306
    ```

    Use instead:
    ```text
    pywin32==306; sys_platform == "win32"
    ```
    """

    code = "MED634"
    name = "platform-only-pin"
    severity = Severity.ERROR


class Psycopg2SourceBuild(_PackageRule):
    """The project requires `psycopg2`, which compiles from source.

    ## What it does
    Checks for `psycopg2` (not `psycopg2-binary`) in the requirements.

    ## Why it matters
    Slim and alpine images have no compiler or `pg_config`, so the build stops with
    "pg_config executable not found".

    ## Example
    ```text
    psycopg2==2.9.10
    ```

    Use instead:
    ```text
    psycopg2-binary==2.9.10
    ```
    """

    code = "MED635"
    name = "psycopg2-source-build"
    severity = Severity.WARNING


class _VariableRule(_EnvRule):
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


class ConfigUnparsable(_EnvRule):
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
