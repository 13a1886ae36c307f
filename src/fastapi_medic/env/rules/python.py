"""Python versions (MED620-629)."""

from __future__ import annotations

from fastapi_medic.env.rules._base import EnvRule
from fastapi_medic.findings import Severity

__all__ = [
    "PythonVersionDiffers",
    "PythonVersionSourcesDisagree",
    "PythonVersionUnpinned",
    "PythonVersionYamlFloat",
]


class _PythonRule(EnvRule):
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
