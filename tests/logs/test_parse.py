"""Line parsing: container prefixes, timestamps, record headers and access-log statuses."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from fastapi_medic.logs.parse import (
    AccessHit,
    access_status,
    is_record,
    parse_line,
    parse_timestamp,
    record_timestamp,
    strip_ansi,
)

UTC = timezone.utc


class TestPrefixes:
    def test_compose_prefix_names_the_stream_when_line_comes_from_docker_compose(self) -> None:
        line = parse_line("api-1  | INFO:     Started server process [1]")

        assert (line.key, line.text) == ("api-1", "INFO:     Started server process [1]")

    def test_kubectl_prefix_names_pod_and_container_when_prefix_is_on(self) -> None:
        line = parse_line("[pod/api-7d9f-x2/api] Traceback (most recent call last):")

        assert (line.key, line.text) == ("api-7d9f-x2/api", "Traceback (most recent call last):")

    def test_docker_timestamp_is_taken_off_when_logs_were_read_with_timestamps(self) -> None:
        line = parse_line('2026-11-25T10:00:03.120000000Z   File "/app/x.py", line 3, in f')

        assert line.ts == datetime(2026, 11, 25, 10, 0, 3, 120000, UTC)
        assert line.text == '  File "/app/x.py", line 3, in f'

    def test_prefixes_nest_when_compose_shows_timestamps(self) -> None:
        line = parse_line("web-2  | 2026-11-25T10:00:00Z ERROR:    Exception in ASGI application")

        assert line.key == "web-2"
        assert line.ts == datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
        assert line.text == "ERROR:    Exception in ASGI application"

    def test_kubernetes_cri_format_is_unwrapped(self) -> None:
        line = parse_line("2026-11-25T10:00:00.5Z stderr F KeyError: 'x'")

        assert (line.ts is not None, line.text) == (True, "KeyError: 'x'")

    def test_journald_line_names_the_process_when_workers_log_through_systemd(self) -> None:
        line = parse_line('Nov 25 10:00:00 web-1 gunicorn[8]:   File "/srv/a.py", line 1, in f')

        assert line.key == "gunicorn[8]"
        assert line.text == '  File "/srv/a.py", line 1, in f'

    def test_platform_drain_names_the_dyno(self) -> None:
        line = parse_line(
            "2026-11-25T10:00:00.000000+00:00 app[web.1]: Traceback (most recent call last):"
        )

        assert (line.key, line.text) == ("app[web.1]", "Traceback (most recent call last):")

    def test_structlog_console_time_stays_part_of_the_record(self) -> None:
        line = parse_line("2026-11-25T10:00:00.000001Z [error    ] payment failed")

        assert line.key == ""
        assert line.text.startswith("2026-11-25T10:00:00.000001Z [error")

    def test_traceback_frame_is_never_taken_for_a_prefix(self) -> None:
        line = parse_line('  File "/app/main.py", line 3, in handler')

        assert (line.key, line.text) == ("", '  File "/app/main.py", line 3, in handler')

    def test_ansi_colours_are_removed(self) -> None:
        assert strip_ansi("\x1b[31mERROR\x1b[0m:    boom") == "ERROR:    boom"
        assert parse_line("api-1  | \x1b[32mINFO\x1b[0m:     ok").text == "INFO:     ok"


class TestTimestamps:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-11-25 10:00:00,123 ERROR x", datetime(2026, 11, 25, 10, 0, 0, 123000, UTC)),
            ("2026-11-25T10:00:00+02:00", datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)),
            ("25/Nov/2026:10:00:05 +0000", datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC)),
            ("2026/11/25 10:00:05 [error] 7#7: x", datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC)),
        ],
    )
    def test_known_formats_are_read_as_utc(self, text: str, expected: datetime) -> None:
        assert parse_timestamp(text) == expected

    def test_impossible_date_gives_no_time(self) -> None:
        assert parse_timestamp("2026-13-45 10:00:00") is None

    def test_gunicorn_bracketed_time_is_the_record_time(self) -> None:
        ts = record_timestamp("[2026-11-25 10:01:02 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:7)")

        assert ts == datetime(2026, 11, 25, 10, 1, 2, tzinfo=UTC)

    def test_access_log_time_is_the_record_time(self) -> None:
        ts = record_timestamp('10.0.0.5 - - [25/Nov/2026:10:00:06 +0000] "POST / HTTP/1.1" 500 2')

        assert ts == datetime(2026, 11, 25, 10, 0, 6, tzinfo=UTC)


class TestRecords:
    @pytest.mark.parametrize(
        "text",
        [
            "INFO:     Started server process [1]",
            "ERROR:root:could not refresh cache",
            "[2026-11-25 10:00:00 +0000] [1] [INFO] Booting worker",
            "2026-11-25 10:00:00,001 - uvicorn.error - INFO - Started",
            '{"level": "info"}',
            '10.0.0.5 - - [25/Nov/2026:10:00:05 +0000] "GET / HTTP/1.1" 200 5',
            "[error    ] payment failed",
        ],
    )
    def test_record_header_starts_a_new_record(self, text: str) -> None:
        assert is_record(text)

    @pytest.mark.parametrize(
        "text",
        [
            '  File "/app/main.py", line 3, in handler',
            "KeyError: 7",
            "database_url",
            "During handling of the above exception, another exception occurred:",
            "",
        ],
    )
    def test_traceback_lines_are_not_records(self, text: str) -> None:
        assert not is_record(text)


class TestAccessStatus:
    def test_uvicorn_access_line_gives_status_method_and_path(self) -> None:
        hit = access_status('127.0.0.1:50312 - "GET /items/9 HTTP/1.1" 500 Internal Server Error')

        assert hit == AccessHit(500, "GET", "/items/9")

    def test_gunicorn_access_line_gives_its_status(self) -> None:
        hit = access_status(
            '10.0.0.5 - - [25/Nov/2026:10:00:06 +0000] "POST /c HTTP/1.1" 500 21 "-"'
        )

        assert hit == AccessHit(500, "POST", "/c")

    def test_line_without_a_request_gives_no_status(self) -> None:
        assert access_status("GET /items returned 500 because HTTP/ is down") is None
