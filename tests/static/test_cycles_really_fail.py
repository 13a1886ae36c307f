"""An import cycle reported as failing really fails when Python imports it, and one reported
as mere coupling imports fine: both checked in a fresh interpreter."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from checking import check, write

from fastapi_medic.findings import Severity

FIXTURES = Path(__file__).parent / "fixtures"

COUPLED = {
    "app/__init__.py": "",
    "app/orders.py": textwrap.dedent(
        """\
        import app.stock


        def total() -> int:
            return 1


        def place() -> int:
            return app.stock.reserve()
        """
    ),
    "app/stock.py": textwrap.dedent(
        """\
        import app.orders


        def reserve() -> int:
            return app.orders.total()
        """
    ),
}


def _import(project: Path, module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cycle_reported_as_failing_raises_on_import(project: Path) -> None:
    shutil.copytree(FIXTURES / "MED501_project", project, dirs_exist_ok=True)

    cycles = [f for f in check(project, "MED501").findings if f.code == "MED501"]
    done = _import(project, "app.orders")

    assert [f.severity for f in cycles] == [Severity.ERROR]
    assert done.returncode != 0
    assert "partially initialized module" in done.stderr


def test_cycle_reported_as_coupling_imports_fine(project: Path) -> None:
    write(project, COUPLED)

    cycles = [f for f in check(project, "MED501").findings if f.code == "MED501"]

    assert [f.severity for f in cycles] == [Severity.WARNING]
    assert _import(project, "app.orders").returncode == 0
    assert _import(project, "app.stock").returncode == 0
