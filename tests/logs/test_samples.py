"""Every sample log gives exactly the failure groups written next to it here.

Each sample is a log as a server or a platform writes it; the expectation is the set of
``(code, pattern, count, your frame)`` the triage must report, no more, no less.
"""

from __future__ import annotations

import pytest

from fastapi_medic.logs import scan

from ._helpers import brief, sample

EXPECTED: dict[str, set[tuple[str, object, object, object]]] = {
    "uvicorn_clean_startup.log": set(),
    "handled_noise.log": set(),
    "uvicorn_real_failures.log": {
        ("MED801", "queuepool-limit", 1, "/app/main.py:41 in leak"),
        ("MED810", "unhandled", 2, "/app/main.py:36 in price"),
        ("MED802", "missing-greenlet", 1, "/app/main.py:49 in me"),
        ("MED807", "response-validation", 1, "/app/main.py:54 in profile"),
        ("MED810", "unhandled", 1, "/app/main.py:60 in fetch"),
        ("MED810", "unhandled", 1, "/app/main.py:73 in chain"),
        ("MED804", "missing-argument", 1, "/app/main.py:80 in dep"),
        ("MED806", "environment-variable-missing", 1, "/app/main.py:84 in env"),
    },
    "gunicorn_workers.log": {
        ("MED808", "worker-timeout", 2, None),
        ("MED808", "out-of-memory", 1, None),
    },
    "journald_interleaved.log": {
        ("MED801", "queuepool-limit", 1, "/srv/shop/app/api/items.py:21 in list_items"),
        ("MED803", "pending-rollback", 1, "/srv/shop/app/api/orders.py:58 in create_order"),
    },
    "compose_interleaved.log": {
        ("MED803", "detached-instance", 1, "/code/app/routers/users.py:33 in read_user"),
        ("MED802", "loop-closed", 1, "/code/app/routers/reports.py:12 in monthly"),
    },
    "kubectl_prefix.log": {
        ("MED801", "server-connection-slots", 2, "/app/src/shop/api/cart.py:77 in checkout"),
    },
    "structlog.jsonl": {
        ("MED803", "detached-instance", 2, "/app/app/services/orders.py:41 in summary"),
        ("MED803", "pending-rollback", 1, "/app/app/api/pay.py:30 in pay"),
    },
    "loguru.jsonl": {
        ("MED805", "circular-import", 1, "/srv/api/app/routers/users.py:2 in <module>"),
    },
    "python_json_logger.jsonl": {
        ("MED807", "serialization", 2, "/workspace/app/routes/export.py:51 in export"),
    },
    "probe_sink.jsonl": {
        ("MED804", "missing-argument", 2, "/app/app/api/me.py:14 in me"),
    },
    "docker_json_file.log": {
        ("MED806", "connection-refused", 1, "/app/db.py:9 in get_session"),
    },
    "blind_spot.log": {("MED811", None, 3, None)},
    "gunicorn_access_blind.log": {("MED811", None, 1, None)},
    "config_errors.log": {
        ("MED806", "settings-validation", 1, "/srv/app/settings.py:14 in get_settings"),
        ("MED806", "url-plugin", 1, "/srv/app/db.py:8 in <module>"),
        ("MED806", "url-parse", 1, "/srv/app/db.py:8 in <module>"),
        ("MED806", "host-not-resolvable", 1, "/srv/app/api/items.py:20 in list_items"),
    },
    "import_errors.log": {
        ("MED805", "asgi-import", 1, None),
        ("MED805", "module-not-found", 1, "/app/src/api/main.py:4 in <module>"),
    },
    "event_loop.log": {
        ("MED802", "slow-callback", 1, None),
        ("MED802", "task-destroyed-pending", 1, None),
        ("MED802", "never-awaited", 1, None),
        ("MED802", "loop-closed", 1, "/app/app/jobs.py:30 in refresh_prices"),
    },
    "session_state.log": {
        ("MED803", "concurrent-session-use", 1, "/app/app/api/report.py:19 in totals"),
        ("MED803", "connection-closed", 1, "/app/app/api/report.py:40 in daily"),
    },
    "logging_error.log": {("MED809", "logging-error", 1, None)},
    "server_bind.log": {("MED808", "address-in-use", 3, None)},
    "nginx_error.log": {
        ("MED808", "proxy-timeout", 2, None),
        ("MED808", "upstream-gone", 1, None),
    },
    "python_logging_default.log": {
        ("MED810", "unhandled", 1, "/opt/svc/cache.py:12 in fetch"),
        ("MED803", "connection-closed", 1, None),
        ("MED801", "connection-garbage-collected", 1, None),
    },
}


def test_every_sample_has_an_expectation() -> None:
    names = {path.name for path in sample("blind_spot.log").parent.iterdir()}

    assert names == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gives_its_expected_groups(name: str) -> None:
    result = scan([sample(name)])

    assert {brief(f) for f in result.findings()} == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gives_the_same_groups_when_read_from_a_stream(name: str) -> None:
    with sample(name).open("rb") as stream:
        result = scan(stream)

    assert {brief(f) for f in result.findings()} == EXPECTED[name]


def test_real_uvicorn_log_locates_each_group_at_its_first_error_line() -> None:
    result = scan([sample("uvicorn_real_failures.log")])

    lines = {f.evidence["pattern"]: f.location.line for f in result.findings() if f.location}
    assert lines["queuepool-limit"] == 120
    assert lines["environment-variable-missing"] == 636


def test_timestamps_of_a_group_are_its_first_and_last_occurrence() -> None:
    result = scan([sample("gunicorn_workers.log")])

    timeout = next(f for f in result.findings() if f.evidence["pattern"] == "worker-timeout")
    assert timeout.evidence["first_seen"] == "2026-11-25T10:01:02+00:00"
    assert timeout.evidence["last_seen"] == "2026-11-25T10:05:40+00:00"


def test_routes_of_json_records_are_counted_per_group() -> None:
    result = scan([sample("probe_sink.jsonl")])

    (finding,) = result.findings()
    assert finding.evidence["routes"] == "GET /me (2)"
    assert finding.evidence["request_id"] == "b2"
