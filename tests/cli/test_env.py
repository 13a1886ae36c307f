"""``fastapi-medic env check | snapshot | diff``: exit codes, formats, every code end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the lock file

from fastapi_medic.cli import root
from fastapi_medic.output.json import load_schema

from ._projects import SHOP, invoke, run_module

PROJECTS = Path(__file__).resolve().parents[1] / "env" / "projects"

#: One fixture project per code: `env check --format json` on it reports that code.
CODE_PROJECTS = {
    "MED601": "docker-module-unresolvable",
    "MED602": "attribute-missing",
    "MED603": "app-not-asgi",
    "MED604": "factory-without-flag",
    "MED605": "loopback-in-container",
    "MED606": "port-unexpanded-exec-form",
    "MED607": "procfile-port-ignored",
    "MED608": "reload-in-procfile",
    "MED609": "entrypoints-disagree",
    "MED611": "gunicorn-wsgi-worker",
    "MED620": "python-pin-differs",
    "MED621": "python-sources-disagree",
    "MED622": "render-python-version-float",
    "MED623": "procfile-python-unpinned",
    "MED630": "requirements-package-missing",
    "MED631": "requirements-version-differs",
    "MED632": "import-undeclared",
    "MED633": "optional-form-missing",
    "MED634": "platform-only-pin",
    "MED635": "psycopg2-on-slim-image",
    "MED640": "env-required-unset",
    "MED641": "database-url-unparseable",
    "MED642": "database-url-postgres-scheme",
    "MED643": "database-driver-missing",
    "MED644": "database-url-sync-for-async-engine",
    "MED645": "database-url-sslmode-asyncpg",
    "MED646": "compose-database-localhost",
    "MED647": "sqlite-relative-in-container",
    "MED648": "env-value-empty",
    "MED649": "debug-false-string",
    "MED699": "config-unparsable",
}


def _json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = invoke("env", "check", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(("code", "project"), sorted(CODE_PROJECTS.items()))
def test_code_is_reported_end_to_end_when_project_breaks_it(code: str, project: str) -> None:
    exit_code, report = _json(PROJECTS / project, "--fail-level", "info")

    assert code in {f["code"] for f in report["findings"]}
    assert exit_code == 1


def test_import_failure_is_reported_end_to_end_when_import_is_given(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: uvicorn main:app --host 0.0.0.0 --port $PORT\n")
    (tmp_path / "main.py").write_text("import not_installed_anywhere_medic\napp = None\n")

    exit_code, report = _json(tmp_path, "--import")

    assert "MED610" in {f["code"] for f in report["findings"]}
    assert exit_code == 1


def test_exit_0_when_project_is_clean() -> None:
    result = invoke("env", "check", PROJECTS / "docker-copy-subdir-clean")

    assert result.exit_code == 0, result.output


def test_json_report_matches_the_published_schema() -> None:
    _, report = _json(SHOP)

    Draft202012Validator(load_schema()).validate(report)
    assert report["command"] == "env check"
    assert all(f["source"] == "env" for f in report["findings"])


def test_bundled_example_shows_start_command_and_driver_problems() -> None:
    _, report = _json(SHOP)

    codes = {f["code"] for f in report["findings"]}
    assert {"MED601", "MED605", "MED606", "MED608", "MED609", "MED643"} <= codes


def test_fail_level_error_ignores_warnings() -> None:
    result = invoke("env", "check", PROJECTS / "reload-in-procfile", "--select", "MED608",
                    "--fail-level", "error")  # fmt: skip

    assert result.exit_code == 0
    assert "MED608" in result.stdout


def test_ignore_silences_a_code_and_counts_it() -> None:
    _, report = _json(PROJECTS / "loopback-in-container", "--ignore", "MED605")

    assert "MED605" not in {f["code"] for f in report["findings"]}
    assert report["silenced"] == 1


@pytest.mark.parametrize("fmt", ["sarif", "github", "text"])
def test_other_formats_name_the_code(fmt: str) -> None:
    result = invoke("env", "check", PROJECTS / "loopback-in-container", "--format", fmt)

    assert result.exit_code == 1
    assert "MED605" in result.stdout


def test_exit_2_with_a_message_when_path_is_not_a_directory(tmp_path: Path) -> None:
    result = invoke("env", "check", tmp_path / "missing")

    assert result.exit_code == 2
    assert "not a directory" in result.stderr
    assert "Traceback" not in result.output


def test_exit_2_when_python_interpreter_cannot_run(tmp_path: Path) -> None:
    result = invoke("env", "check", tmp_path, "--python", str(tmp_path / "nopython"))

    assert result.exit_code == 2
    assert "--python" in result.stderr


def test_snapshot_is_written_atomically_to_the_output_file(tmp_path: Path) -> None:
    output = tmp_path / "snap.json"

    result = invoke("env", "snapshot", SHOP, "-o", output)

    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text())["schema_version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]


def test_existing_file_is_kept_when_snapshot_cannot_be_taken(tmp_path: Path) -> None:
    output = tmp_path / "snap.json"
    output.write_text("previous")

    result = invoke("env", "snapshot", tmp_path / "missing", "-o", output)

    assert result.exit_code == 2
    assert output.read_text() == "previous"


def test_snapshot_goes_to_stdout_without_output_option() -> None:
    result = invoke("env", "snapshot", SHOP)

    assert result.exit_code == 0
    assert result.stdout.startswith('{\n  "schema_version": 1')


def test_diff_exits_1_and_lists_what_matters_first(tmp_path: Path) -> None:
    a, b = tmp_path / "local.json", tmp_path / "prod.json"
    invoke("env", "snapshot", SHOP, "-o", a)
    data = json.loads(a.read_text())
    data["python"].update(version="3.99.0", minor="3.99")
    data["packages"]["fastapi"]["version"] = "0.1.0"
    b.write_text(json.dumps(data))

    text = invoke("env", "diff", a, b)
    as_json = invoke("env", "diff", a, b, "--format", "json")

    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0] == "Differences that matter:"
    assert lines[1].split()[:2] == ["python", "version:"]
    differences = json.loads(as_json.stdout)["differences"]
    assert [d["subject"] for d in differences[:2]] == ["version", "fastapi"]


def test_diff_exits_0_when_snapshots_match(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    invoke("env", "snapshot", SHOP, "-o", a)

    result = invoke("env", "diff", a, a)

    assert result.exit_code == 0
    assert result.stdout == "No differences.\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [("garbage", "not a JSON snapshot"), ('{"schema_version": 7}', "schema version 7")],
)
def test_diff_exits_2_when_a_file_is_not_a_snapshot(
    tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)

    result = invoke("env", "diff", bad, bad)

    assert result.exit_code == 2
    assert message in result.stderr


def test_env_check_runs_as_a_module_from_a_shell() -> None:
    done = run_module("env", "check", PROJECTS / "loopback-in-container", "--select", "MED605")

    assert done.returncode == 1
    assert "MED605" in done.stdout


def test_another_interpreter_is_inspected_when_python_is_given(tmp_path: Path) -> None:
    import sys

    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")

    _, report = _json(tmp_path, "--python", sys.executable)

    assert [f["code"] for f in report["findings"]] == ["MED630"]


CMD = 'CMD ["uvicorn", "main:app"]\n'


def test_noqa_silences_a_finding_above_a_dockerfile_line_and_on_a_yaml_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n# noqa: MED605\n{CMD}"
    )
    (tmp_path / "render.yaml").write_text(
        "services:\n  - type: web\n    runtime: python\n"
        "    startCommand: uvicorn main:app --port $PORT  # noqa: MED605\n"
    )

    exit_code, report = _json(tmp_path, "--select", "MED605")

    assert report["findings"] == []
    assert report["silenced"] == 2
    assert exit_code == 0


def test_noqa_for_another_code_does_not_silence(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n# noqa: MED606\n{CMD}"
    )

    _, report = _json(tmp_path, "--select", "MED605")

    assert [f["code"] for f in report["findings"]] == ["MED605"]


def test_environment_value_is_named_as_subject_when_no_file_sets_it(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\nsqlalchemy\n")
    (tmp_path / "main.py").write_text(
        "import os\n\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine(os.environ["DATABASE_URL"])\n'
    )
    environ = {"DATABASE_URL": "postgresql+asyncpg://db.internal/shop"}

    result = CliRunner().invoke(
        root, ["env", "check", str(tmp_path), "--format", "json", "--select", "MED643"], env=environ
    )
    report = json.loads(result.stdout)

    Draft202012Validator(load_schema()).validate(report)
    (finding,) = report["findings"]
    assert finding["subject"] == "env DATABASE_URL"
    assert finding["location"] is None
