"""Could-not-run cases: bad paths, bad configuration, bad options and our own bugs.

Each one exits 2 with a one-line message on stderr and never shows a traceback, unless
``--debug`` asks for it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from fastapi_medic import __version__

from ._projects import BLOCKING, CLEAN, MakeProject, invoke, run_module


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


class TestPaths:
    def test_nonexistent_path_exits_2_with_one_line(self, tmp_path: Path) -> None:
        missing = tmp_path / "nowhere"

        result = invoke("check", missing)

        assert result.exit_code == 2
        assert _one_error_line(result.stderr) == f"error: {missing}: no such file or directory"
        assert result.stdout == ""

    def test_nonexistent_path_exits_2_through_the_console_script(self, tmp_path: Path) -> None:
        done = run_module("check", "nowhere", cwd=tmp_path)

        assert done.returncode == 2
        assert _one_error_line(done.stderr).endswith("nowhere: no such file or directory")
        assert "Traceback" not in done.stderr
        assert done.stdout == ""

    def test_output_file_in_a_missing_directory_exits_2_with_one_line(
        self, make_project: MakeProject, tmp_path: Path
    ) -> None:
        target = tmp_path / "missing" / "report.json"

        result = invoke("check", "--no-cache", "-o", target, make_project({"app.py": CLEAN}))

        assert result.exit_code == 2
        assert "report.json" in _one_error_line(result.stderr)


class TestConfiguration:
    def test_unknown_key_exits_2_naming_the_file_and_the_key(
        self, make_project: MakeProject
    ) -> None:
        project = make_project(
            {"pyproject.toml": '[tool.fastapi-medic]\nselekt = ["MED1"]\n', "app.py": CLEAN}
        )

        result = invoke("check", project)

        assert result.exit_code == 2
        message = _one_error_line(result.stderr)
        assert 'pyproject.toml: [tool.fastapi-medic] unknown key "selekt"' in message
        assert 'did you mean "select"?' in message

    def test_invalid_toml_exits_2_naming_the_file(self, make_project: MakeProject) -> None:
        project = make_project(
            {"pyproject.toml": "[tool.fastapi-medic\nselect =\n", "app.py": CLEAN}
        )

        result = invoke("check", project)

        assert result.exit_code == 2
        message = _one_error_line(result.stderr)
        assert "pyproject.toml: is not valid TOML" in message

    @pytest.mark.parametrize(
        ("setting", "words"),
        [
            ('fail-level = "fatal"', 'fail-level = "fatal" is not one of info, warning, error'),
            ('select = "MED1"', 'select = "MED1" is not a list of strings'),
            ('ignore = ["E501"]', 'has "E501", which is not ALL, MED or MED and 1 to 3 digits'),
            ("max-workers = 0", "max-workers = 0 is not a whole number of at least 1"),
        ],
    )
    def test_invalid_value_exits_2_naming_key_and_value(
        self, make_project: MakeProject, setting: str, words: str
    ) -> None:
        project = make_project(
            {"pyproject.toml": f"[tool.fastapi-medic]\n{setting}\n", "app.py": CLEAN}
        )

        result = invoke("check", project)

        assert result.exit_code == 2
        assert words in _one_error_line(result.stderr)

    def test_routes_reports_a_bad_configuration_too(self, make_project: MakeProject) -> None:
        project = make_project(
            {"pyproject.toml": "[tool.fastapi-medic]\nunknown = 1\n", "app.py": CLEAN}
        )

        result = invoke("routes", project)

        assert result.exit_code == 2
        assert 'unknown key "unknown"' in _one_error_line(result.stderr)

    def test_bad_configuration_exits_2_through_the_console_script(
        self, make_project: MakeProject
    ) -> None:
        project = make_project({"pyproject.toml": "[tool.fastapi-medic\n", "app.py": BLOCKING})

        done = run_module("check", ".", cwd=project)

        assert done.returncode == 2
        assert _one_error_line(done.stderr).startswith("error: pyproject.toml: is not valid TOML")
        assert done.stdout == ""


class TestOptions:
    @pytest.mark.parametrize(
        "args",
        [
            ["check", "--format", "xml"],
            ["check", "--fail-level", "fatal"],
            ["check", "--no-such-option"],
            ["routes", "--format", "sarif"],
            ["rules", "--format", "html"],
            ["no-such-command"],
        ],
    )
    def test_bad_option_exits_2_with_usage(self, args: list[str]) -> None:
        result = invoke(*args)

        assert result.exit_code == 2
        assert "Usage: " in result.stderr
        assert "Traceback" not in result.output

    def test_version_prints_the_package_version(self) -> None:
        result = invoke("--version")

        assert result.exit_code == 0
        assert result.stdout == f"fastapi-medic, version {__version__}\n"

    def test_python_m_fastapi_medic_runs_the_cli(self) -> None:
        done = run_module("--version")

        assert done.returncode == 0, done.stderr
        assert done.stdout == f"fastapi-medic, version {__version__}\n"

    def test_help_lists_the_commands(self) -> None:
        result = invoke("--help")

        assert result.exit_code == 0
        for command in ("check", "routes", "rules"):
            assert f"  {command} " in result.stdout


class TestOwnBugs:
    @staticmethod
    def _boom(*args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("kaboom")

    def test_unexpected_exception_exits_2_without_traceback(
        self, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("fastapi_medic.static.check_paths", self._boom)

        result = invoke("check", make_project({"app.py": CLEAN}))

        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            "fastapi-medic failed unexpectedly: RuntimeError: kaboom",
            "Run again with --debug for the traceback, and please report it.",
        ]

    def test_debug_shows_the_traceback(
        self, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("fastapi_medic.static.check_paths", self._boom)

        result = invoke("--debug", "check", make_project({"app.py": CLEAN}))

        assert result.exit_code == 2
        assert result.stderr.startswith("Traceback (most recent call last):")
        assert result.stderr.rstrip().endswith("RuntimeError: kaboom")

    def test_closed_stdout_stops_quietly(self) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "fastapi_medic", "rules"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # like `fastapi-medic rules | head -1` once head has exited
        stderr = process.stderr.read()
        process.stderr.close()
        process.wait(timeout=120)

        assert "failed unexpectedly" not in stderr
        assert stderr == ""
