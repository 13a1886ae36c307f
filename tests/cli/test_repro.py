"""``fastapi-medic repro``: the request on the command line, exit codes, text and JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._projects import invoke

APPS = Path(__file__).resolve().parents[1] / "live" / "apps"


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    target = tmp_path / "failing"
    shutil.copytree(APPS / "failing", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_exit_1_with_traceback_and_verdict_when_the_request_fails(failing: Path) -> None:
    result = invoke("repro", "--path", failing, "GET", "/profile", "--bisect")

    assert result.exit_code == 1, result.output
    assert "status: 500 Internal Server Error" in result.stdout
    assert "  > main.py:57 in profile" in result.stdout
    assert "failing part: response model `UserOut` validation of field `email`" in result.stdout


def test_exit_0_when_the_request_passes(failing: Path) -> None:
    result = invoke("repro", "--path", failing, "curl -s http://localhost:8000/health")

    assert result.exit_code == 0, result.output
    assert "status: 200 OK" in result.stdout


def test_reads_curl_options_after_method_and_path_when_given_as_arguments(failing: Path) -> None:
    result = invoke(
        "repro", "--path", failing, "POST", "/orders/average", "--json", "[]", "--bisect"
    )

    assert result.exit_code == 1, result.output
    assert "failing part: endpoint body (`average`)" in result.stdout


def test_writes_findings_in_the_shared_model_when_format_is_json(failing: Path) -> None:
    result = invoke(
        "repro", "--format", "json", "--path", failing,
        "GET /users/me -H 'Authorization: Bearer bob'", "--bisect",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["exchange"]["status"] == 500
    assert data["bisect"]["verdict"] == "dependency `get_current_user`"
    assert [f["code"] for f in data["findings"]] == ["MED852"]
    assert data["request_headers"] == [["Authorization", "***"]]


def test_reads_the_request_from_stdin_when_given_dash(failing: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fastapi_medic", "repro", "--path", str(failing), "-"],
        input="curl http://h/health\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "status: 200 OK" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fetch /x"], "error: cannot read the request 'fetch'"),
        (["--app", "main:nope", "GET", "/"], "error: module main has no attribute 'nope'"),
        (["GET", "/", "--timeout", "0"], "Invalid value for '--timeout'"),
    ],
)
def test_exit_2_with_one_line_when_the_input_is_bad(
    failing: Path, args: list[str], message: str
) -> None:
    result = invoke("repro", "--path", failing, *args)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_exit_1_with_timeout_message_when_the_app_hangs(tmp_path: Path) -> None:
    shutil.copytree(APPS / "hanging", tmp_path / "hanging")

    result = invoke("repro", "--path", tmp_path / "hanging", "--timeout", "2", "GET", "/report")

    assert result.exit_code == 1
    assert "timeout: no answer within 2 s" in result.stdout
    assert "  > main.py:13 in crunch" in result.stdout


@pytest.mark.parametrize(
    ("app", "request_text", "code"),
    [
        ("failing", "GET /users/me", "MED852"),
        ("failing", "GET /profile", "MED853"),
        ("broken_startup", "GET /health", "MED851"),
    ],
)
def test_exit_1_with_the_finding_in_json_when_the_app_fails(
    tmp_path: Path, app: str, request_text: str, code: str
) -> None:
    shutil.copytree(APPS / app, tmp_path / app)

    result = invoke("repro", "--path", tmp_path / app, "--format", "json", request_text)

    assert result.exit_code == 1, result.output
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == [code]


def test_exit_2_at_the_user_frame_when_the_app_cannot_import(tmp_path: Path) -> None:
    shutil.copytree(APPS / "broken_import", tmp_path / "broken_import")

    result = invoke("repro", "--path", tmp_path / "broken_import", "GET", "/")

    assert result.exit_code == 2
    assert "error: cannot import main: KeyError: " in result.output
    assert "(main.py:9:1)" in result.output
