"""``fastapi-medic logs``: exit codes, formats, standard input, bad input, every code end to end."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the lock file

from fastapi_medic.output.json import load_schema

from ._projects import invoke

SAMPLES = Path(__file__).parent.parent / "logs" / "samples"

#: one sample per code, where that code is found
BY_CODE = {
    "MED801": "kubectl_prefix.log",
    "MED802": "event_loop.log",
    "MED803": "session_state.log",
    "MED804": "probe_sink.jsonl",
    "MED805": "import_errors.log",
    "MED806": "config_errors.log",
    "MED807": "uvicorn_real_failures.log",
    "MED808": "gunicorn_workers.log",
    "MED809": "logging_error.log",
    "MED810": "python_logging_default.log",
    "MED811": "blind_spot.log",
}
CLEAN = SAMPLES / "uvicorn_clean_startup.log"


def _json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = invoke("logs", "--format", "json", *args)
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


class TestExitCodes:
    def test_exit_0_when_the_log_shows_no_failure(self) -> None:
        result = invoke("logs", CLEAN)

        assert result.exit_code == 0, result.output
        assert "No failures found (1 file, 17 lines)." in result.stdout

    def test_exit_1_when_failures_are_found(self) -> None:
        result = invoke("logs", SAMPLES / "blind_spot.log")

        assert result.exit_code == 1, result.output

    def test_exit_zero_flag_keeps_exit_0_with_failures(self) -> None:
        assert invoke("logs", "--exit-zero", SAMPLES / "blind_spot.log").exit_code == 0

    def test_fail_level_above_every_finding_exits_0(self) -> None:
        result = invoke("logs", "--fail-level", "critical", SAMPLES / "session_state.log")

        assert result.exit_code == 0, result.output

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["/nonexistent/app.log"], "no such file"),
            (["/nonexistent/*.log"], "no file matches"),
            (["--since", "last tuesday", str(CLEAN)], "not a time"),
        ],
    )
    def test_exit_2_with_one_line_message_when_input_is_bad(
        self, args: list[str], message: str
    ) -> None:
        result = invoke("logs", *args)

        assert result.exit_code == 2
        assert message in result.stderr
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1

    def test_exit_2_when_the_source_is_a_directory(self, tmp_path: Path) -> None:
        result = invoke("logs", tmp_path)

        assert result.exit_code == 2
        assert "is a directory" in result.stderr

    def test_exit_2_when_a_gzip_file_is_cut_short(self, tmp_path: Path) -> None:
        path = tmp_path / "cut.log.gz"
        path.write_bytes(gzip.compress(CLEAN.read_bytes() * 50)[:100])

        result = invoke("logs", path)

        assert result.exit_code == 2
        assert "cannot read" in result.stderr

    def test_binary_file_is_read_without_a_crash(self, tmp_path: Path) -> None:
        path = tmp_path / "core"
        path.write_bytes(bytes(range(256)) * 4000 + b"\x00Traceback\xff\n")

        result = invoke("logs", path)

        assert result.exit_code in (0, 1)
        assert "failed unexpectedly" not in result.stderr


class TestCodesEndToEnd:
    @pytest.mark.parametrize(("code", "name"), sorted(BY_CODE.items()))
    def test_code_is_reported_in_json_for_its_sample(self, code: str, name: str) -> None:
        exit_code, report = _json(SAMPLES / name)

        assert exit_code == 1
        assert code in {finding["code"] for finding in report["findings"]}

    def test_clean_log_reports_no_code(self) -> None:
        exit_code, report = _json(CLEAN, SAMPLES / "handled_noise.log")

        assert (exit_code, report["findings"]) == (0, [])


class TestFormats:
    def test_json_report_is_valid_against_the_schema(self) -> None:
        _, report = _json(SAMPLES / "uvicorn_real_failures.log")

        Draft202012Validator(load_schema()).validate(report)
        assert report["command"] == "logs"
        finding = next(f for f in report["findings"] if f["code"] == "MED801")
        assert finding["source"] == "logs"
        assert finding["cause"] == "pool-exhaustion"
        assert finding["location"]["line"] == 120
        assert finding["evidence"]["user_frame"] == "/app/main.py:41 in leak"

    def test_text_report_puts_the_most_severe_group_first(self) -> None:
        result = invoke("logs", SAMPLES / "uvicorn_real_failures.log")

        lines = result.stdout.splitlines()
        assert lines[0] == "1. MED801 pool-exhaustion x1 [critical]"
        assert (
            lines[1] == "   Connection pool exhausted: requests timed out waiting for a connection"
        )
        assert "   your frame: /app/main.py:41 in leak" in lines
        assert lines[-2].startswith("Found 8 failure groups (1 critical, 7 error)")

    def test_text_report_puts_the_most_frequent_group_first_among_equals(self) -> None:
        result = invoke("logs", SAMPLES / "uvicorn_real_failures.log")

        headers = [line for line in result.stdout.splitlines() if line[:1].isdigit()]
        assert headers[1] == "2. MED810 unhandled x2 [error]"

    def test_sarif_report_lists_the_log_rules(self) -> None:
        result = invoke("logs", "--format", "sarif", SAMPLES / "blind_spot.log")

        sarif = json.loads(result.stdout)
        rules = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
        assert set(BY_CODE) <= rules
        assert sarif["runs"][0]["results"][0]["ruleId"] == "MED811"

    def test_github_format_annotates_the_log_line(self) -> None:
        result = invoke("logs", "--format", "github", SAMPLES / "blind_spot.log")

        assert result.stdout.startswith("::error file=")
        assert ",line=4," in result.stdout

    def test_output_file_receives_the_report(self, tmp_path: Path) -> None:
        target = tmp_path / "report.json"

        result = invoke("logs", "--format", "json", "-o", target, SAMPLES / "blind_spot.log")

        assert result.exit_code == 1
        assert json.loads(target.read_text())["findings"][0]["code"] == "MED811"


class TestSources:
    def test_dash_reads_standard_input(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "fastapi_medic", "logs", "--format", "json", "-"],
            input=(SAMPLES / "server_bind.log").read_text(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert done.returncode == 1, done.stderr
        report = json.loads(done.stdout)
        assert report["findings"][0]["location"]["path"] == "<stdin>"

    def test_gzip_file_is_read_like_the_plain_one(self, tmp_path: Path) -> None:
        packed = tmp_path / "api.log.gz"
        packed.write_bytes(gzip.compress((SAMPLES / "gunicorn_workers.log").read_bytes()))

        _, plain = _json(SAMPLES / "gunicorn_workers.log")
        _, unpacked = _json(packed)

        assert [f["evidence"]["count"] for f in unpacked["findings"]] == [
            f["evidence"]["count"] for f in plain["findings"]
        ]

    def test_since_keeps_only_later_failures(self) -> None:
        _, report = _json("--since", "2026-11-25T10:03:00Z", SAMPLES / "gunicorn_workers.log")

        assert [f["evidence"]["count"] for f in report["findings"]] == [1]


class TestSecrets:
    SECRET = "Sup3rS3cretPw"

    @pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
    def test_password_from_the_log_is_not_printed(self, fmt: str) -> None:
        result = invoke("logs", "--format", fmt, SAMPLES / "config_errors.log")

        assert result.exit_code == 1
        assert "url-parse" in result.stdout or "parsed" in result.stdout
        assert self.SECRET not in result.output

    @pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
    def test_token_in_a_failing_url_is_not_printed(self, tmp_path: Path, fmt: str) -> None:
        log = tmp_path / "access.log"
        log.write_text(
            'INFO:     10.0.0.1:5 - "GET /reset?token=Zq9xTokenValue77 HTTP/1.1" 500 Internal\n'
            'INFO:     10.0.0.1:6 - "GET /login?api_key=Kk1ApiKeyValue99 HTTP/1.1" 500 Internal\n'
        )

        result = invoke("logs", "--format", fmt, log)

        assert result.exit_code == 1
        assert "Zq9xTokenValue77" not in result.output
        assert "Kk1ApiKeyValue99" not in result.output
