"""Small throw-away projects for the command-line tests, and helpers to run the CLI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from fastapi_medic.cli import root

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"

#: The ``make_project`` fixture: writes files into a fresh project directory and returns it.
MakeProject = Callable[[Mapping[str, str]], Path]

#: One MED101 finding (severity error): ``time.sleep`` inside an async route.
BLOCKING = """\
    import asyncio
    import time

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0)
        time.sleep(1)
        return {"ok": True}
"""

#: One MED105 finding (severity warning): a task created and dropped.
DANGLING = """\
    import asyncio


    async def audit() -> None:
        await asyncio.sleep(0)


    async def record() -> None:
        asyncio.create_task(audit())
"""

#: Nothing to report.
CLEAN = """\
    import asyncio

    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/fast")
    async def fast() -> dict[str, bool]:
        await asyncio.sleep(0)
        return {"ok": True}
"""


def write_project(directory: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (relative path -> dedented text) under ``directory`` and return it."""
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` (dedented) that contains ``needle``."""
    for number, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
        if needle in line:
            return number
    raise LookupError(needle)


def invoke(*args: str | Path) -> Result:
    """Run ``fastapi-medic ARGS`` in-process and return click's result (stdout and stderr apart)."""
    return CliRunner().invoke(root, [str(arg) for arg in args])


def run_module(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m fastapi_medic ARGS`` in a subprocess, as a user's shell would."""
    return subprocess.run(
        [sys.executable, "-m", "fastapi_medic", *(str(arg) for arg in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
