"""The public API is what docs/library.md promises, and it works without the optional extras."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastapi_medic

REPO = Path(__file__).resolve().parents[1]
LIBRARY_DOC = REPO / "docs" / "library.md"
SHOP = REPO / "examples" / "shop"

# A meta path finder that makes the optional dependencies look uninstalled.
_BLOCK_EXTRAS = textwrap.dedent(
    """\
    import importlib.abc
    import sys

    BLOCKED = {"fastapi", "sqlalchemy", "starlette"}


    class BlockExtras(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked for this test")
            return None


    sys.meta_path.insert(0, BlockExtras())
    """
)


def _documented_names() -> set[str]:
    # The table of docs/library.md: one row per public name, the name in backticks first.
    text = LIBRARY_DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` +\|", text, re.MULTILINE))


def _run_blocked(body: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BLOCK_EXTRAS + textwrap.dedent(body), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_all_matches_the_documented_list() -> None:
    assert set(fastapi_medic.__all__) == _documented_names()
    assert len(fastapi_medic.__all__) == len(set(fastapi_medic.__all__))


@pytest.mark.parametrize("name", fastapi_medic.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(fastapi_medic, name) is not None


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'instrument_everything'"):
        fastapi_medic.instrument_everything  # noqa: B018 - the attribute access is the test


def test_package_ships_py_typed() -> None:
    assert (Path(fastapi_medic.__file__).parent / "py.typed").is_file()


def test_import_loads_neither_the_analyser_nor_the_console_libraries() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, fastapi_medic; "
            "print(sorted(m for m in ('fastapi_medic.static', 'fastapi_medic.cli', 'click', "
            "'rich', 'fastapi', 'sqlalchemy') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_import_and_rules_work_without_fastapi_sqlalchemy_starlette() -> None:
    done = _run_blocked(
        """
        import fastapi_medic
        import fastapi_medic.cli
        from fastapi_medic.catalog import load_catalog

        print("codes", len(load_catalog()))
        sys.argv = ["fastapi-medic", "rules"]
        fastapi_medic.cli.main()
        """
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("codes ")
    assert lines[1].split()[:2] == ["code", "name"]
    assert len(lines) - 2 == int(lines[0].split()[1])
    assert "MED101" in done.stdout


def test_the_blocker_really_blocks() -> None:
    done = _run_blocked("import fastapi\n")

    assert done.returncode == 1
    assert "ImportError: fastapi is blocked for this test" in done.stderr


def test_check_works_without_fastapi_sqlalchemy_starlette() -> None:
    done = _run_blocked(
        """
        import fastapi_medic.cli

        sys.argv = ["fastapi-medic", "check", "--no-cache", "--select", "MED101", sys.argv[1]]
        fastapi_medic.cli.main()
        """,
        str(SHOP),
    )

    assert done.returncode == 1, done.stderr
    assert "MED101" in done.stdout
