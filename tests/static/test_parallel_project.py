"""The project-wide rules give the same findings whether they run in one process or are
split over two (the split is used on large projects with several workers)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fastapi_medic import static
from fastapi_medic.config import Config

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def _check(workers: int) -> list[tuple[str, str, int]]:
    config = dataclasses.replace(Config(root=SHOP), max_workers=workers)
    report = static.check_paths([SHOP], config, use_cache=False)
    return sorted(
        (f.code, f.location.path if f.location else "", f.location.line if f.location else 0)
        for f in report.findings
    )


def test_split_project_phase_reports_what_one_process_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alone = _check(1)
    monkeypatch.setattr(static, "_PARALLEL_PROJECT_FILES", 0)

    split = _check(2)

    assert split == alone
    assert {code[:4] for code, _, _ in alone} >= {"MED1", "MED2", "MED3", "MED4", "MED5"}
