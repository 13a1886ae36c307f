"""``fastapi-medic doctor``: every check on a real project, the verdict, the exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ._projects import SHOP, MakeProject, invoke

SECRET = "s3cr3t-Pa55word-for-tests"

# An app whose deployment is right and whose code blocks the event loop.
CODE_BROKEN = {
    "main.py": """\
        import time

        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/slow")
        async def slow() -> dict[str, bool]:
            time.sleep(0.01)
            return {"ok": True}
        """,
    "Procfile": "web: uvicorn main:app --host 0.0.0.0 --port $PORT\n",
}

# The same clean code, started by a Procfile that names a module that does not exist.
ENV_BROKEN = {
    "main.py": """\
        import asyncio

        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/fast")
        async def fast() -> dict[str, bool]:
            await asyncio.sleep(0)
            return {"ok": True}
        """,
    "Procfile": "web: uvicorn server:app --host 0.0.0.0 --port $PORT\n",
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP, target, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    return target


def test_verdict_is_code_when_only_the_code_is_broken(make_project: MakeProject) -> None:
    project = make_project(CODE_BROKEN)

    result = invoke("doctor", project, "--no-color")

    assert result.exit_code == 1, result.output
    assert "MED101" in result.stdout
    assert "Verdict: code" in result.stdout
    assert "The environment checks out" in result.stdout


def test_verdict_is_environment_when_the_start_command_cannot_import(
    make_project: MakeProject,
) -> None:
    project = make_project(ENV_BROKEN)

    result = invoke("doctor", project, "--no-color")

    assert result.exit_code == 1, result.output
    assert "MED601" in result.stdout
    assert "Verdict: environment" in result.stdout


def test_verdict_is_none_and_exit_zero_when_everything_is_fine(
    make_project: MakeProject,
) -> None:
    project = make_project(
        {**ENV_BROKEN, "Procfile": "web: uvicorn main:app --host 0.0.0.0 --port $PORT\n"}
    )

    result = invoke("doctor", project, "--no-color")

    assert result.exit_code == 0, result.output
    assert "Verdict: none" in result.stdout
    assert "live        " in result.stdout


def test_shop_gets_env_static_and_live_findings_when_doctor_runs(shop: Path) -> None:
    result = invoke("doctor", shop, "--format", "json")

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    sources = {finding["source"] for finding in data["findings"]}
    assert {"env", "static"} <= sources
    assert sources & {"live", "runtime"}, "the live probe found nothing on the shop"
    assert data["summary"]["verdict"] == "both"
    codes = {finding["code"] for finding in data["findings"]}
    assert {"MED601", "MED201", "MED721"} <= codes


def test_live_checks_are_skipped_when_asked(shop: Path) -> None:
    result = invoke("doctor", shop, "--no-live", "--no-color")

    assert "skipped (--no-live)" in result.stdout
    assert "MED721" not in result.stdout


def test_html_report_is_written_when_asked(shop: Path, tmp_path: Path) -> None:
    page = tmp_path / "doctor.html"

    result = invoke("doctor", shop, "--no-live", "--html", page)

    assert result.exit_code == 1, result.output
    html = page.read_text(encoding="utf-8")
    assert "Verdict: both" in html
    assert "MED601" in html
    assert "MED201" in html


def test_log_files_are_triaged_when_given(make_project: MakeProject, tmp_path: Path) -> None:
    project = make_project(CODE_BROKEN)
    log = tmp_path / "app.log"
    log.write_text(
        "ERROR:    Exception in ASGI application\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/main.py", line 10, in slow\n'
        "    return db.query(Item).all()\n"
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, "
        "connection timed out, timeout 30.00\n",
        encoding="utf-8",
    )

    result = invoke("doctor", project, "--no-live", "--logs", log, "--format", "json")

    data = json.loads(result.stdout)
    assert "MED801" in {finding["code"] for finding in data["findings"]}


def test_secrets_never_appear_when_the_project_holds_them(shop: Path, tmp_path: Path) -> None:
    (shop / ".env").write_text(
        f"DATABASE_URL=postgresql://shop:{SECRET}@db.internal:5432/shop\nAPI_TOKEN={SECRET}\n",
        encoding="utf-8",
    )
    page = tmp_path / "doctor.html"

    outputs = [
        invoke("doctor", shop, "--no-live", "--format", fmt, "--html", page).output
        for fmt in ("text", "json", "sarif", "github")
    ]

    for output in [*outputs, page.read_text(encoding="utf-8")]:
        assert SECRET not in output


def test_exit_code_is_two_when_the_path_is_not_a_directory(tmp_path: Path) -> None:
    result = invoke("doctor", tmp_path / "missing")

    assert result.exit_code == 2
    assert "is not a directory" in result.stderr
    assert "Traceback" not in result.output
