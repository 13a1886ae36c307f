"""fastapi-medic checks its own source and finds nothing, preview rules included."""

from __future__ import annotations

from pathlib import Path

from fastapi_medic import check_paths
from fastapi_medic.catalog import load_catalog
from fastapi_medic.config import load_config

SOURCE = Path(__file__).resolve().parents[1] / "src" / "fastapi_medic"


def test_own_source_has_no_findings() -> None:
    preview = tuple(rule.code for rule in load_catalog() if rule.preview)
    config = load_config(SOURCE, overrides={"extend_select": preview})

    report = check_paths([SOURCE], config, use_cache=False)

    assert report.findings == ()
    assert report.silenced == 0
    assert report.files >= len(list(SOURCE.rglob("*.py")))
