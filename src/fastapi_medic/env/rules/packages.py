"""Packages against the lock file and the imports (MED630-639)."""

from __future__ import annotations

from fastapi_medic.env.rules._base import EnvRule
from fastapi_medic.findings import Cause, Severity

__all__ = [
    "DeclaredPackageMissing",
    "ImportUndeclared",
    "InstalledVersionDiffers",
    "OptionalDependencyMissing",
    "PlatformOnlyPin",
    "Psycopg2SourceBuild",
]


class _PackageRule(EnvRule):
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
