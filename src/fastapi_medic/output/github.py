"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` per finding.

GitHub shows each as an annotation on the pull request's diff. Paths are written as the
report holds them (relative to the report's root), so the workflow should run fastapi-medic
from the repository root.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TextIO

from fastapi_medic.findings import Finding, Report, Severity
from fastapi_medic.output._base import WriteOptions

__all__ = ["annotation", "write_github"]

_COMMAND: dict[Severity, str] = {
    Severity.INFO: "notice",
    Severity.WARNING: "warning",
    Severity.ERROR: "error",
    Severity.CRITICAL: "error",
}


def write_github(report: Report, stream: TextIO, /, *, options: WriteOptions) -> None:
    """Write one workflow command per finding of ``report``, in report order."""
    for finding in report.findings:
        stream.write(annotation(finding, show_fixes=options.show_fixes) + "\n")


def annotation(finding: Finding, *, show_fixes: bool = True) -> str:
    """The workflow command that annotates ``finding``.

    The message carries the fix and the chain on lines of their own; GitHub shows them under
    the message.
    """
    properties: list[tuple[str, str]] = []
    location = finding.location
    if location is not None:
        properties += [
            ("file", PurePath(location.path).as_posix()),
            ("line", str(location.line)),
            ("col", str(location.column + 1)),
        ]
        if location.end_line is not None:
            properties.append(("endLine", str(location.end_line)))
        if location.end_column is not None:
            properties.append(("endColumn", str(location.end_column + 1)))
    properties.append(("title", f"{finding.code} ({finding.name})"))

    message = finding.message
    if location is None and finding.subject:
        message = f"{finding.subject}: {message}"
    lines = [message]
    if show_fixes and finding.fix:
        lines.append(f"Fix: {finding.fix}")
    if finding.chain:
        lines.append("↳ " + " → ".join(str(frame) for frame in finding.chain))

    props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    body = _escape_data("\n".join(lines))
    return f"::{_COMMAND[finding.severity]} {props}::{body}"


def _escape_data(text: str) -> str:
    # The rules of @actions/core's escapeData: "%" first, so the escapes are not escaped again.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # escapeProperty: as data, plus the separators of the property list.
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
