"""Request context on log records: stdlib filter, structlog processor, JSON formatter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fastapi_medic.runtime import Instrumentation
from fastapi_medic.runtime.logging import JsonFormatter, RequestContextFilter

Instrument = Callable[..., Instrumentation]


class ListHandler(logging.Handler):
    """Keeps the records and their formatted text."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def handler() -> Iterator[ListHandler]:
    """A handler on the ``shop`` logger, installed before instrument() runs."""
    log = logging.getLogger("shop")
    h = ListHandler()
    h.setFormatter(logging.Formatter("%(request_id)s %(method)s %(route)s %(message)s"))
    log.addHandler(h)
    log.setLevel(logging.INFO)
    yield h
    log.removeHandler(h)


def _app() -> FastAPI:
    app = FastAPI()
    log = logging.getLogger("shop")

    @app.get("/orders/{order_id}")
    async def order(order_id: int) -> dict[str, int]:
        log.info("reading order")
        return {"order_id": order_id}

    @app.get("/sync/{order_id}")
    def sync_order(order_id: int) -> dict[str, int]:
        log.info("reading order in a thread")
        return {"order_id": order_id}

    @app.get("/extra")
    async def extra() -> dict[str, str]:
        log.info("own id", extra={"request_id": "mine"})
        return {}

    @app.get("/secret")
    async def secret() -> dict[str, str]:
        log.warning("connecting to postgresql://app:hunter2@db/prod")
        return {}

    @app.get("/structlog")
    async def with_structlog() -> dict[str, str]:
        structlog.get_logger().info("structured")
        return {}

    return app


def test_records_carry_request_id_route_and_method_when_logged_in_a_request(
    handler: ListHandler, instrumented: Instrument
) -> None:
    app = _app()
    instrumented(app)

    TestClient(app).get("/orders/7", headers={"X-Request-ID": "log-1"})

    assert handler.lines == ["log-1 GET /orders/{order_id} reading order"]


def test_records_carry_the_context_when_a_sync_route_logs_from_a_thread(
    handler: ListHandler, instrumented: Instrument
) -> None:
    app = _app()
    instrumented(app)

    TestClient(app).get("/sync/7", headers={"X-Request-ID": "log-2"})

    assert handler.lines == ["log-2 GET /sync/{order_id} reading order in a thread"]


def test_extra_values_win_when_the_caller_passes_request_id(
    handler: ListHandler, instrumented: Instrument
) -> None:
    app = _app()
    instrumented(app)

    response = TestClient(app).get("/extra", headers={"X-Request-ID": "log-3"})

    assert response.status_code == 200
    assert handler.records[0].__dict__["request_id"] == "mine"


def test_records_carry_none_when_logged_outside_a_request(
    handler: ListHandler, instrumented: Instrument
) -> None:
    instrumented(_app())

    logging.getLogger("shop").info("at import")

    assert handler.lines == ["None None None at import"]


def test_filter_is_removed_when_the_instrumentation_closes(
    handler: ListHandler, instrumented: Instrument
) -> None:
    inst = instrumented(_app())

    inst.close()

    assert not [f for f in handler.filters if isinstance(f, RequestContextFilter)]


def test_json_formatter_writes_one_redacted_object_per_line_when_json_logs_is_on(
    instrumented: Instrument,
) -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    plain = logging.Formatter("%(message)s")
    h = logging.StreamHandler(stream)
    h.setFormatter(plain)
    root.addHandler(h)
    try:
        app = _app()
        inst = instrumented(app, json_logs=True)
        TestClient(app).get("/secret", headers={"X-Request-ID": "log-4"})
        inst.close()
        restored = h.formatter
    finally:
        root.removeHandler(h)

    [line] = [ln for ln in stream.getvalue().splitlines() if "connecting" in ln]
    entry = json.loads(line)
    assert entry["request_id"] == "log-4"
    assert entry["route"] == "/secret"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "shop"
    assert "hunter2" not in line
    assert restored is plain


def test_json_formatter_includes_the_traceback_when_the_record_has_one() -> None:
    error = ValueError("bad value")
    record = logging.getLogger("x").makeRecord(
        "x", logging.ERROR, __file__, 1, "failed", (), (ValueError, error, None)
    )

    entry = json.loads(JsonFormatter().format(record))

    assert entry["exc_type"] == "ValueError"
    assert entry["traceback"] == "ValueError: bad value"
    assert entry["request_id"] is None


def test_structlog_events_carry_the_context_when_structlog_is_configured(
    instrumented: Instrument,
) -> None:
    out = io.StringIO()
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    try:
        app = _app()
        inst = instrumented(app)
        TestClient(app).get("/structlog", headers={"X-Request-ID": "log-5"})
        inst.close()
        processors = structlog.get_config()["processors"]
    finally:
        structlog.reset_defaults()

    entry = json.loads(out.getvalue().splitlines()[0])
    assert entry == {
        "event": "structured",
        "request_id": "log-5",
        "route": "/structlog",
        "method": "GET",
    }
    assert len(processors) == 1
