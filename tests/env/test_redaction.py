"""No planted secret reaches any output: text, JSON, SARIF, GitHub, snapshots and diffs.

Secrets are planted in .env, docker-compose.yml, render.yaml and the process environment,
in the shapes that break deployments (so the checks do read and report those variables).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_medic.cli import root

SECRETS = {
    "dotenv": "DotenvPassw0rd42",
    "compose": "ComposePassw0rd42",
    "render": "RenderPassw0rd42",
    "environ": "EnvironPassw0rd42",
    "token": "sk-live-4f9a8b7c6d5e4f3a2b1c",
}


def _project(tmp_path: Path) -> Path:
    files = {
        ".env": f"""\
            DATABASE_URL=postgres://admin:{SECRETS["dotenv"]}@localhost/shop
            API_TOKEN={SECRETS["token"]}
            DEBUG=False
            """,
        "docker-compose.yml": f"""\
            services:
              api:
                build: .
                command: uvicorn main:app
                environment:
                  DATABASE_URL: postgresql+asyncpg://app:{SECRETS["compose"]}@localhost/db?sslmode=require
                  SECRET_KEY: ""
            """,
        "render.yaml": f"""\
            services:
              - type: web
                name: api
                runtime: python
                startCommand: uvicorn main:app --port 8000
                envVars:
                  - key: PYTHON_VERSION
                    value: 3.10
                  - key: REPLICA_DATABASE_URL
                    value: postgres://ro:{SECRETS["render"]}@p@ss@replica/shop
            """,
        "Dockerfile": (
            'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD ["uvicorn", "main:app"]\n'
        ),
        "main.py": """\
            import os

            from fastapi import FastAPI
            from sqlalchemy.ext.asyncio import create_async_engine

            DEBUG = bool(os.getenv("DEBUG"))
            SECRET_KEY = os.environ["SECRET_KEY"]
            API_TOKEN = os.environ["API_TOKEN"]
            engine = create_async_engine(os.environ["DATABASE_URL"])
            replica = os.environ["REPLICA_DATABASE_URL"]
            app = FastAPI()
            """,
    }
    tmp_path.mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def _run(*args: str) -> str:
    environ = {"DATABASE_URL": f"postgresql://u:{SECRETS['environ']}@127.0.0.1/x"}
    result = CliRunner().invoke(root, list(args), env=environ)
    assert result.exit_code in (0, 1), result.output
    return result.output


def _assert_clean(output: str) -> None:
    leaked = [name for name, secret in SECRETS.items() if secret in output]
    assert leaked == [], f"secrets leaked: {leaked}"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_check_output_holds_no_secret_in_any_format(tmp_path: Path, fmt: str) -> None:
    project = _project(tmp_path)

    output = _run("env", "check", str(project), "--format", fmt)

    assert "MED64" in output  # the variables were read and reported
    _assert_clean(output)


def test_import_failure_message_holds_no_secret(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: uvicorn main:app --host 0.0.0.0 --port $PORT\n")
    (tmp_path / "main.py").write_text(
        f'raise RuntimeError("db postgresql://a:{SECRETS["environ"]}@h/x '
        f'token {SECRETS["token"]}")\n'
    )

    output = _run("env", "check", str(tmp_path), "--import", "--format", "json")

    assert "MED610" in output
    _assert_clean(output)


def test_snapshot_and_diff_hold_no_secret(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    a, b = tmp_path / "a.json", tmp_path / "b.json"

    _run("env", "snapshot", str(project), "-o", str(a))
    _run("env", "snapshot", str(project), "-o", str(b), "--key", "shared")
    texts = [a.read_text(), b.read_text()]
    texts.append(_run("env", "diff", str(a), str(b)))
    texts.append(_run("env", "diff", str(a), str(b), "--format", "json"))

    for text in texts:
        _assert_clean(text)
