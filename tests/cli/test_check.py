"""``fastapi-medic check``: exit codes, rule selection, output formats and the example app."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the lock file

from fastapi_medic import __version__
from fastapi_medic.output.json import load_schema

from ._projects import BLOCKING, CLEAN, DANGLING, SHOP, MakeProject, invoke, line_of, run_module


def _json_report(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = invoke("check", "--format", "json", *args)
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


def _codes(report: dict[str, Any]) -> set[str]:
    return {finding["code"] for finding in report["findings"]}


class TestExitCodes:
    def test_exit_0_when_project_is_clean(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": CLEAN})

        result = invoke("check", project)

        assert result.exit_code == 0, result.output
        assert "All clear: no findings in 1 file; 0 silenced." in result.stdout

    def test_exit_1_when_there_are_findings(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        result = invoke("check", project)

        assert result.exit_code == 1
        assert "MED101" in result.stdout

    def test_exit_0_with_findings_when_exit_zero_is_given(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        result = invoke("check", "--exit-zero", project)

        assert result.exit_code == 0
        assert "MED101" in result.stdout

    def test_exit_1_on_warnings_by_default(self, make_project: MakeProject) -> None:
        project = make_project({"tasks.py": DANGLING})

        result = invoke("check", project)

        assert result.exit_code == 1
        assert "[warning]" in result.stdout

    def test_exit_0_on_warnings_when_fail_level_is_error(self, make_project: MakeProject) -> None:
        project = make_project({"tasks.py": DANGLING})

        result = invoke("check", "--fail-level", "error", project)

        assert result.exit_code == 0
        assert "MED105" in result.stdout  # still reported, only not failing

    def test_exit_1_on_errors_when_fail_level_is_error(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING, "tasks.py": DANGLING})

        result = invoke("check", "--fail-level", "ERROR", project)

        assert result.exit_code == 1

    def test_exit_0_on_errors_when_fail_level_is_critical(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        assert invoke("check", "--fail-level", "critical", project).exit_code == 0

    def test_fail_level_is_read_from_pyproject(self, make_project: MakeProject) -> None:
        project = make_project(
            {
                "pyproject.toml": '[tool.fastapi-medic]\nfail-level = "error"\n',
                "tasks.py": DANGLING,
            }
        )

        assert invoke("check", project).exit_code == 0
        assert invoke("check", "--fail-level", "warning", project).exit_code == 1

    def test_checks_the_current_directory_when_no_path_is_given(
        self, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(make_project({"app.py": BLOCKING}))

        result = invoke("check")

        assert result.exit_code == 1
        assert result.stdout.startswith("app.py\n")


class TestSelection:
    @pytest.mark.parametrize(
        ("options", "expected"),
        [
            ([], {"MED101", "MED105"}),
            (["--select", "MED1"], {"MED101", "MED105"}),
            (["--select", "MED10"], {"MED101", "MED105"}),
            (["--select", "MED101"], {"MED101"}),
            (["--select", "med105"], {"MED105"}),
            (["--select", "MED101,MED105"], {"MED101", "MED105"}),
            (["--select", "MED101", "--select", "MED105"], {"MED101", "MED105"}),
            (["--select", "MED9"], set()),
            (["--ignore", "MED1"], set()),
            (["--ignore", "MED105"], {"MED101"}),
            (["--select", "MED1", "--ignore", "MED105"], {"MED101"}),
            (["--select", "MED101", "--ignore", "MED1"], {"MED101"}),  # the longest selector wins
            (["--select", "MED101", "--extend-select", "MED105"], {"MED101", "MED105"}),
        ],
    )
    def test_select_and_ignore_by_code_or_prefix(
        self, make_project: MakeProject, options: list[str], expected: set[str]
    ) -> None:
        project = make_project({"app.py": BLOCKING, "tasks.py": DANGLING})

        _, report = _json_report(*options, str(project))

        # Only the two planted codes count: rules added later may see more in the snippets.
        assert _codes(report) & {"MED101", "MED105"} == expected

    def test_command_line_select_replaces_the_configured_one(
        self, make_project: MakeProject
    ) -> None:
        project = make_project(
            {
                "pyproject.toml": '[tool.fastapi-medic]\nselect = ["MED105"]\n',
                "app.py": BLOCKING,
                "tasks.py": DANGLING,
            }
        )

        assert _codes(_json_report(str(project))[1]) == {"MED105"}
        assert _codes(_json_report("--select", "MED101", str(project))[1]) == {"MED101"}

    def test_noqa_silences_a_finding_and_the_footer_counts_it(
        self, make_project: MakeProject
    ) -> None:
        source = BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa: MED101")
        project = make_project({"app.py": source})

        result = invoke("check", project)

        assert result.exit_code == 0
        assert "All clear: no findings in 1 file; 1 silenced." in result.stdout

    def test_malformed_code_is_rejected(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": CLEAN})

        result = invoke("check", "--select", "XYZ", project)

        assert result.exit_code == 2
        assert result.stderr.startswith("error: command line: --select")
        assert "XYZ" in result.stderr


class TestFormats:
    def test_text_report_shows_location_code_message_and_fix(
        self, make_project: MakeProject
    ) -> None:
        project = make_project({"app.py": BLOCKING})
        line = line_of(BLOCKING, "time.sleep")

        result = invoke("check", project)

        assert result.stdout.splitlines()[:3] == [
            "app.py",
            f"  {line}:5  MED101  Blocking sleep `time.sleep` in async `slow`  [error]",
            "    fix: Use `await asyncio.sleep(...)`",
        ]
        assert "Found 1 finding (1 error) in 1 file; 0 silenced." in result.stdout

    def test_json_report_has_version_1_and_relative_paths(self, make_project: MakeProject) -> None:
        project = make_project({"app/routes.py": BLOCKING, "app/__init__.py": ""})

        exit_code, report = _json_report(str(project))

        assert exit_code == 1
        assert report["version"] == 1
        assert report["tool"] == {"name": "fastapi-medic", "version": __version__}
        assert report["command"] == "check"
        assert Path(report["root"]) == project.resolve()
        assert report["files"] == 2
        [finding] = report["findings"]
        assert finding["code"] == "MED101"
        assert finding["location"]["path"] == "app/routes.py"
        assert finding["location"]["line"] == line_of(BLOCKING, "time.sleep")
        assert all(
            frame["path"] is None or not Path(frame["path"]).is_absolute()
            for frame in finding["chain"]
        )

    def test_json_report_matches_its_schema(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING, "tasks.py": DANGLING})

        _, report = _json_report(str(project))

        Draft202012Validator(load_schema()).validate(report)

    def test_sarif_report_parses_and_names_the_rules(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        result = invoke("check", "--format", "sarif", project)

        assert result.exit_code == 1
        log = json.loads(result.stdout)
        assert log["version"] == "2.1.0"
        [run] = log["runs"]
        assert [r["ruleId"] for r in run["results"]] == ["MED101"]
        location = run["results"][0]["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "app.py"
        assert location["region"]["startLine"] == line_of(BLOCKING, "time.sleep")
        assert "MED101" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}

    def test_github_format_writes_workflow_annotations(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})
        line = line_of(BLOCKING, "time.sleep")

        result = invoke("check", "--format", "github", project)

        assert result.stdout.startswith(f"::error file=app.py,line={line},col=5,")

    def test_output_option_writes_the_report_to_a_file(
        self, make_project: MakeProject, tmp_path: Path
    ) -> None:
        project = make_project({"app.py": BLOCKING})
        target = tmp_path / "report.json"

        result = invoke("check", "--format", "json", "-o", target, project)

        assert result.exit_code == 1
        assert result.stdout == ""
        assert _codes(json.loads(target.read_text(encoding="utf-8"))) == {"MED101"}

    def test_output_file_gets_no_colour_codes(
        self, make_project: MakeProject, tmp_path: Path
    ) -> None:
        project = make_project({"app.py": BLOCKING})
        target = tmp_path / "report.txt"

        invoke("check", "--output", target, project)

        text = target.read_text(encoding="utf-8")
        assert "MED101" in text
        assert "\x1b[" not in text

    def test_statistics_counts_findings_per_rule(self, make_project: MakeProject) -> None:
        project = make_project(
            {
                "app.py": textwrap.dedent(BLOCKING)
                + "\n\nasync def again() -> None:\n    time.sleep(2)\n"
            }
        )

        result = invoke("check", "--statistics", "--select", "MED101", project)

        assert result.exit_code == 1
        assert result.stdout.splitlines()[0] == "2  MED101  blocking-call-in-async-function"
        assert "fix:" not in result.stdout

    def test_color_is_forced_on_and_off(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        assert "\x1b[" in invoke("check", "--color", project).stdout
        assert "\x1b[" not in invoke("check", "--no-color", project).stdout

    def test_a_second_run_from_the_cache_reports_the_same(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING, "tasks.py": DANGLING})

        _, first = _json_report(str(project))
        _, second = _json_report(str(project))

        assert first["findings"] == second["findings"]
        assert (project / ".fastapi-medic-cache").is_dir()

    def test_no_cache_leaves_no_cache_directory(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        invoke("check", "--no-cache", project)

        assert not (project / ".fastapi-medic-cache").exists()


class TestExampleApp:
    def test_text_report_shows_the_blocking_calls_documented_in_its_readme(self) -> None:
        # examples/shop/README.md, problems 1a and 1b.
        result = invoke("check", "--no-cache", SHOP)

        assert result.exit_code == 1
        lines = result.stdout.splitlines()
        start = lines.index("app/routers/orders.py")
        section = lines[start + 1 : lines.index("", start)]
        reported = {
            int(m.group(1)) for line in section if (m := re.match(r"  (\d+):\d+  MED101  ", line))
        }
        assert {82, 89} <= reported

    @pytest.mark.parametrize(
        ("family", "expected"),
        [
            pytest.param(
                "MED1",
                {
                    ("MED101", "app/routers/orders.py", 82),
                    ("MED101", "app/routers/orders.py", 89),
                    ("MED102", "app/routers/orders.py", 102),
                    ("MED102", "app/routers/products.py", 75),
                    ("MED103", "app/routers/orders.py", 42),
                    ("MED103", "app/routers/customers.py", 88),
                },
                id="async",
            ),
            pytest.param(
                "MED2",
                {
                    ("MED201", "app/repositories/orders.py", 14),
                    ("MED202", "app/routers/customers.py", 38),
                    ("MED203", "app/routers/health.py", 22),
                },
                id="sessions-and-engines",
            ),
            pytest.param(
                "MED3",
                {
                    ("MED301", "app/routers/products.py", 61),
                    ("MED304", "app/routers/products.py", 20),
                },
                id="dependencies-and-settings",
            ),
        ],
    )
    def test_json_report_of_each_family_names_the_planted_problems(
        self, family: str, expected: set[tuple[str, str, int]]
    ) -> None:
        # examples/shop/README.md lists these problems with their files and lines.
        done = run_module("check", "--no-cache", "--select", family, "--format", "json", SHOP)

        report = json.loads(done.stdout)
        found = {
            (f["code"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]
        }
        assert expected <= found
        assert all(code.startswith(family) for code, _, _ in found)


class TestConsoleScript:
    def test_python_m_exits_0_on_a_clean_project(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": CLEAN})

        done = run_module("check", "--no-cache", ".", cwd=project)

        assert done.returncode == 0, done.stderr
        assert "All clear" in done.stdout

    def test_python_m_exits_1_with_findings(self, make_project: MakeProject) -> None:
        project = make_project({"app.py": BLOCKING})

        done = run_module("check", "--no-cache", "--format", "json", project)

        assert done.returncode == 1, done.stderr
        assert _codes(json.loads(done.stdout)) == {"MED101"}
        assert done.stderr == ""
