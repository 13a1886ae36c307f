"""``load`` serves the real app (in-process or uvicorn on 127.0.0.1) and reports what breaks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fastapi_medic.errors import AppImportError, UsageError
from fastapi_medic.findings import Finding, Location
from fastapi_medic.live.curl import RequestSpec, parse_request
from fastapi_medic.live.load import LoadResult, load, percentile
from fastapi_medic.live.load_report import load_dict, load_html, load_text

AppDir = Callable[[str], Path]


def _by_code(result: LoadResult, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


def _assert_leak_and_stall(result: LoadResult) -> None:
    leaks = _by_code(result, "MED721")
    assert [(f.subject, f.location) for f in leaks] == [("GET /report", Location("main.py", 41))]
    stalls = _by_code(result, "MED730")
    # A stall outside any request (a slow first connection, the machine busy) may come too.
    assert ("GET /slow", Location("main.py", 48)) in [(f.subject, f.location) for f in stalls]
    assert [f.subject for f in stalls if f.subject and f.subject.startswith("GET ")] == [
        "GET /slow"
    ]
    assert result.instrumented
    assert max(int(s["checked_out"]) for s in result.pool) >= 1


def test_finds_the_leaking_and_the_blocking_route_when_served_by_uvicorn(
    app_dir: AppDir,
) -> None:
    result = load(app_dir("leaky"), requests=30, concurrency=4, server="uvicorn")

    assert result.server.startswith("uvicorn on 127.0.0.1:")
    assert [(r.route, r.requests, r.errors) for r in result.routes] == [
        ("GET /items", 10, 0),
        ("GET /report", 10, 0),
        ("GET /slow", 10, 0),
    ]
    _assert_leak_and_stall(result)


@pytest.mark.postgres
def test_finds_the_leaking_and_the_blocking_route_when_the_database_is_postgresql(
    app_dir: AppDir, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    scheme, rest = pg_url.split("://", 1)
    monkeypatch.setenv("FASTAPI_MEDIC_TEST_DB_URL", f"{scheme.split('+')[0]}+psycopg://{rest}")

    result = load(app_dir("leaky"), requests=30, concurrency=4, server="uvicorn")

    assert result.errors == ()
    _assert_leak_and_stall(result)
    assert "postgresql" in str(result.pool[0]["engine"])


def test_finds_leaks_and_stalls_in_process_too(app_dir: AppDir) -> None:
    result = load(app_dir("leaky"), requests=15, concurrency=3)

    assert result.server == "in-process"
    _assert_leak_and_stall(result)


def test_reports_nothing_when_only_the_clean_route_is_loaded(app_dir: AppDir) -> None:
    result = load(app_dir("leaky"), routes=[RequestSpec("GET", "/items")], requests=20)

    assert [r.route for r in result.routes] == ["GET /items"]
    assert result.findings == ()
    assert result.overall.errors == 0


def test_groups_errors_by_route_and_cause_when_routes_fail(app_dir: AppDir) -> None:
    result = load(app_dir("failing"), requests=12, concurrency=2)

    causes = {(g.route, g.cause, g.count, g.location) for g in result.errors}
    assert causes == {
        ("GET /users/me", "KeyError", 4, "main.py:42"),
        ("GET /profile", "ResponseValidationError", 4, "main.py:57"),
    }
    assert {f.subject for f in _by_code(result, "MED855")} == {"GET /users/me", "GET /profile"}


def test_stops_at_the_request_count_when_it_comes_first(app_dir: AppDir) -> None:
    result = load(app_dir("leaky"), routes=[RequestSpec("GET", "/items")], requests=7)

    assert (result.requests, result.stopped_by) == (7, "requests")


def test_stops_at_the_deadline_when_it_comes_first(app_dir: AppDir) -> None:
    routes = [RequestSpec("GET", "/slow")]

    result = load(app_dir("leaky"), routes=routes, requests=500, concurrency=1, duration=0.5)

    assert result.stopped_by == "duration"
    assert result.requests < 500


def test_sends_to_the_app_whatever_host_the_route_names(app_dir: AppDir) -> None:
    routes = [parse_request("curl http://example.com/items")]

    result = load(app_dir("leaky"), routes=routes, requests=3, server="uvicorn")

    assert result.routes[0].statuses == {"200": 3}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"requests": 0}, "requests must be between 1 and 10000"),
        ({"requests": 10_001}, "requests must be between 1 and 10000"),
        ({"concurrency": 101}, "concurrency must be between 1 and 100"),
        ({"duration": 301.0}, "duration must be above 0 and at most 300"),
        ({"server": "remote"}, "use in-process or uvicorn"),
    ],
)
def test_refuses_a_load_beyond_the_hard_bounds(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        load(tmp_path, **options)  # type: ignore[arg-type]


def test_raises_app_import_error_when_the_app_cannot_import(app_dir: AppDir) -> None:
    with pytest.raises(AppImportError, match="cannot import main: KeyError"):
        load(app_dir("broken_import"), requests=1)


def test_renders_text_json_and_a_self_contained_html_page(app_dir: AppDir) -> None:
    result = load(app_dir("leaky"), requests=9, concurrency=3)

    text = "\n".join(load_text(result))
    page = load_html(result)
    data = load_dict(result)
    assert "event-loop stalls:" in text
    assert "leaks per route:" in text
    assert page.count("<svg") == 2
    assert "<script" not in page
    assert data["requests"] == 9
    assert set(data["overall"]["percentiles"]) == {"p50", "p90", "p95", "p99"}


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        ([], 50, 0.0),
        ([1.0], 99, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 99, 4.0),
    ],
)
def test_percentiles_use_the_nearest_rank(values: list[float], pct: int, expected: float) -> None:
    assert percentile(values, pct) == expected


SECRET_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/charge")
def charge() -> dict[str, str]:
    raise RuntimeError("card rejected: api_key=planted-key-123 password=planted-pw-456")
"""


def test_masks_secrets_of_error_messages_in_every_format_when_routes_fail(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.py").write_text(SECRET_APP, encoding="utf-8")

    result = load(tmp_path, requests=3, concurrency=1)

    assert result.errors[0].cause == "RuntimeError"
    outputs = ["\n".join(load_text(result)), load_html(result), str(load_dict(result))]
    outputs += [str(f) for f in result.findings]
    for output in outputs:
        assert "planted-key-123" not in output
        assert "planted-pw-456" not in output
