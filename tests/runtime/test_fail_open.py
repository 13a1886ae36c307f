"""Fault injection on every hook of the middleware, logging, breadcrumbs, emitter and startup.

Each test makes our own code raise and checks three things: the user's request gets exactly
the response it gets without fastapi-medic, the failure is counted, and it is logged once.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import fastapi_medic.runtime.logging as medic_logging
from fastapi_medic.runtime import (
    Instrumentation,
    context,
    emit,
    middleware,
    report,
    startup,
    statements,
)
from fastapi_medic.runtime.context import on_request_end

Instrument = Callable[..., Instrumentation]
AppFactory = Callable[..., FastAPI]


class InjectedError(RuntimeError):
    """The fault we inject into our own code."""


def boom(*args: Any, **kwargs: Any) -> NoReturn:
    raise InjectedError("injected")


def _response(app: FastAPI, path: str, **kwargs: Any) -> tuple[int, bytes, dict[str, str]]:
    response = TestClient(app, raise_server_exceptions=False).get(path, **kwargs)
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "x-request-id")}
    return response.status_code, response.content, headers


def _failure_logs(caplog: pytest.LogCaptureFixture, where: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "fastapi_medic.runtime" and f"probe {where} failed" in r.getMessage()
    ]


@pytest.fixture
def failures(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="fastapi_medic.runtime")
    return caplog


def _assert_contained(
    inst: Instrumentation, caplog: pytest.LogCaptureFixture, where: str, times: int = 2
) -> None:
    inst.flush()
    assert inst.metrics()["probe_errors"] >= times
    assert len(_failure_logs(caplog, where)) == 1
    assert where in [f.subject for f in inst.findings() if f.code == "MED719"]


@pytest.mark.parametrize(
    ("target", "name", "where", "path"),
    [
        (middleware, "_Request", "middleware.start", "/items/3"),
        (middleware, "_stamp", "middleware.send", "/items/3"),
        (middleware.MedicMiddleware, "_finish", "middleware.end", "/items/3"),
        (report, "request_findings", "middleware.end", "/boom"),
        (report, "request_findings", "middleware.end", "/http500"),
    ],
)
def test_request_is_unchanged_when_a_middleware_hook_raises(
    *,
    make_app: AppFactory,
    instrumented: Instrument,
    failures: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    target: object,
    name: str,
    where: str,
    path: str,
) -> None:
    expected = _response(make_app(), path)
    app = make_app()
    inst = instrumented(app, slow_request=0.0)
    monkeypatch.setattr(target, name, boom)

    first = _response(app, path)
    second = _response(app, path)

    assert first == expected
    assert second == expected
    _assert_contained(inst, failures, where)


def test_route_exception_reaches_the_server_when_building_the_500_fails(
    make_app: AppFactory,
    instrumented: Instrument,
    failures: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    inst = instrumented(app)
    monkeypatch.setattr(middleware, "_Raise", boom)

    with pytest.raises(KeyError, match="missing"):
        TestClient(app).get("/boom")
    response = TestClient(app, raise_server_exceptions=False).get("/boom")

    assert response.status_code == 500
    _assert_contained(inst, failures, "middleware.server_error")


def test_exception_still_reaches_the_server_when_reporting_it_raises(
    make_app: AppFactory, instrumented: Instrument, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    instrumented(app)
    monkeypatch.setattr(report, "request_findings", boom)

    with pytest.raises(KeyError, match="missing"):
        TestClient(app).get("/boom")


def test_request_is_unchanged_when_an_end_hook_raises(
    make_app: AppFactory, instrumented: Instrument, failures: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    expected = _response(make_app(), "/items/3")
    app = make_app()
    inst = instrumented(app)
    unregister_bad = on_request_end(boom)
    unregister_good = on_request_end(lambda state: seen.append(state.request_id))
    try:
        first = _response(app, "/items/3")
        second = _response(app, "/items/3")
    finally:
        unregister_bad()
        unregister_good()

    assert first == second == expected
    assert len(seen) == 2  # the hook after the failing one still ran
    _assert_contained(inst, failures, "end_hook.boom")


def test_request_is_unchanged_when_starting_the_watchdog_raises(
    make_app: AppFactory, instrumented: Instrument, failures: pytest.LogCaptureFixture
) -> None:
    expected = _response(make_app(), "/items/3")
    app = make_app()
    inst = instrumented(app)
    inst.middleware.on_loop = boom

    first = _response(app, "/items/3")  # a new TestClient: a new loop each time
    second = _response(app, "/items/3")

    assert first == second == expected
    _assert_contained(inst, failures, "middleware.loop")


@pytest.mark.parametrize("where", ["statements.before", "statements.after"])
def test_query_result_is_unchanged_when_the_statement_listener_raises(
    *,
    make_app: AppFactory,
    instrumented: Instrument,
    sqlite_engine: Engine,
    failures: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    expected = _response(make_app(engine=sqlite_engine), "/db/1")
    app = make_app(engine=sqlite_engine)
    inst = instrumented(app, sqlite_engine, watchdog=False)
    if where == "statements.before":
        monkeypatch.setattr(statements, "_clock", boom)
    else:
        monkeypatch.setattr(statements, "fingerprint", boom)

    first = _response(app, "/db/1")
    second = _response(app, "/db/1")

    assert first == second == expected
    assert json.loads(first[1]) == {"name": "apple"}
    _assert_contained(inst, failures, where)


def test_log_call_is_unaffected_when_the_logging_filter_raises(
    instrumented: Instrument, failures: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(request_id)s %(message)s"))
    log = logging.getLogger("shop.failopen")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    app = FastAPI()

    @app.get("/log")
    async def logs() -> dict[str, str]:
        log.info("still logged")
        return {"ok": "yes"}

    try:
        inst = instrumented(app)
        monkeypatch.setattr(context, "route_of", boom)
        first = _response(app, "/log")
        second = _response(app, "/log")
    finally:
        log.removeHandler(handler)

    assert first[:2] == second[:2] == (200, b'{"ok":"yes"}')
    assert stream.getvalue().splitlines() == ["None still logged", "None still logged"]
    _assert_contained(inst, failures, "logging.filter")


def test_structlog_event_is_unaffected_when_the_processor_raises(
    instrumented: Instrument, failures: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    app = FastAPI()

    @app.get("/s")
    async def s() -> dict[str, str]:
        structlog.get_logger().info("event")
        return {}

    try:
        inst = instrumented(app)
        monkeypatch.setattr(context, "route_of", boom)
        _response(app, "/s")
        _response(app, "/s")
    finally:
        structlog.reset_defaults()

    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == ["event"] * 2
    _assert_contained(inst, failures, "logging.structlog")


def test_record_is_still_written_when_the_json_formatter_raises(
    failures: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    unregister = context.on_probe_failure(lambda where, exc: None)
    monkeypatch.setattr(medic_logging, "record_dict", boom)
    record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "kept", (), None)
    try:
        text = medic_logging.JsonFormatter().format(record)
    finally:
        unregister()

    assert text == "kept"


def test_breadcrumb_call_returns_when_recording_it_raises(
    instrumented: Instrument, failures: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FastAPI()

    @app.get("/crumb")
    async def crumb() -> dict[str, str]:
        context.add_breadcrumb("step", "one")
        return {"ok": "yes"}

    inst = instrumented(app)
    monkeypatch.setattr(context, "Breadcrumb", boom)

    first = _response(app, "/crumb")
    second = _response(app, "/crumb")

    assert first[:2] == second[:2] == (200, b'{"ok":"yes"}')
    _assert_contained(inst, failures, "add_breadcrumb")


def test_emitter_keeps_running_when_writing_a_record_raises(
    make_app: AppFactory,
    instrumented: Instrument,
    failures: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    app = make_app()
    inst = instrumented(app, sink=tmp_path / "m.jsonl")
    monkeypatch.setattr(emit.Emitter, "_request_record", boom)

    first = _response(app, "/boom")
    second = _response(app, "/boom")
    inst.emitter.event(logging.INFO, "after the failures")
    inst.flush()

    assert first[0] == second[0] == 500
    assert inst.emitter.failures == 2
    assert "after the failures" in (tmp_path / "m.jsonl").read_text()
    _assert_contained(inst, failures, "emit")


def test_emitter_counts_a_sink_failure_when_the_disk_write_raises(
    make_app: AppFactory,
    instrumented: Instrument,
    failures: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    app = make_app()
    inst = instrumented(app, sink=tmp_path / "m.jsonl")
    assert inst.emitter.sink is not None
    monkeypatch.setattr(inst.emitter.sink, "write", boom)

    first = _response(app, "/boom")
    second = _response(app, "/boom")

    assert first[0] == second[0] == 500
    _assert_contained(inst, failures, "emit")


def test_app_starts_when_the_startup_report_raises(
    make_app: AppFactory,
    instrumented: Instrument,
    failures: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(startup, "build_report", boom)
    app = make_app()

    inst = instrumented(app, startup_report=True)
    status, _, _ = _response(app, "/hello")

    assert status == 200
    _assert_contained(inst, failures, "startup", times=1)


def test_findings_are_kept_when_a_finding_listener_raises(
    make_app: AppFactory, instrumented: Instrument, failures: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    inst = instrumented(app)
    inst.collector.subscribe(boom)

    _response(app, "/boom")
    _response(app, "/boom")

    assert "MED701" in [f.code for f in inst.findings()]
    _assert_contained(inst, failures, "collector.listener")


def test_probe_failure_is_logged_once_when_no_instrumentation_is_active(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="fastapi_medic.runtime")
    where = "test.unregistered"

    context.probe_failed(where, InjectedError("x"))
    context.probe_failed(where, InjectedError("y"))

    assert len(_failure_logs(caplog, where)) == 1
