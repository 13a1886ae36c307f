"""MED409 end to end: a root handler added by a router module, through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from checking import write

APP = {
    "app/__init__.py": "",
    "app/main.py": """\
        from fastapi import FastAPI

        from app import routes

        app = FastAPI()
        app.include_router(routes.router)
    """,
    "app/routes.py": """\
        import logging

        from fastapi import APIRouter

        logging.getLogger().addHandler(logging.StreamHandler())
        router = APIRouter()
    """,
}


def _check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastapi_medic", "check", "--no-cache", *args, str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )


def test_cli_reports_the_root_handler_of_a_router_when_med409_is_selected(
    project: Path,
) -> None:
    write(project, APP)

    result = _check(project, "--select", "MED409")

    assert result.returncode == 1, result.stderr
    assert "app/routes.py" in result.stdout
    assert "5:1" in result.stdout
    assert "Handler added to the root logger when this module is imported" in result.stdout


def test_cli_is_clean_when_the_handler_is_added_in_the_entrypoint(project: Path) -> None:
    moved = dict(APP)
    moved["app/routes.py"] = "from fastapi import APIRouter\n\nrouter = APIRouter()\n"
    moved["app/main.py"] = (
        "import logging\n\nfrom fastapi import FastAPI\n\nfrom app import routes\n\n"
        "logging.getLogger().addHandler(logging.StreamHandler())\n"
        "app = FastAPI()\napp.include_router(routes.router)\n"
    )
    write(project, moved)

    result = _check(project, "--select", "MED409")

    assert result.returncode == 0, result.stdout + result.stderr
