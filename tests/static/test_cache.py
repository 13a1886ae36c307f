"""The on-disk cache: reused when nothing changed, right when something did, never fatal."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from textwrap import dedent

import pytest
from checking import check, lines, write

from fastapi_medic.findings import Report

CACHE = ".fastapi-medic-cache"

ROUTES = """\
    import time

    from helpers import client


    async def sleepy() -> None:
        time.sleep(1)


    async def fetch() -> None:
        client.get("https://example.com")
"""

ASYNC_CLIENT = """\
    import httpx

    client = httpx.AsyncClient()
"""

SYNC_CLIENT = """\
    import httpx

    client = httpx.Client()
"""


def _run(project: Path, **settings: object) -> Report:
    return check(project, "ALL", "MED903", use_cache=True, **settings)


def _touch_later(path: Path) -> None:
    # A new mtime whatever the filesystem's timestamp granularity.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def _cache_files(project: Path) -> list[Path]:
    return sorted(p for p in (project / CACHE).rglob("*") if p.is_file())


def test_second_run_comes_from_the_cache_with_the_same_findings(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})

    first = _run(project)
    second = _run(project)

    assert first.summary["cached"] == 0
    assert second.summary["cached"] == second.files == 2
    assert second.findings == first.findings
    assert second.silenced == first.silenced
    assert lines(first.findings, "MED101") == {
        ("MED101", "routes.py", 7),
        ("MED101", "routes.py", 11),
    }


def test_cache_is_written_under_the_project_and_ignored_by_git(project: Path) -> None:
    write(project, {"app.py": "x = 1\n"})

    _run(project)

    assert _cache_files(project)
    assert (project / CACHE / ".gitignore").read_text().strip().endswith("*")


def test_use_cache_false_writes_nothing(project: Path) -> None:
    write(project, {"app.py": "x = 1\n"})

    check(project, use_cache=False)

    assert not (project / CACHE).exists()


def test_changing_a_file_changes_the_findings(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    _run(project)
    routes = project / "routes.py"
    routes.write_text(routes.read_text().replace("time.sleep(1)", "print(1)"))
    _touch_later(routes)

    report = _run(project)

    assert lines(report.findings, "MED101") == {("MED101", "routes.py", 11)}
    assert report.summary["cached"] == 1


def test_a_new_blocking_call_in_a_changed_module_is_found(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    _run(project)
    write(
        project,
        {
            "helpers.py": dedent(SYNC_CLIENT)
            + "\n\nasync def warm() -> None:\n    client.get('/health')\n"
        },
    )
    _touch_later(project / "helpers.py")

    report = _run(project)

    assert ("MED101", "helpers.py", 7) in lines(report.findings, "MED101")


def test_a_change_in_an_imported_module_changes_the_importer_findings(project: Path) -> None:
    # routes.py does not change; what its `client` is does.
    write(project, {"routes.py": ROUTES, "helpers.py": ASYNC_CLIENT})
    before = _run(project)
    write(project, {"helpers.py": SYNC_CLIENT})
    _touch_later(project / "helpers.py")

    after = _run(project)
    again = _run(project)

    assert ("MED101", "routes.py", 11) not in lines(before.findings)
    assert ("MED101", "routes.py", 11) in lines(after.findings)
    assert after.summary["cached"] == 1  # routes.py's summary is reused
    assert again.findings == after.findings
    write(project, {"helpers.py": ASYNC_CLIENT})
    _touch_later(project / "helpers.py")
    assert ("MED101", "routes.py", 11) not in lines(_run(project).findings)


def test_adding_and_removing_files_changes_the_findings(project: Path) -> None:
    write(project, {"routes.py": ROUTES})
    without_helpers = _run(project)
    write(project, {"helpers.py": SYNC_CLIENT})

    with_helpers = _run(project)
    (project / "helpers.py").unlink()
    removed = _run(project)

    assert ("MED101", "routes.py", 11) not in lines(without_helpers.findings)
    assert ("MED101", "routes.py", 11) in lines(with_helpers.findings)
    assert removed.findings == without_helpers.findings
    assert removed.files == 1


def test_a_new_noqa_is_honoured_on_the_next_run(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    _run(project)
    routes = project / "routes.py"
    routes.write_text(routes.read_text().replace("time.sleep(1)", "time.sleep(1)  # noqa: MED101"))
    _touch_later(routes)

    report = _run(project)

    assert lines(report.findings, "MED101") == {("MED101", "routes.py", 11)}
    assert report.silenced == 1


def test_a_different_selection_does_not_reuse_the_result(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    check(project, "ALL", use_cache=True)

    only_tasks = check(project, "MED105", use_cache=True)
    everything = check(project, "ALL", use_cache=True)

    assert only_tasks.findings == ()
    assert len(lines(everything.findings, "MED101")) == 2


def test_a_different_configuration_does_not_reuse_the_result(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    _run(project)

    report = _run(project, blocking_remove=("time.sleep",))

    assert lines(report.findings, "MED101") == {("MED101", "routes.py", 11)}


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a pickle at all", id="text"),
        pytest.param(b"\x80\x05\x95garbage", id="truncated-pickle"),
        pytest.param(pickle.dumps(["a", "list"]), id="wrong-type"),
        pytest.param(pickle.dumps({"routes.py|0": "not bytes"}), id="wrong-values"),
    ],
)
def test_corrupt_cache_files_are_a_miss(project: Path, garbage: bytes) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    clean = check(project)
    _run(project)
    for path in _cache_files(project):
        if path.name != ".gitignore":
            path.write_bytes(garbage)

    first = _run(project)
    second = _run(project)

    assert first.findings == second.findings == clean.findings


def test_cached_summaries_that_do_not_unpickle_are_a_miss(project: Path) -> None:
    # The outer file is intact but an entry is not a summary (a cache written by another
    # build of the same version, or a damaged disk).
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    clean = check(project)
    _run(project)
    (summaries,) = (p for p in _cache_files(project) if p.name == "summaries.pickle")
    entries = pickle.loads(summaries.read_bytes())
    summaries.write_bytes(pickle.dumps(dict.fromkeys(entries, b"\x80\x05garbage")))
    for path in _cache_files(project):
        if path.name == "result.pickle":
            path.unlink()

    report = _run(project)

    assert report.findings == clean.findings


def test_a_cache_directory_that_cannot_be_created_is_not_fatal(project: Path) -> None:
    # Root may write anywhere, so a file stands where the directory should be.
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT, "blocked": "a file"})
    clean = check(project)

    first = check(project, use_cache=True, cache_dir="blocked/cache")
    second = check(project, use_cache=True, cache_dir="blocked/cache")

    assert first.findings == second.findings == clean.findings
    assert second.summary["cached"] == 0


def test_cache_directory_is_not_checked_as_source(project: Path) -> None:
    write(project, {"routes.py": ROUTES, "helpers.py": SYNC_CLIENT})
    _run(project)
    write(project, {f"{CACHE}/stray.py": "def broken(:\n"})

    report = _run(project)

    assert report.files == 2
