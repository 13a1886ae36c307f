"""``fastapi-medic load``: bounds, formats, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ._projects import invoke

APPS = Path(__file__).resolve().parents[1] / "live" / "apps"


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    target = tmp_path / "leaky"
    shutil.copytree(APPS / "leaky", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_exit_1_with_stalls_and_leaks_when_routes_misbehave(leaky: Path) -> None:
    result = invoke("load", leaky, "--requests", "9", "--concurrency", "3")

    assert result.exit_code == 1, result.output
    assert "load: 9 requests, concurrency 3" in result.stdout
    assert "  GET /slow  Event loop blocked for" in result.stdout
    assert "  GET /report  Session used by GET /report is never closed" in result.stdout


def test_exit_0_when_the_loaded_route_is_clean(leaky: Path) -> None:
    result = invoke("load", leaky, "--route", "/items", "--requests", "5", "--server", "uvicorn")

    assert result.exit_code == 0, result.output
    assert "uvicorn on 127.0.0.1:" in result.stdout


def test_writes_measurements_and_findings_when_format_is_json(leaky: Path) -> None:
    result = invoke("load", leaky, "--requests", "9", "--concurrency", "3", "--format", "json")

    data = json.loads(result.stdout)
    assert data["requests"] == 9
    assert {r["route"] for r in data["routes"]} == {"GET /items", "GET /report", "GET /slow"}
    assert {"MED721", "MED730"} <= {f["code"] for f in data["findings"]}, data["findings"]


def test_writes_a_self_contained_page_when_format_is_html(leaky: Path, tmp_path: Path) -> None:
    page = tmp_path / "load.html"

    result = invoke("load", leaky, "--requests", "6", "--format", "html", "-o", page)

    assert result.exit_code == 1, result.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "<svg" in text
    assert "<script" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--requests", "10001"], "Invalid value for '--requests'"),
        (["--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["--duration", "1000"], "Invalid value for '--duration'"),
    ],
)
def test_exit_2_when_a_bound_is_exceeded(leaky: Path, args: list[str], message: str) -> None:
    result = invoke("load", leaky, *args)

    assert result.exit_code == 2
    assert message in result.output


def test_exit_2_with_one_line_when_no_app_is_found(tmp_path: Path) -> None:
    result = invoke("load", tmp_path)

    assert result.exit_code == 2
    assert "error: no app found in" in result.output
    assert "Traceback" not in result.output


def test_exit_1_with_errors_by_cause_when_routes_fail_under_load(tmp_path: Path) -> None:
    shutil.copytree(APPS / "failing", tmp_path / "failing")

    result = invoke("load", tmp_path / "failing", "--requests", "6", "--format", "json")

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert {e["cause"] for e in data["errors"]} == {"KeyError", "ResponseValidationError"}
    assert {f["subject"] for f in data["findings"] if f["code"] == "MED855"} == {
        "GET /users/me",
        "GET /profile",
    }
