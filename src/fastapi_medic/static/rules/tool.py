"""MED9xx: files fastapi-medic could not analyse, and suppressions that do nothing."""

from __future__ import annotations

from fastapi_medic.findings import Cause, Severity
from fastapi_medic.static.walker import StaticRule

__all__ = ["RuleFailed", "UnparsableFile", "UnreadableFile", "UnusedNoqa"]


class UnparsableFile(StaticRule):
    """A Python file that fastapi-medic could not parse.

    ## What it does
    Checks for files that are not valid Python: syntax errors, an undecodable encoding, or
    NUL bytes.

    ## Why it matters
    A file that does not parse is not analysed, so every other rule is silent about it. If the
    application imports it, the process fails at start-up with a `SyntaxError`; if nothing
    imports it, it is dead weight that hides in reviews.

    ## Example
    ```python
    def handler(:
        return 1
    ```

    Use instead:
    ```python
    def handler():
        return 1
    ```
    """

    code = "MED901"
    name = "unparsable-file"
    severity = Severity.ERROR
    cause = Cause.TOOL


class UnreadableFile(StaticRule):
    """A file that fastapi-medic could not read or that is too large to analyse.

    ## What it does
    Checks for Python files that cannot be read (permissions, a broken link) or that exceed
    `max-file-bytes`.

    ## Why it matters
    The file is skipped, so no rule sees its code. Generated files of many megabytes are
    better excluded explicitly with `exclude`.

    ## Example
    ```python
    # a 40 MB generated module
    TABLE = [0, 1, 2]
    ```

    Use instead:
    ```toml
    [tool.fastapi-medic]
    exclude = ["app/generated/"]
    ```

    ## Options
    - `max-file-bytes` (default 10000000): larger files are reported and skipped.
    - `exclude`: gitignore-style patterns of files not to check.
    """

    code = "MED902"
    name = "unreadable-file"
    severity = Severity.WARNING
    cause = Cause.TOOL


class UnusedNoqa(StaticRule):
    """A `# noqa` comment that suppresses nothing.

    ## What it does
    Checks for `# noqa: MEDxxx` comments whose codes match no finding on their line.

    ## Why it matters
    A stale suppression outlives the code it was written for and will silently hide the next
    real problem on that line.

    ## Example
    ```python
    import time


    def pause() -> None:
        time.sleep(1)  # noqa: MED101
    ```

    Use instead:
    ```python
    import time


    def pause() -> None:
        time.sleep(1)
    ```
    """

    code = "MED903"
    name = "unused-noqa"
    severity = Severity.INFO
    cause = Cause.TOOL
    preview = True


class RuleFailed(StaticRule):
    """A rule that stopped with an error of fastapi-medic's own.

    ## What it does
    Checks for rules that raised an exception while checking this project. The other rules
    still run and report; this finding says which results are missing.

    ## Why it matters
    A crash in one rule must not hide every other finding, and it must not pass silently
    either: the project was only partly checked. Run again with `--debug` for the
    traceback and report it; the message names the rule and the error.

    ## Example
    ```text
    # any code that makes a rule fail
    ```

    Use instead:
    ```text
    # the same code, once the rule is fixed
    ```
    """

    code = "MED904"
    name = "rule-failed"
    severity = Severity.ERROR
    cause = Cause.TOOL
