"""Helpers shared by the environment tests."""

from __future__ import annotations

from pathlib import Path

from fastapi_medic.env import check
from fastapi_medic.findings import Finding

PROJECTS = Path(__file__).parent / "projects"
LOCKS = Path(__file__).parent / "locks"


def findings(project: Path, prefix: str = "MED6", **kwargs: object) -> list[Finding]:
    """The findings of ``env check`` on ``project`` whose code starts with ``prefix``.

    The process environment is left out (``environ={}``) so the shell running the tests
    cannot change the result.
    """
    kwargs.setdefault("environ", {})
    report = check(project, **kwargs)  # type: ignore[arg-type]
    return [f for f in report.findings if f.code.startswith(prefix)]


def where(found: list[Finding]) -> set[tuple[str, str, int]]:
    """(code, path, line) of each finding; the subject stands in for a missing location."""
    return {
        (
            f.code,
            f.location.path if f.location else str(f.subject),
            f.location.line if f.location else 0,
        )
        for f in found
    }
