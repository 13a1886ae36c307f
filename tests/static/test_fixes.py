"""Autofixes: the round trip through `check --fix`, and the guarantees that no file is lost,
corrupted or changed behind the user's back."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

from checking import config, write

from fastapi_medic.findings import Applicability, Edit, Finding, Fix, Location, Report, Severity
from fastapi_medic.static import check_paths
from fastapi_medic.static.analyze import digest
from fastapi_medic.static.fixes import apply_fixes

SLEEPY = '''"""Payments."""

from __future__ import annotations

import time


async def pay(attempts: int) -> None:
    for attempt in range(attempts):
        time.sleep(0.5 * attempt)
'''

SLEEPY_IMPORTED = """import asyncio
from time import sleep as pause


async def pay() -> None:
    pause(1)
    await asyncio.sleep(0)
"""

DEFAULT = """from fastapi import FastAPI

app = FastAPI()


class Pricing:
    pass


@app.get("/quote")
def quote(sku: str, pricing=Pricing()):
    return {"sku": sku}
"""


def _fix(project: Path, code: str, *, unsafe: bool = False) -> Report:
    return check_paths(
        [project], config(project, code), use_cache=False, fix=True, unsafe_fixes=unsafe
    )


def test_sleep_fix_awaits_asyncio_sleep_and_adds_the_import_after_future(project: Path) -> None:
    write(project, {"pay.py": SLEEPY})

    report = _fix(project, "MED101")

    fixed = (project / "pay.py").read_text()
    assert report.summary["fixed"] == 1
    assert [f.code for f in report.findings] == []
    assert "        await asyncio.sleep(0.5 * attempt)\n" in fixed
    lines = fixed.splitlines()
    assert lines.index("import asyncio") == lines.index("from __future__ import annotations") + 1
    ast.parse(fixed)


def test_sleep_fix_keeps_an_existing_asyncio_import_and_handles_aliases(project: Path) -> None:
    write(project, {"pay.py": SLEEPY_IMPORTED})

    _fix(project, "MED101")

    fixed = (project / "pay.py").read_text()
    assert fixed.count("import asyncio") == 1
    assert "    await asyncio.sleep(1)\n" in fixed


def test_unsafe_fix_is_applied_only_when_asked(project: Path) -> None:
    write(project, {"app.py": DEFAULT})

    safe_only = _fix(project, "MED301")
    assert safe_only.summary["fixed"] == 0
    assert (project / "app.py").read_text() == DEFAULT

    both = _fix(project, "MED301", unsafe=True)
    fixed = (project / "app.py").read_text()
    assert both.summary["fixed"] == 1
    assert "def quote(sku: str, pricing=Depends(Pricing)):" in fixed
    assert "from fastapi import Depends\n" in fixed
    assert [f.code for f in both.findings] == []


def _sleep_finding(path: str, line: int, column: int, text: str) -> Finding:
    edit = Edit(path, line, column, line, column + len(text), "await asyncio.sleep", original=text)
    return Finding(
        code="MED101",
        name="blocking-call-in-async-function",
        severity=Severity.ERROR,
        message="m",
        location=Location(path, line, column),
        autofix=Fix((edit,), Applicability.SAFE),
    )


def test_a_file_changed_since_it_was_checked_is_left_alone(tmp_path: Path) -> None:
    source = "async def f():\n    time.sleep(1)\n"
    (tmp_path / "a.py").write_text(source)
    stale = digest(b"what the file held when it was checked\n")

    result = apply_fixes(tmp_path, [_sleep_finding("a.py", 2, 4, "time.sleep")], {"a.py": stale})

    assert result.applied == 0
    assert result.refused == [("a.py", "changed since it was checked")]
    assert (tmp_path / "a.py").read_text() == source


def test_an_edit_whose_text_does_not_match_is_not_applied(tmp_path: Path) -> None:
    source = "async def f():\n    other.sleep(1)\n"
    (tmp_path / "a.py").write_text(source)

    result = apply_fixes(
        tmp_path, [_sleep_finding("a.py", 2, 4, "time.sleep")], {"a.py": digest(source.encode())}
    )

    assert result.applied == 0
    assert (tmp_path / "a.py").read_text() == source


def test_a_fix_that_would_break_the_syntax_is_refused(tmp_path: Path) -> None:
    source = "def f():\n    time.sleep(1)\n"
    (tmp_path / "a.py").write_text(source)
    broken = Finding(
        code="MED101",
        name="blocking-call-in-async-function",
        severity=Severity.ERROR,
        message="m",
        autofix=Fix((Edit("a.py", 2, 4, 2, 14, "time.sleep(((", original="time.sleep"),)),
    )

    result = apply_fixes(tmp_path, [broken], {"a.py": digest(source.encode())})

    assert result.refused == [("a.py", "the fixed file would not parse")]
    assert (tmp_path / "a.py").read_text() == source


def test_fixed_file_keeps_its_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    source = "async def f():\n    time.sleep(1)\n"
    path = tmp_path / "a.py"
    path.write_text(source)
    os.chmod(path, 0o640)

    result = apply_fixes(
        tmp_path, [_sleep_finding("a.py", 2, 4, "time.sleep")], {"a.py": digest(source.encode())}
    )

    assert result.applied == 1
    assert path.read_text() == "async def f():\n    await asyncio.sleep(1)\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_overlapping_fixes_apply_only_the_first(tmp_path: Path) -> None:
    source = "async def f():\n    time.sleep(1)\n"
    (tmp_path / "a.py").write_text(source)
    first = _sleep_finding("a.py", 2, 4, "time.sleep")
    second = _sleep_finding("a.py", 2, 9, "sleep")

    result = apply_fixes(tmp_path, [first, second], {"a.py": digest(source.encode())})

    assert result.applied == 1
    assert (tmp_path / "a.py").read_text() == "async def f():\n    await asyncio.sleep(1)\n"
