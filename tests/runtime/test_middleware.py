"""The middleware on a real FastAPI app: correlation id, context, reporting of flagged requests."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import re
import weakref
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware.errors import ServerErrorMiddleware

from fastapi_medic.errors import UsageError
from fastapi_medic.runtime import Instrumentation, instrument, middleware
from fastapi_medic.runtime.context import RequestState, add_breadcrumb, current_request
from fastapi_medic.runtime.statements import fingerprint

AppFactory = Callable[..., FastAPI]
Client = Callable[[FastAPI], httpx.AsyncClient]
Instrument = Callable[..., Instrumentation]
HEX32 = re.compile(r"[0-9a-f]{32}")


def _requests_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "fastapi_medic.requests"]


class TestCorrelationId:
    def test_response_carries_a_generated_id_when_the_request_has_none(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        response = TestClient(app).get("/hello")

        assert response.status_code == 200
        assert HEX32.fullmatch(response.headers["x-request-id"])

    def test_incoming_id_is_echoed_when_it_is_valid(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        response = TestClient(app).get("/hello", headers={"X-Request-ID": "abc-123.DEF_4:5"})

        assert response.headers["x-request-id"] == "abc-123.DEF_4:5"

    @pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "-leading-dash"])
    def test_incoming_id_is_replaced_when_it_is_unsafe(
        self, make_app: AppFactory, instrumented: Instrument, bad: str
    ) -> None:
        app = make_app()
        instrumented(app)

        response = TestClient(app).get("/hello", headers={"X-Request-ID": bad})

        assert HEX32.fullmatch(response.headers["x-request-id"])

    def test_500_from_an_unhandled_exception_carries_the_id_when_the_route_raises(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        response = TestClient(app, raise_server_exceptions=False).get(
            "/boom", headers={"X-Request-ID": "req-500"}
        )

        assert response.status_code == 500
        assert response.headers["x-request-id"] == "req-500"

    def test_500_is_the_apps_own_handler_response_when_it_has_one(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        def build() -> FastAPI:
            app = make_app()

            @app.exception_handler(Exception)
            async def oops(request: Request, exc: Exception) -> JSONResponse:
                return JSONResponse({"oops": type(exc).__name__}, status_code=503)

            return app

        expected = TestClient(build(), raise_server_exceptions=False).get("/boom")
        app = build()
        instrumented(app)

        response = TestClient(app, raise_server_exceptions=False).get(
            "/boom", headers={"X-Request-ID": "req-handled"}
        )

        assert (response.status_code, response.json()) == (503, {"oops": "KeyError"})
        assert (expected.status_code, expected.json()) == (503, {"oops": "KeyError"})
        assert response.headers["x-request-id"] == "req-handled"

    def test_500_is_the_debug_page_when_the_app_runs_in_debug_mode(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        app.debug = True
        instrumented(app)

        response = TestClient(app, raise_server_exceptions=False).get(
            "/boom", headers={"Accept": "text/html", "X-Request-ID": "req-debug"}
        )

        assert response.status_code == 500
        assert "KeyError" in response.text
        assert "<html" in response.text.lower()
        assert response.headers["x-request-id"] == "req-debug"

    def test_no_second_response_when_the_app_fails_after_it_started_answering(
        self, instrumented: Instrument
    ) -> None:
        app, sent = FastAPI(), []

        @app.get("/stream")
        async def stream() -> StreamingResponse:
            async def chunks() -> AsyncIterator[bytes]:
                yield b"first"
                raise RuntimeError("mid-stream")

            return StreamingResponse(chunks())

        instrumented(app)

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        with pytest.raises(RuntimeError, match="mid-stream"):
            asyncio.run(app(_http_scope("/stream"), receive, send))
        assert [m["type"] for m in sent if m["type"] == "http.response.start"] == [
            "http.response.start"
        ]
        assert sent[0]["status"] == 200
        assert b"x-request-id" in dict(sent[0]["headers"])

    def test_starlette_error_layer_stays_in_the_chain_when_instrumented(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app)

        TestClient(app).get("/hello")

        assert app.middleware_stack is inst.middleware
        assert type(inst.middleware.app) is ServerErrorMiddleware

    def test_response_keeps_one_id_when_the_app_sets_its_own(
        self, instrumented: Instrument
    ) -> None:

        app = FastAPI()

        @app.get("/own")
        async def own(response: Response) -> dict[str, str]:
            response.headers["X-Request-ID"] = "set-by-app"
            return {}

        instrumented(app)

        response = TestClient(app).get("/own")

        assert response.status_code == 200
        assert response.headers.get_list("x-request-id") == ["set-by-app"]

    def test_app_exception_still_reaches_the_server_when_instrumented(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        with pytest.raises(KeyError, match="missing"):
            TestClient(app).get("/boom")

    def test_websocket_gets_the_id_when_it_connects(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        with TestClient(app).websocket_connect("/ws", headers={"X-Request-ID": "ws-1"}) as ws:
            seen = ws.receive_text()
            headers = dict(ws.extra_headers or [])

        assert seen == "ws-1"
        assert headers[b"x-request-id"] == b"ws-1"

    def test_background_tasks_keep_the_id_when_they_run_after_the_response(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        response = TestClient(app).get("/background", headers={"X-Request-ID": "bg-7"})

        assert response.status_code == 200
        assert app.state.seen.background_ids == ["bg-7", "bg-7"]

    def test_lifespan_passes_through_when_the_app_has_one(self, instrumented: Instrument) -> None:
        events: list[str] = []

        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            events.append("startup")
            yield
            events.append("shutdown")

        app = FastAPI(lifespan=lifespan)
        instrumented(app)

        with TestClient(app):
            pass

        assert events == ["startup", "shutdown"]

    def test_context_is_unset_outside_a_request_when_requests_ended(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        TestClient(app).get("/hello")

        assert current_request.get() is None

    def test_request_lets_go_of_scope_and_send_when_a_context_copy_outlives_it(
        self, instrumented: Instrument
    ) -> None:
        # uvicorn's keep-alive timer (and any task the app spawns) copies the request's
        # context, so the request state outlives the request. It must not keep the server's
        # objects alive with it: under load they would pile up for the garbage collector.
        app, copies = FastAPI(), []

        @app.get("/hello")
        async def hello() -> dict[str, str]:
            copies.append(contextvars.copy_context())
            return {"hello": "world"}

        instrumented(app)

        class Scope(dict[str, Any]):
            pass

        class Send:
            def __init__(self) -> None:
                self.messages: list[MutableMapping[str, Any]] = []

            async def __call__(self, message: MutableMapping[str, Any]) -> None:
                self.messages.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope, send = Scope(_http_scope("/hello")), Send()
        was_enabled = gc.isenabled()
        gc.disable()  # freed by reference counting alone, or not at all
        try:
            asyncio.run(app(scope, receive, send))
            headers = dict(send.messages[0]["headers"])
            scope_ref, send_ref = weakref.ref(scope), weakref.ref(send)
            del scope, send

            state = copies[0][current_request]
            assert state is not None
            assert state.request_id == headers[b"x-request-id"].decode()
            assert scope_ref() is None
            assert send_ref() is None
        finally:
            if was_enabled:
                gc.enable()

    def test_flagged_request_keeps_its_route_template_when_the_request_ended(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app, copies = make_app(), []

        @app.get("/later/{item_id}")
        async def later(item_id: int) -> dict[str, int]:
            copies.append(contextvars.copy_context())
            return {"item_id": item_id}

        instrumented(app, slow_request=0.0)

        TestClient(app).get("/later/4")

        state = copies[0][current_request]
        assert state is not None
        assert state.route_template() == "/later/{item_id}"


def test_request_state_has_every_field_when_the_middleware_makes_it() -> None:
    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    state = middleware._Request("abc", _http_scope("/x"), send)

    unset = [name for name in RequestState.__slots__ if not hasattr(state, name)]
    assert unset == []
    assert (state.request_id, state.method, state.path) == ("abc", "GET", "/x")


def _http_scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


class TestReporting:
    def test_unhandled_exception_is_reported_once_at_the_user_frame_when_a_route_raises(
        self, make_app: AppFactory, instrumented: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = make_app()
        inst = instrumented(app)
        caplog.set_level(logging.INFO)

        TestClient(app, raise_server_exceptions=False).get(
            "/boom", headers={"X-Request-ID": "req-boom"}
        )
        inst.flush()

        [finding] = [f for f in inst.findings() if f.code == "MED701"]
        assert finding.subject == "GET /boom"
        assert finding.location is not None
        assert finding.location.path.endswith("conftest.py")
        assert finding.evidence["request_id"] == "req-boom"
        [record] = _requests_records(caplog)
        assert record.exc_info is not None
        assert record.__dict__["request_id"] == "req-boom"
        assert "conftest.py" in record.getMessage()
        assert " in boom" in record.getMessage()

    def test_repeated_failures_are_one_finding_when_they_share_the_route(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app)
        client = TestClient(app, raise_server_exceptions=False)

        client.get("/boom")
        client.get("/boom")

        [finding] = [f for f in inst.findings() if f.code == "MED701"]
        assert finding.evidence["occurrences"] == 2
        assert inst.metrics()["errors"] == 2

    def test_http_500_is_reported_as_a_server_error_response_when_a_route_returns_it(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app)

        response = TestClient(app).get("/http500")

        assert response.status_code == 500
        assert [(f.code, f.subject) for f in inst.findings()] == [("MED703", "GET /http500")]

    def test_nothing_is_reported_when_requests_succeed_or_fail_with_4xx(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app)
        client = TestClient(app)

        client.get("/hello")
        client.get("/notfound")
        client.get("/no-such-route")

        assert inst.findings() == []
        assert inst.metrics()["requests"] == 3
        assert inst.emitter._thread is None  # nothing was queued: the thread never started

    def test_slow_request_is_reported_with_the_route_template_when_over_the_threshold(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app, slow_request=0.01)

        TestClient(app).get("/slow", params={"seconds": 0.05})
        TestClient(app).get("/items/5")

        codes = [(f.code, f.subject) for f in inst.findings()]
        assert codes == [("MED702", "GET /slow")]

    def test_records_are_rate_limited_when_every_request_is_flagged(
        self, make_app: AppFactory, instrumented: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = make_app()
        inst = instrumented(app, slow_request=0.0)
        inst.emitter.limit = 2
        caplog.set_level(logging.INFO)
        client = TestClient(app)

        for _ in range(5):
            client.get("/items/5")
        client.get("/hello")
        inst.flush()

        routes = [r.__dict__["route"] for r in _requests_records(caplog)]
        assert routes == ["/items/{item_id}", "/items/{item_id}", "/hello"]
        assert inst.metrics()["emit_suppressed"] == 3
        [finding] = [f for f in inst.findings() if f.subject == "GET /items/{item_id}"]
        assert finding.evidence["occurrences"] == 5

    def test_route_template_includes_the_mount_prefix_when_the_route_is_in_a_sub_app(
        self, instrumented: Instrument
    ) -> None:
        app, sub_app = FastAPI(), FastAPI()

        @sub_app.get("/orders/{order_id}")
        async def order(order_id: int) -> dict[str, int]:
            return {"order_id": order_id}

        app.mount("/v1", sub_app)
        inst = instrumented(app, slow_request=0.0)

        TestClient(app).get("/v1/orders/3")

        assert [f.subject for f in inst.findings()] == ["GET /v1/orders/{order_id}"]

    def test_route_template_includes_the_router_prefix_when_given_to_include_router(
        self, instrumented: Instrument
    ) -> None:
        app, router, inner = FastAPI(), APIRouter(), APIRouter(prefix="/lines")

        @inner.get("/{line_id}")
        async def line(order_id: int, line_id: int) -> dict[str, int]:
            return {"order_id": order_id, "line_id": line_id}

        router.include_router(inner, prefix="/{order_id}")
        app.include_router(router, prefix="/orders")
        inst = instrumented(app, slow_request=0.0)

        TestClient(app).get("/orders/3/lines/4")

        assert [f.subject for f in inst.findings()] == ["GET /orders/{order_id}/lines/{line_id}"]

    def test_route_template_is_the_subject_when_the_path_has_parameters(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app, slow_request=0.0)

        TestClient(app).get("/items/5")

        assert [f.subject for f in inst.findings()] == ["GET /items/{item_id}"]


class TestBreadcrumbs:
    def test_statements_are_breadcrumbs_without_values_when_a_db_route_fails(
        self,
        make_app: AppFactory,
        instrumented: Instrument,
        sqlite_engine: Engine,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        app = make_app(engine=sqlite_engine)
        inst = instrumented(app, sqlite_engine, watchdog=False)
        caplog.set_level(logging.INFO)

        TestClient(app, raise_server_exceptions=False).get("/db-boom")
        inst.flush()

        [record] = _requests_records(caplog)
        crumbs = record.__dict__["breadcrumbs"]
        assert [c["kind"] for c in crumbs] == ["request", "sql", "response"]
        assert crumbs[1]["message"] == "SELECT name FROM items WHERE name = ?"
        assert "duration_ms" in crumbs[1]
        assert "secret-literal" not in repr(record.__dict__)

    def test_async_engine_statements_are_breadcrumbs_when_the_request_is_flagged(
        self, make_app: AppFactory, aiosqlite_engine: AsyncEngine, asgi_client: Client
    ) -> None:
        app = make_app(async_engine=aiosqlite_engine)
        crumbs: list[list[str]] = []

        async def run() -> None:
            with instrument(
                app, aiosqlite_engine, slow_request=0.0, watchdog=False, startup_report=False
            ) as inst:
                inst.emitter.request = lambda state, error, findings: crumbs.append(  # type: ignore[method-assign]
                    [c.message for c in state.breadcrumbs]
                )
                async with asgi_client(app) as client:
                    response = await client.get("/adb/2")
            await aiosqlite_engine.dispose()
            assert response.json() == {"name": "pear"}

        asyncio.run(run())

        assert crumbs == [["SELECT name FROM items WHERE id = ?"]]

    def test_user_breadcrumbs_are_kept_when_added_inside_a_request(
        self, instrumented: Instrument
    ) -> None:
        app = FastAPI()
        kept: list[list[tuple[str, str]]] = []

        @app.get("/step")
        async def step() -> dict[str, str]:
            add_breadcrumb("step", "charged card", amount_cents=100)
            return {}

        inst = instrumented(app, slow_request=0.0)
        inst.emitter.request = lambda state, error, findings: kept.append(  # type: ignore[method-assign]
            [(c.kind, c.message) for c in state.breadcrumbs]
        )

        TestClient(app).get("/step")

        assert kept == [[("step", "charged card")]]

    def test_add_breadcrumb_does_nothing_when_called_outside_a_request(self) -> None:
        add_breadcrumb("step", "outside")

        assert current_request.get() is None

    @pytest.mark.parametrize(
        ("statement", "expected"),
        [
            ("SELECT * FROM t WHERE name = 'bob'", "SELECT * FROM t WHERE name = ?"),
            ("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (...)"),
            ("UPDATE t SET v = 1.5e3 WHERE k = 'it''s'", "UPDATE t SET v = ? WHERE k = ?"),
            ("SELECT a FROM t2 WHERE b = %(b_1)s", "SELECT a FROM t2 WHERE b = ?"),
            ("SELECT a FROM t WHERE b = $1 AND c = :c", "SELECT a FROM t WHERE b = ? AND c = ?"),
            ("SELECT  a\n  FROM t", "SELECT a FROM t"),
        ],
    )
    def test_fingerprint_drops_literals_when_a_statement_has_them(
        self, statement: str, expected: str
    ) -> None:
        assert fingerprint(statement) == expected


class TestWiring:
    def test_close_removes_the_middleware_when_called(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        inst = instrumented(app)
        client = TestClient(app)
        client.get("/hello")

        inst.close()
        inst.close()  # idempotent
        response = client.get("/hello")

        assert "x-request-id" not in response.headers
        assert "build_middleware_stack" not in app.__dict__

    def test_app_is_wrapped_when_it_served_before_instrument(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        client = TestClient(app)
        client.get("/hello")

        instrumented(app)
        response = client.get("/hello")

        assert "x-request-id" in response.headers

    def test_instrument_raises_a_usage_error_when_called_twice(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        app = make_app()
        instrumented(app)

        with pytest.raises(UsageError, match="already instrumented"):
            instrument(app)

    def test_instrument_raises_a_usage_error_when_the_app_is_not_starlette(self) -> None:
        async def bare(scope: Any, receive: Any, send: Any) -> None:
            pass

        with pytest.raises(UsageError, match="needs a FastAPI or Starlette app"):
            instrument(bare)

    def test_instrument_raises_a_usage_error_when_engine_is_not_an_engine(
        self, make_app: AppFactory
    ) -> None:
        with pytest.raises(UsageError, match="SQLAlchemy engines"):
            instrument(make_app(), engine="sqlite://")

    def test_no_statement_wrapper_is_installed_when_no_engine_is_given(
        self, make_app: AppFactory, instrumented: Instrument
    ) -> None:
        engine = create_engine("sqlite://")
        instrumented(make_app())

        assert "do_execute" not in engine.dialect.__dict__
        engine.dispose()

    def test_statement_wrappers_are_removed_when_the_instrumentation_closes(
        self, make_app: AppFactory, instrumented: Instrument, sqlite_engine: Engine
    ) -> None:
        inst = instrumented(make_app(engine=sqlite_engine), sqlite_engine, watchdog=False)
        wrapped = "do_execute" in sqlite_engine.dialect.__dict__

        inst.close()

        assert wrapped
        assert "do_execute" not in sqlite_engine.dialect.__dict__

    def test_failing_statement_is_a_breadcrumb_when_the_database_raises(
        self, instrumented: Instrument, sqlite_engine: Engine
    ) -> None:
        from sqlalchemy import text

        app = FastAPI()
        kept: list[list[dict[str, Any]]] = []

        @app.get("/bad-sql")
        def bad_sql() -> dict[str, str]:
            with sqlite_engine.connect() as conn:
                conn.execute(text("SELECT * FROM no_such_table WHERE x = 'v'"))
            return {}

        inst = instrumented(app, sqlite_engine, watchdog=False)
        inst.emitter.request = lambda state, error, findings: kept.append(  # type: ignore[method-assign]
            [c.as_dict() for c in state.breadcrumbs]
        )

        TestClient(app, raise_server_exceptions=False).get("/bad-sql")

        [[crumb]] = kept
        assert crumb["message"] == "SELECT * FROM no_such_table WHERE x = ?"
        assert crumb["error"] == "OperationalError"


@pytest.mark.postgres
@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_postgres_statements_are_breadcrumbs_when_the_request_is_flagged(
    pg_url: str, driver: str, asgi_client: Client
) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    url = make_url(pg_url).set(drivername=f"postgresql+{driver}")
    app = FastAPI()
    crumbs: list[list[str]] = []

    async def run() -> None:
        engine = create_async_engine(url)

        @app.get("/pg")
        async def pg() -> dict[str, int]:
            async with engine.connect() as conn:
                value = (await conn.execute(text("SELECT 1 + :x"), {"x": 41})).scalar_one()
            return {"value": value}

        with instrument(app, engine, slow_request=0.0, watchdog=False, startup_report=False) as i:
            i.emitter.request = lambda state, error, findings: crumbs.append(  # type: ignore[method-assign]
                [c.message for c in state.breadcrumbs]
            )
            async with asgi_client(app) as client:
                response = await client.get("/pg")
        await engine.dispose()
        assert response.json() == {"value": 42}

    asyncio.run(run())

    assert len(crumbs) == 1
    assert crumbs[0][-1] == "SELECT ? + ?"
