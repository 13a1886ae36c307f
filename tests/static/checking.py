"""Helpers of the static tests: write a small project, check it, and read the findings."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fastapi_medic.config import Config
from fastapi_medic.findings import Finding, Report
from fastapi_medic.static import check_paths

#: Test-only rules registered by other test modules (tests/output/test_sarif.py).
TEST_CODES = frozenset(f"MED{n}" for n in range(190, 200))


def write(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text, dedented, or bytes) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def config(root: Path, *select: str, **settings: Any) -> Config:
    """A configuration selecting ``select`` (default ``ALL``), in one process."""
    settings.setdefault("max_workers", 1)
    return Config(root=root, select=select or ("ALL",), **settings)


def check(root: Path, *select: str, use_cache: bool = False, **settings: Any) -> Report:
    """Run ``check_paths`` on the project at ``root``."""
    return check_paths([root], config(root, *select, **settings), use_cache=use_cache)


def lines(findings: Iterable[Finding], code: str | None = None) -> set[tuple[str, str, int]]:
    """``(code, path, line)`` of each finding (of ``code`` only, when given)."""
    out = set()
    for finding in findings:
        if code is not None and finding.code != code:
            continue
        assert finding.location is not None
        out.add((finding.code, finding.location.path, finding.location.line))
    return out


def codes(findings: Iterable[Finding]) -> set[str]:
    """The codes of ``findings``."""
    return {finding.code for finding in findings}
