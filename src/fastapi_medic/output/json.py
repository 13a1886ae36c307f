"""Stable, versioned JSON: every field of every finding, in a fixed key order.

The format is described by ``report.schema.json`` next to this module (JSON Schema draft
2020-12). ``version`` changes only when a field changes meaning or disappears; new fields may
appear within a version.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TextIO

from fastapi_medic.findings import Finding, Fix, Location, Report
from fastapi_medic.output._base import TOOL_NAME, WriteOptions, json_figures, severity_label

__all__ = ["FORMAT_VERSION", "load_schema", "report_to_dict", "write_json"]

#: The ``version`` field of the document.
FORMAT_VERSION = 1

_SCHEMA = "report.schema.json"


def write_json(report: Report, stream: TextIO, /, *, options: WriteOptions) -> None:
    """Write ``report`` as a JSON document (indented, UTF-8 text, trailing newline)."""
    json.dump(
        report_to_dict(report, tool_version=options.tool_version),
        stream,
        ensure_ascii=False,
        indent=2,
        allow_nan=False,
    )
    stream.write("\n")


def report_to_dict(report: Report, *, tool_version: str) -> dict[str, Any]:
    """The JSON document for ``report`` as plain Python data, keys in output order."""
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "command": report.command,
        "root": report.root,
        "findings": [_finding(finding) for finding in report.findings],
        "silenced": report.silenced,
        "files": report.files,
        "duration": round(report.duration, 3),
        "summary": json_figures(report.summary),
    }


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the document :func:`write_json` writes."""
    text = resources.files("fastapi_medic.output").joinpath(_SCHEMA).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": severity_label(finding.severity),
        "message": finding.message,
        "fix": finding.fix,
        "location": _location(finding.location),
        "subject": finding.subject,
        "chain": [
            {"label": frame.label, "path": frame.path, "line": frame.line}
            for frame in finding.chain
        ],
        "source": finding.source.value,
        "cause": None if finding.cause is None else finding.cause.value,
        "evidence": json_figures(finding.evidence),
        "autofix": _autofix(finding.autofix),
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
    }


def _autofix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability.value,
        "edits": [
            {
                "path": edit.path,
                "line": edit.line,
                "column": edit.column,
                "end_line": edit.end_line,
                "end_column": edit.end_column,
                "content": edit.content,
            }
            for edit in fix.edits
        ],
    }
