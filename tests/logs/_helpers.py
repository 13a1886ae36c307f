"""Helpers of the log-triage tests: the samples directory and a compact view of findings."""

from __future__ import annotations

from pathlib import Path

from fastapi_medic.findings import Finding

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> Path:
    """The path of one sample log."""
    path = SAMPLES / name
    assert path.is_file(), f"missing sample {name}"
    return path


def brief(finding: Finding) -> tuple[str, object, object, object]:
    """``(code, pattern, count, user frame)``: what a sample's expectation states."""
    ev = finding.evidence
    return (finding.code, ev.get("pattern"), ev.get("count"), ev.get("user_frame"))
