"""Writers that render a :class:`~fastapi_medic.findings.Report` in one output format.

Writers know only findings and the registry; they never decide exit codes and never print
anywhere but the stream they are given.

>>> write(report, "json", sys.stdout, WriteOptions(tool_version="0.1.0"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TextIO

from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Report
from fastapi_medic.output._base import WriteOptions, Writer
from fastapi_medic.output.github import write_github
from fastapi_medic.output.html import write_html
from fastapi_medic.output.json import write_json
from fastapi_medic.output.sarif import write_sarif
from fastapi_medic.output.text import write_text

__all__ = ["WRITERS", "WriteOptions", "Writer", "write"]

#: Output format name -> writer, in the order ``--format`` lists them.
WRITERS: dict[str, Writer] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
    "html": write_html,
}


def write(report: Report, fmt: str, stream: TextIO, options: WriteOptions) -> None:
    """Write ``report`` to ``stream`` in the format named ``fmt``.

    Raises:
        UsageError: ``fmt`` names no output format.
    """
    writer = WRITERS.get(fmt)
    if writer is None:
        valid = ", ".join(WRITERS)
        raise UsageError(f"unknown output format {fmt!r}; use one of: {valid}")
    writer(report, stream, options=options)
