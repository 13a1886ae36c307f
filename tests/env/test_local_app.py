"""The app as the deployment starts it, importable from the project directory."""

from __future__ import annotations

from pathlib import Path

from fastapi_medic.env import check

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_summary_names_the_deployed_app_when_a_start_command_resolves_locally() -> None:
    report = check(SHOP, environ={})

    assert report.summary["app"] == "app.main:app"


def test_summary_names_no_app_when_no_start_command_resolves(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: uvicorn server:app --host 0.0.0.0\n", "utf-8")

    report = check(tmp_path, environ={})

    assert "app" not in report.summary


def test_package_module_is_named_without_init_when_the_app_lives_in_it(tmp_path: Path) -> None:
    package = tmp_path / "service"
    package.mkdir()
    (package / "__init__.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n", "utf-8")
    (tmp_path / "Procfile").write_text("web: uvicorn service:app --host 0.0.0.0\n", "utf-8")

    report = check(tmp_path, environ={})

    assert report.summary["app"] == "service:app"
