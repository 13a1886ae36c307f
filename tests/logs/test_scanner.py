"""Streaming: compressed files, standard input, block boundaries, time windows, hostile input."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fastapi_medic.errors import UsageError
from fastapi_medic.logs import parse_when, scan, triage
from fastapi_medic.logs import scanner as scanner_module

from ._helpers import SAMPLES, brief, sample

NAMES = sorted(path.name for path in SAMPLES.iterdir())


def _brief_set(path: Path | str) -> set[tuple[str, object, object, object]]:
    return {brief(f) for f in scan([path]).findings()}


class TestSources:
    @pytest.mark.parametrize(
        ("suffix", "opener"),
        [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)],
    )
    def test_compressed_log_gives_the_same_groups_as_plain(
        self, tmp_path: Path, suffix: str, opener: object
    ) -> None:
        plain = sample("uvicorn_real_failures.log")
        packed = tmp_path / f"api.log{suffix}"
        with opener(packed, "wb") as out:  # type: ignore[operator]
            out.write(plain.read_bytes())

        assert _brief_set(packed) == _brief_set(plain)

    def test_compression_is_recognised_by_content_not_name(self, tmp_path: Path) -> None:
        packed = tmp_path / "download.txt"
        packed.write_bytes(gzip.compress(sample("gunicorn_workers.log").read_bytes()))

        assert _brief_set(packed) == _brief_set(sample("gunicorn_workers.log"))

    def test_glob_reads_every_matching_file_in_order(self, tmp_path: Path) -> None:
        for name in ("a.log", "b.log"):
            (tmp_path / name).write_bytes(sample("blind_spot.log").read_bytes())

        result = scan([str(tmp_path / "*.log")])

        assert result.stats.files == 2
        (finding,) = result.findings()
        assert finding.evidence["count"] == 6

    def test_file_named_twice_is_read_once(self, tmp_path: Path) -> None:
        path = tmp_path / "a.log"
        path.write_bytes(sample("blind_spot.log").read_bytes())

        result = scan([path, str(tmp_path / "*.log")])

        assert result.stats.files == 1

    def test_text_stream_is_read_through_its_buffer(self) -> None:
        data = sample("server_bind.log").read_bytes()
        stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")

        report = triage(stream)

        assert {f.code for f in report.findings} == {"MED808"}
        assert report.findings[0].location is not None
        assert report.findings[0].location.path == "<stdin>"

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda p: p / "missing.log", "no such file"),
            (lambda p: p, "is a directory"),
            (lambda p: p / "*.nothing", "no file matches"),
        ],
    )
    def test_bad_source_is_a_usage_error(self, tmp_path: Path, make: object, message: str) -> None:
        with pytest.raises(UsageError, match=message):
            scan([make(tmp_path)])  # type: ignore[operator]

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
    def test_unreadable_file_is_a_usage_error(self, tmp_path: Path) -> None:
        path = tmp_path / "secret.log"
        path.write_text("x\n")
        path.chmod(0)

        with pytest.raises(UsageError, match="cannot read"):
            scan([path])

    def test_truncated_gzip_is_a_usage_error(self, tmp_path: Path) -> None:
        path = tmp_path / "cut.log.gz"
        path.write_bytes(gzip.compress(b"Traceback (most recent call last):\n" * 2000)[:200])

        with pytest.raises(UsageError, match="cannot read"):
            scan([path])


class TestBlocks:
    @pytest.mark.parametrize("block", [1, 13, 256])
    @pytest.mark.parametrize("name", NAMES)
    def test_results_do_not_depend_on_where_blocks_end(
        self, monkeypatch: pytest.MonkeyPatch, name: str, block: int
    ) -> None:
        expected = [(f.code, f.location, f.evidence) for f in scan([sample(name)]).findings()]
        monkeypatch.setattr(scanner_module, "BLOCK_SIZE", block)

        got = [(f.code, f.location, f.evidence) for f in scan([sample(name)]).findings()]

        assert got == expected

    def test_lines_are_counted_whether_or_not_they_were_parsed(self) -> None:
        result = scan([sample("uvicorn_real_failures.log")])

        assert result.stats.lines == 697
        assert result.stats.parsed_lines < result.stats.lines


class TestTimeWindow:
    def test_since_drops_failures_logged_before(self) -> None:
        result = scan([sample("structlog.jsonl")], since="2026-11-25T10:05:00Z")

        counts = {f.evidence["pattern"]: f.evidence["count"] for f in result.findings()}
        assert counts == {"detached-instance": 1, "pending-rollback": 1}
        assert result.stats.skipped_by_time == 1

    def test_until_drops_failures_logged_after(self) -> None:
        result = scan([sample("gunicorn_workers.log")], until="2026-11-25T10:02:00")

        counts = {f.evidence["pattern"]: f.evidence["count"] for f in result.findings()}
        assert counts == {"worker-timeout": 1, "out-of-memory": 1}

    def test_relative_time_counts_back_from_now(self) -> None:
        now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

        assert parse_when("2h", now) == datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
        assert parse_when("30m", now) == datetime(2026, 11, 25, 11, 30, tzinfo=timezone.utc)

    def test_time_without_zone_is_utc(self) -> None:
        assert parse_when("2026-11-25T10:00") == datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)

    def test_unreadable_time_is_a_usage_error(self) -> None:
        with pytest.raises(UsageError, match="not a time"):
            parse_when("yesterday-ish")


class TestHostileInput:
    """Linear-time design: each line is handled once, cut to a bounded length, and every
    pattern is anchored without overlapping quantifiers. These inputs would take hours on a
    quadratic path; here they must simply finish with a sensible answer."""

    BIG = 10 << 20

    @pytest.mark.parametrize(
        "unit",
        [
            b"a",
            b" ",
            b"Traceback ",
            b"Error ",
            b'" 500',
            b'": 500',
            b"[",
            b"api-1  | ",
            b'  File "x", line 1, in ',
            b"\x1b[",
            b"+-",
            b"| ",
            b"2026-11-25T10:00:00Z ",
        ],
        ids=repr,
    )
    def test_ten_megabyte_line_of_one_pattern_is_read(self, tmp_path: Path, unit: bytes) -> None:
        path = tmp_path / "hostile.log"
        path.write_bytes(unit * (self.BIG // len(unit)) + b"\nKeyError: tail\n")

        result = scan([path])

        assert result.stats.lines == 2

    def test_huge_json_record_is_read_without_error(self, tmp_path: Path) -> None:
        path = tmp_path / "hostile.jsonl"
        payload = '{"message": "' + "Traceback (most recent call last):\\n" * 200_000 + '"}\n'
        path.write_text(payload)

        result = scan([path])

        assert result.stats.lines == 1

    def test_ten_megabyte_traceback_of_frames_stays_bounded(self, tmp_path: Path) -> None:
        frame = b'  File "/usr/lib/python3.11/site-packages/m.py", line 1, in f\n    f()\n'
        path = tmp_path / "deep.log"
        path.write_bytes(
            b"Traceback (most recent call last):\n"
            + frame * (self.BIG // len(frame))
            + b"RecursionError: x\n"
        )

        result = scan([path])

        (finding,) = result.findings()
        assert finding.evidence["exc_type"] == "RecursionError"
        assert len(finding.chain) < 20

    def test_binary_garbage_is_read_without_error(self, tmp_path: Path) -> None:
        rng = random.Random(8)
        path = tmp_path / "core.bin"
        path.write_bytes(
            bytes(rng.getrandbits(8) for _ in range(1 << 20)) + b"Traceback\x00\xff\n" * 50
        )

        result = scan([path])

        assert result.stats.bytes == path.stat().st_size

    def test_traceback_that_never_ends_is_closed_at_the_end_of_the_log(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "cut.log"
        path.write_text('Traceback (most recent call last):\n  File "/app/a.py", line 3, in f\n')

        (finding,) = scan([path]).findings()

        assert finding.evidence["user_frame"] == "/app/a.py:3 in f"


class TestSecrets:
    SECRET = "Sup3rS3cretPw"

    def test_password_in_an_exception_message_never_reaches_a_finding(self) -> None:
        report = triage([sample("config_errors.log")])

        assert self.SECRET in sample("config_errors.log").read_text()
        assert report.findings
        assert self.SECRET not in repr(report.findings)


class TestStreams:
    def test_compressed_standard_input_is_unpacked(self) -> None:
        packed = gzip.compress(sample("server_bind.log").read_bytes())

        result = scan(io.BytesIO(packed))

        assert {f.code for f in result.findings()} == {"MED808"}

    def test_many_short_lived_workers_each_get_their_traceback(self, tmp_path: Path) -> None:
        lines = []
        for pid in range(1000, 1600):
            prefix = f"Nov 25 10:00:00 web-1 gunicorn[{pid}]: "
            lines += [
                f"{prefix}Traceback (most recent call last):",
                f'{prefix}  File "/srv/app/w{pid % 3}.py", line 3, in handle',
                f"{prefix}KeyError: {pid}",
            ]
        path = tmp_path / "workers.log"
        path.write_text("\n".join(lines) + "\n")

        result = scan([path])

        assert result.stats.tracebacks == 600
        assert sorted(g.count for g in result.groups) == [200, 200, 200]

    def test_windows_line_endings_give_the_same_groups(self, tmp_path: Path) -> None:
        plain = sample("uvicorn_real_failures.log")
        crlf = tmp_path / "crlf.log"
        crlf.write_bytes(plain.read_bytes().replace(b"\n", b"\r\n"))

        assert _brief_set(crlf) == _brief_set(plain)

    def test_docker_stdout_lines_inside_a_stderr_traceback_stay_apart(self, tmp_path: Path) -> None:
        import json

        stderr = [
            "Traceback (most recent call last):\n",
            '  File "/app/orders.py", line 9, in pay\n',
            "    charge(order)\n",
            "ValueError: card declined\n",
        ]
        records = [
            {"log": line, "stream": "stderr", "time": "2026-11-25T10:00:00Z"} for line in stderr
        ]
        records.insert(
            2, {"log": "processing order 17\n", "stream": "stdout", "time": "2026-11-25T10:00:00Z"}
        )
        path = tmp_path / "container-json.log"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))

        (finding,) = scan([path]).findings()

        assert finding.evidence["exc_type"] == "ValueError"
        assert finding.evidence["user_frame"] == "/app/orders.py:9 in pay"

    def test_cri_stdout_lines_inside_a_stderr_traceback_stay_apart(self, tmp_path: Path) -> None:
        path = tmp_path / "pod.log"
        path.write_text(
            "2026-11-25T10:00:00.1Z stderr F Traceback (most recent call last):\n"
            '2026-11-25T10:00:00.1Z stderr F   File "/app/orders.py", line 9, in pay\n'
            "2026-11-25T10:00:00.1Z stdout F processing order 17\n"
            "2026-11-25T10:00:00.1Z stderr F     charge(order)\n"
            "2026-11-25T10:00:00.1Z stderr F ValueError: card declined\n"
        )

        (finding,) = scan([path]).findings()

        assert finding.evidence["exc_type"] == "ValueError"
