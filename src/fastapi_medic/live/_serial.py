"""Findings as JSON and back, to cross the pipe from the child process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi_medic.findings import Cause, Finding, Frame, Location, Severity, Source

__all__ = ["finding_from_json", "finding_to_json"]


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """A JSON-ready mapping of ``finding`` (without its autofix: live findings have none)."""
    loc = finding.location
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": int(finding.severity),
        "message": finding.message,
        "fix": finding.fix,
        "location": None
        if loc is None
        else [loc.path, loc.line, loc.column, loc.end_line, loc.end_column],
        "subject": finding.subject,
        "chain": [[f.label, f.path, f.line] for f in finding.chain],
        "source": finding.source.value,
        "cause": finding.cause.value if finding.cause else None,
        "evidence": dict(finding.evidence),
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    """The inverse of :func:`finding_to_json`."""
    loc = data.get("location")
    return Finding(
        code=str(data["code"]),
        name=str(data["name"]),
        severity=Severity(int(data["severity"])),
        message=str(data["message"]),
        fix=data.get("fix"),
        location=None if loc is None else Location(*loc),
        subject=data.get("subject"),
        chain=tuple(Frame(str(label), path, line) for label, path, line in data.get("chain", ())),
        source=Source(data.get("source", "live")),
        cause=Cause(data["cause"]) if data.get("cause") else None,
        evidence=dict(data.get("evidence") or {}),
    )
