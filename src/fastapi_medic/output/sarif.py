"""SARIF 2.1.0 for code-scanning services, with rule metadata taken from the registry.

Each rule's documentation (its docstring) becomes the help text of its reporting descriptor,
so GitHub code scanning shows the same text as ``fastapi-medic rules CODE``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import PurePath
from typing import Any, TextIO
from urllib.parse import quote

from fastapi_medic.findings import Finding, Fix, Frame, Location, Report, Severity
from fastapi_medic.output._base import (
    TOOL_NAME,
    TOOL_URI,
    WriteOptions,
    fix_sentence,
    json_figures,
    severity_label,
)
from fastapi_medic.registry import Rule, all_rules

__all__ = ["SARIF_SCHEMA", "report_to_sarif", "write_sarif"]

#: The OASIS errata 01 schema that the output conforms to.
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_SRCROOT = "%SRCROOT%"
_FINGERPRINT = "fastapiMedic/v1"

_LEVEL: dict[Severity, str] = {
    Severity.INFO: "note",
    Severity.WARNING: "warning",
    Severity.ERROR: "error",
    Severity.CRITICAL: "error",
}


def write_sarif(report: Report, stream: TextIO, /, *, options: WriteOptions) -> None:
    """Write ``report`` as a SARIF 2.1.0 log with one run.

    The driver lists ``options.rules``, or every registered rule when that is ``None``.
    """
    log = report_to_sarif(report, options=options)
    json.dump(log, stream, ensure_ascii=False, indent=2, allow_nan=False)
    stream.write("\n")


def report_to_sarif(report: Report, *, options: WriteOptions) -> dict[str, Any]:
    """The SARIF log for ``report`` as plain Python data."""
    rules = all_rules() if options.rules is None else list(options.rules)
    descriptors = [_descriptor(rule) for rule in rules]
    index = {rule.code: i for i, rule in enumerate(rules)}
    for finding in report.findings:
        # A code missing from the registry (catalog not imported) still gets a descriptor,
        # so every ruleIndex points at a real entry.
        if finding.code not in index:
            index[finding.code] = len(descriptors)
            descriptors.append(_bare_descriptor(finding))
    root = _root_path(report.root)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": options.tool_version,
                        "informationUri": TOOL_URI,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {_SRCROOT: {"uri": _root_uri(root)}},
                "columnKind": "unicodeCodePoints",
                "results": [
                    _result(finding, index[finding.code], root, options.show_fixes)
                    for finding in report.findings
                ],
                "properties": {
                    "command": report.command,
                    "files": report.files,
                    "silenced": report.silenced,
                    "summary": json_figures(report.summary),
                },
            }
        ],
    }


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    doc = rule.doc()
    short = doc.summary or doc.what or rule.name
    full = "\n\n".join(part for part in (doc.what, doc.sections.get("Why it matters", "")) if part)
    markdown = doc.markdown if doc.markdown.strip() else f"{short}\n"
    tags = sorted(rule.tags | {rule.source.value})
    properties: dict[str, Any] = {"tags": tags, "preview": rule.preview}
    if rule.cause is not None:
        properties["cause"] = rule.cause.value
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full or short},
        "help": {"text": markdown, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity], "enabled": not rule.preview},
        "properties": properties,
    }


def _bare_descriptor(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.code,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
    }


def _result(finding: Finding, rule_index: int, root: str, show_fixes: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": fix_sentence(finding) if show_fixes else finding.message},
        "locations": [] if finding.location is None else [_location(finding.location, root)],
        "partialFingerprints": {_FINGERPRINT: _fingerprint(finding)},
    }
    if finding.chain:
        result["codeFlows"] = [
            {"threadFlows": [{"locations": [_flow_step(frame, root) for frame in finding.chain]}]}
        ]
    if finding.autofix is not None and finding.autofix.edits:
        result["fixes"] = [_fix(finding.autofix, finding.fix, root)]
    properties: dict[str, Any] = {
        "severity": severity_label(finding.severity),
        "source": finding.source.value,
    }
    if finding.subject is not None:
        properties["subject"] = finding.subject
    if finding.cause is not None:
        properties["cause"] = finding.cause.value
    if finding.evidence:
        properties["evidence"] = json_figures(finding.evidence)
    result["properties"] = properties
    return result


def _location(location: Location, root: str) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": location.line, "startColumn": location.column + 1}
    if location.end_line is not None:
        region["endLine"] = location.end_line
    if location.end_column is not None:
        region["endColumn"] = location.end_column + 1
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(location.path, root),
            "region": region,
        }
    }


def _flow_step(frame: Frame, root: str) -> dict[str, Any]:
    location: dict[str, Any] = {"message": {"text": frame.label}}
    if frame.path is not None:
        physical: dict[str, Any] = {"artifactLocation": _artifact(frame.path, root)}
        if frame.line is not None:
            physical["region"] = {"startLine": frame.line}
        location["physicalLocation"] = physical
    return {"location": location}


def _fix(fix: Fix, description: str | None, root: str) -> dict[str, Any]:
    by_path: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        by_path.setdefault(edit.path, []).append(
            {
                "deletedRegion": {
                    "startLine": edit.line,
                    "startColumn": edit.column + 1,
                    "endLine": edit.end_line,
                    "endColumn": edit.end_column + 1,
                },
                "insertedContent": {"text": edit.content},
            }
        )
    sarif_fix: dict[str, Any] = {
        "artifactChanges": [
            {"artifactLocation": _artifact(path, root), "replacements": replacements}
            for path, replacements in by_path.items()
        ],
        "properties": {"applicability": fix.applicability.value},
    }
    if description:
        sarif_fix["description"] = {"text": description}
    return sarif_fix


def _artifact(path: str, root: str) -> dict[str, str]:
    pure = PurePath(path)
    if not pure.is_absolute():
        return {"uri": _quote(pure.as_posix()), "uriBaseId": _SRCROOT}
    base = PurePath(root)
    if pure.is_relative_to(base):
        return {"uri": _quote(pure.relative_to(base).as_posix()), "uriBaseId": _SRCROOT}
    return {"uri": pure.as_uri()}


def _quote(posix: str) -> str:
    return quote(posix, safe="/")


def _root_path(root: str) -> str:
    # abspath, not resolve: the report's root is kept as the user named it, symlinks included.
    return os.path.abspath(root or ".")


def _root_uri(root: str) -> str:
    uri = PurePath(root).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _fingerprint(finding: Finding) -> str:
    # The line is left out so the fingerprint survives edits above the finding.
    if finding.location is not None:
        where = PurePath(finding.location.path).as_posix()
    else:
        where = finding.subject or ""
    text = "\0".join((finding.code, where, finding.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
