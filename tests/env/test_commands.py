"""Start commands read as the shell and the servers read them."""

from __future__ import annotations

import pytest

from fastapi_medic.env.commands import parse_argv, parse_shell, split_bind


def test_wrappers_are_peeled_when_command_runs_through_runners() -> None:
    call = parse_shell(
        "cd backend && exec uv run --frozen opentelemetry-instrument --traces_exporter otlp "
        "gunicorn -k uvicorn_worker.UvicornWorker -b 0.0.0.0:$PORT app.main:app"
    )

    assert call is not None
    assert (call.server, call.app, call.cd) == ("gunicorn", "app.main:app", "backend")
    assert call.option("-b") == "0.0.0.0:$PORT"
    assert call.option("-k") == "uvicorn_worker.UvicornWorker"


def test_sh_c_inner_command_is_marked_as_shell_when_exec_form_wraps_it() -> None:
    call = parse_argv(["sh", "-c", "exec uvicorn main:app --port ${PORT:-8000}"])

    assert call is not None
    assert call.shell
    assert call.option("--port") == "${PORT:-8000}"


def test_exec_form_words_are_not_shell_when_no_shell_runs() -> None:
    call = parse_argv(["uvicorn", "main:app", "--port", "$PORT"])

    assert call is not None
    assert not call.shell


@pytest.mark.parametrize(
    ("command", "server", "app"),
    [
        ("python -m uvicorn app:app --reload", "uvicorn", "app:app"),
        ("poetry run hypercorn main:app -b 0.0.0.0:80", "hypercorn", "main:app"),
        ("PORT=80 fastapi run src/main.py", "fastapi", "src/main.py"),
        ("granian --interface asgi --host 0.0.0.0 main:app", "granian", "main:app"),
        ("newrelic-admin run-program uvicorn main:app", "uvicorn", "main:app"),
        ("python serve.py", "python", None),
    ],
)
def test_server_and_app_are_found_when_command_has_wrappers(
    command: str, server: str, app: str | None
) -> None:
    call = parse_shell(command)

    assert call is not None
    assert (call.server, call.app) == (server, app)


def test_flags_take_no_value_when_server_defines_them_as_flags() -> None:
    call = parse_shell("uvicorn --reload --factory main:create_app --host 0.0.0.0")

    assert call is not None
    assert call.app == "main:create_app"
    assert call.flag("--reload")
    assert call.flag("--factory")


def test_no_server_when_command_runs_something_else() -> None:
    assert parse_shell("alembic upgrade head") is None
    assert parse_shell("echo 'unterminated") is None


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("0.0.0.0:80", ("0.0.0.0", "80")),
        ("[::]:8000", ("::", "8000")),
        (":$PORT", (None, "$PORT")),
        ("unix:/tmp/app.sock", (None, None)),
    ],
)
def test_bind_is_split_into_host_and_port(
    bind: str, expected: tuple[str | None, str | None]
) -> None:
    assert split_bind(bind) == expected
