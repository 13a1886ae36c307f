"""``repro`` serves the real app in a child process and shows the server's side of a request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_medic.errors import AppImportError, UsageError
from fastapi_medic.live.curl import parse_request
from fastapi_medic.live.render import repro_dict, repro_text
from fastapi_medic.live.repro import repro

AppDir = Callable[[str], Path]


def test_shows_the_server_traceback_at_the_user_frame_when_a_dependency_raises(
    app_dir: AppDir,
) -> None:
    result = repro(
        app_dir("failing"), parse_request("GET /users/me -H 'Authorization: Bearer bob'")
    )

    assert result.failed
    assert result.exchange is not None
    assert result.exchange.status == 500
    error = result.exchange.error
    assert error is not None
    assert (error.type, error.where) == ("KeyError", "dependency get_current_user")
    assert error.user_frame is not None
    assert (error.user_frame.path, error.user_frame.function) == ("main.py", "get_current_user")
    assert [f.code for f in result.findings] == ["MED852"]
    assert result.findings[0].location is not None
    assert result.findings[0].location.path == "main.py"


def test_lists_dependencies_and_statements_as_breadcrumbs_when_the_request_runs(
    app_dir: AppDir,
) -> None:
    result = repro(app_dir("failing"), parse_request("GET /profile"))

    assert result.exchange is not None
    crumbs = [(c.kind, c.message) for c in result.exchange.breadcrumbs]
    assert crumbs[:3] == [
        ("dependency", "get_db resolved"),
        ("sql", "SELECT 7 AS id, NULL AS email"),
        ("endpoint", "profile returned"),
    ]
    assert crumbs[3] == ("response", "UserOut validation failed")
    assert all(c.ms is not None and c.ms >= 0 for c in result.exchange.breadcrumbs)


def test_reports_a_response_model_mismatch_when_validation_fails(app_dir: AppDir) -> None:
    result = repro(app_dir("failing"), parse_request("GET /profile"))

    assert [f.code for f in result.findings] == ["MED853"]
    assert result.exchange is not None
    assert result.exchange.validation_errors == ("email",)


def test_passes_without_findings_when_the_route_answers(app_dir: AppDir) -> None:
    result = repro(app_dir("failing"), parse_request("curl http://localhost:8000/health"))

    assert not result.failed
    assert result.exchange is not None
    assert (result.exchange.status, result.exchange.body) == (200, '{"status": "ok"}')
    assert result.findings == ()


def test_reports_a_timeout_with_the_hung_frame_when_the_route_blocks(app_dir: AppDir) -> None:
    result = repro(app_dir("hanging"), parse_request("GET /report"), timeout=3)

    assert result.failed
    assert result.hang is not None
    assert result.hang.phase == "request"
    frame = result.hang.user_frame
    assert frame is not None
    assert (frame.path, frame.function) == ("main.py", "crunch")
    assert [f.code for f in result.findings] == ["MED854"]


def test_raises_app_import_error_at_the_user_frame_when_the_import_fails(
    app_dir: AppDir,
) -> None:
    with pytest.raises(AppImportError, match=r"cannot import main: KeyError: .* \(main\.py:9:1\)"):
        repro(app_dir("broken_import"), parse_request("GET /"))


def test_reports_the_startup_traceback_when_the_lifespan_fails(app_dir: AppDir) -> None:
    result = repro(app_dir("broken_startup"), parse_request("GET /health"))

    assert result.failed
    assert result.exchange is None
    assert result.startup_error is not None
    assert result.startup_error.type == "OperationalError"
    assert [f.code for f in result.findings] == ["MED851"]


def test_raises_a_usage_error_when_the_app_attribute_does_not_exist(app_dir: AppDir) -> None:
    with pytest.raises(AppImportError, match="has no attribute 'nope'"):
        repro(app_dir("failing"), parse_request("GET /"), app="main:nope")


def test_raises_a_usage_error_when_the_path_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        repro(tmp_path / "missing", parse_request("GET /"))


SECRETS = ["s3cr3t-bearer-value", "cookie-secret-42", "key-in-query-77", "hunter2-password"]


def test_masks_secrets_in_every_output_when_the_request_and_response_carry_them(
    app_dir: AppDir,
) -> None:
    command = (
        "curl 'http://h/login?api_key=key-in-query-77' "
        "-H 'Authorization: Bearer s3cr3t-bearer-value' -H 'Cookie: sid=cookie-secret-42' "
        '--json \'{"user": "ann", "password": "hunter2-password"}\''
    )

    result = repro(app_dir("failing"), parse_request(command))

    assert result.exchange is not None
    assert result.exchange.status == 200
    text = "\n".join(repro_text(result))
    dumped = json.dumps(repro_dict(result), default=str)
    for secret in SECRETS:
        assert secret not in text
        assert secret not in dumped
    assert '"user": "ann"' in result.exchange.body


def test_shows_the_awaiting_coroutine_when_a_route_waits_forever(app_dir: AppDir) -> None:
    result = repro(app_dir("waiting"), parse_request("GET /stock"), timeout=3)

    assert result.hang is not None
    frame = result.hang.user_frame
    assert frame is not None
    assert (frame.path, frame.line, frame.function) == ("main.py", 14, "wait_for_stock")


def test_passes_and_shows_the_handled_exception_when_a_handler_answers_4xx(
    app_dir: AppDir,
) -> None:
    result = repro(app_dir("failing"), parse_request("POST /reserve"))

    assert not result.failed
    assert result.exchange is not None
    assert result.exchange.status == 409
    assert result.exchange.handled
    assert result.exchange.error is not None
    assert result.exchange.error.type == "OutOfStock"
    assert "server traceback (endpoint, handled by an exception handler):" in repro_text(result)
    assert result.findings == ()


LIFESPAN_STATE = """\
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
    yield {"greeting": "hello from startup"}


app = FastAPI(lifespan=lifespan)


@app.get("/")
def index(request: Request) -> dict[str, str]:
    return {"greeting": request.state.greeting}
"""


def test_gives_requests_the_lifespan_state_when_startup_yields_one(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(LIFESPAN_STATE, encoding="utf-8")

    result = repro(tmp_path, parse_request("GET /"))

    assert result.exchange is not None
    assert result.exchange.body == '{"greeting": "hello from startup"}'
