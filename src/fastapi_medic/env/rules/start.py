"""How the app is started (MED601-619)."""

from __future__ import annotations

from fastapi_medic.env.rules._base import StartRule
from fastapi_medic.findings import Cause, Severity

__all__ = [
    "AppAttributeMissing",
    "AppFactoryWithoutFlag",
    "AppImportFailure",
    "AppModuleUnresolvable",
    "AppObjectNotAsgi",
    "EntrypointsDisagree",
    "PlatformPortIgnored",
    "PortVariableUnexpanded",
    "ReloadInProduction",
    "ServerBoundToLoopback",
    "WsgiServerForAsgiApp",
]


class AppModuleUnresolvable(StartRule):
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


class AppAttributeMissing(StartRule):
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


class AppObjectNotAsgi(StartRule):
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


class AppFactoryWithoutFlag(StartRule):
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


class ServerBoundToLoopback(StartRule):
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


class PortVariableUnexpanded(StartRule):
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


class PlatformPortIgnored(StartRule):
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


class ReloadInProduction(StartRule):
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


class EntrypointsDisagree(StartRule):
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


class AppImportFailure(StartRule):
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


class WsgiServerForAsgiApp(StartRule):
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
