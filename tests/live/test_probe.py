"""``probe`` (run by ``doctor``): import, start and call the app's simple GET routes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_medic.errors import AppImportError
from fastapi_medic.findings import Location
from fastapi_medic.live import probe

AppDir = Callable[[str], Path]
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def _codes(findings: object) -> set[tuple[str, str | None]]:
    return {(f.code, f.subject) for f in findings}  # type: ignore[attr-defined]


def test_reports_5xx_routes_with_the_user_frame_when_routes_fail(app_dir: AppDir) -> None:
    report = probe(app_dir("failing"), requests=6)

    assert {("MED852", "GET /users/me"), ("MED853", "GET /profile")} <= _codes(report.findings)
    failing = next(f for f in report.findings if f.code == "MED852")
    assert failing.location == Location("main.py", 42)
    assert report.summary["routes"] == 3
    assert report.summary["requests"] == 6


def test_reports_nothing_of_its_own_when_every_route_answers(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef index() -> dict[str, int]:\n    return {'ok': 1}\n",
        encoding="utf-8",
    )

    report = probe(tmp_path, requests=3)

    assert report.findings == ()
    assert report.summary["requests"] == 3


def test_reports_an_import_failure_at_the_user_frame_when_the_app_cannot_import(
    app_dir: AppDir,
) -> None:
    report = probe(app_dir("broken_import"))

    assert [f.code for f in report.findings] == ["MED850"]
    assert report.findings[0].location == Location("main.py", 9)
    assert "KeyError" in report.findings[0].message


def test_reports_a_startup_failure_when_the_lifespan_raises(app_dir: AppDir) -> None:
    report = probe(app_dir("broken_startup"))

    assert [f.code for f in report.findings] == ["MED851"]
    assert report.findings[0].location == Location("main.py", 16)


def test_reports_a_hang_with_the_blocking_frame_when_a_route_never_answers(
    app_dir: AppDir,
) -> None:
    report = probe(app_dir("hanging"), timeout=3)

    hangs = [f for f in report.findings if f.code == "MED854"]
    assert len(hangs) == 1
    assert hangs[0].subject == "GET /report"
    assert hangs[0].location == Location("main.py", 13)


def test_raises_app_import_error_when_no_app_is_found(tmp_path: Path) -> None:
    with pytest.raises(AppImportError, match="no app found"):
        probe(tmp_path)


def test_finds_the_example_shops_leaking_sessions_when_probing_it(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop, ignore=shutil.ignore_patterns("__pycache__", "shop.db"))

    report = probe(shop, requests=30)

    assert report.summary["app"] == "app.main:app"
    assert report.summary["runtime_probes"] is True
    assert report.summary["routes"] == 7
    leak_paths = {f.location.path for f in report.findings if f.code == "MED721" and f.location}
    assert "app/repositories/orders.py" in leak_paths
    assert not [f for f in report.findings if f.code.startswith("MED85")]


def test_masks_secrets_of_error_messages_when_a_route_fails(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef index() -> None:\n"
        "    raise RuntimeError('login failed: token=planted-token-789')\n",
        encoding="utf-8",
    )

    report = probe(tmp_path, requests=2)

    assert [f.code for f in report.findings] == ["MED852"]
    assert "planted-token-789" not in str(report)


def test_reports_a_hang_at_import_when_the_module_never_finishes_importing(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.py").write_text(
        "import time\n\nfrom fastapi import FastAPI\n\ntime.sleep(600)\napp = FastAPI()\n",
        encoding="utf-8",
    )

    report = probe(tmp_path, timeout=2)

    assert [(f.code, f.subject) for f in report.findings] == [("MED854", "import")]
    assert report.findings[0].location == Location("main.py", 5)
