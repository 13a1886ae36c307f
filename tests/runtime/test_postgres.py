"""The probes against a real PostgreSQL server: psycopg (sync) and asyncpg (async)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fastapi_medic.runtime import Instrumentation

from .apps import leaky_async_app, leaky_sync_app, line_of

pytestmark = pytest.mark.postgres

Instrument = Callable[..., Instrumentation]


class TestPsycopg:
    def test_leak_is_reported_at_the_user_line_when_a_route_keeps_its_connection(
        self, pg_sync_engine: Engine, instrumented: Instrument
    ) -> None:
        kept: list[Connection] = []
        app = leaky_sync_app(pg_sync_engine, kept, blocking_sql="SELECT pg_sleep(0.4)")
        inst = instrumented(app, pg_sync_engine)

        client = TestClient(app)
        assert [client.get("/ok").status_code, client.get("/leak").status_code] == [200, 200]

        [finding] = inst.findings()
        assert (finding.code, finding.subject) == ("MED720", "GET /leak")
        assert finding.location is not None
        assert finding.location.line == line_of(app.state.leak, "engine.connect()")
        assert str(finding.evidence["engine"]).startswith("postgresql+psycopg://")
        for conn in kept:
            conn.close()

    def test_exhaustion_names_the_leaking_route_when_leaks_fill_the_pool(
        self, pg_sync_engine: Engine, instrumented: Instrument
    ) -> None:
        kept: list[Connection] = []
        app = leaky_sync_app(pg_sync_engine, kept, blocking_sql="SELECT pg_sleep(0.4)")
        inst = instrumented(app, pg_sync_engine)
        client = TestClient(app)
        client.get("/leak")
        client.get("/leak")

        with pytest.raises(PoolTimeout):
            client.get("/ok")

        [exhausted] = [f for f in inst.findings() if f.code == "MED723"]
        assert str(exhausted.evidence["holders"]).startswith("2 by GET /leak at ")
        assert exhausted.evidence["checked_out"] == 2
        for conn in kept:
            conn.close()

    def test_sync_driver_call_in_an_async_route_is_a_stall_when_the_query_is_slow(
        self, pg_sync_engine: Engine, instrumented: Instrument
    ) -> None:
        app = leaky_sync_app(pg_sync_engine, [], blocking_sql="SELECT pg_sleep(0.4)")
        inst = instrumented(app, pg_sync_engine, stall_threshold=0.1)

        with TestClient(app) as client:
            assert client.get("/sleep").status_code == 200
        inst.close()

        [stall] = [f for f in inst.findings() if f.code == "MED730"]
        assert stall.subject == "GET /sleep"
        assert stall.location is not None
        assert stall.location.line == line_of(app.state.sleep, "text(blocking_sql)")


class TestAsyncpg:
    def test_unclosed_session_is_reported_at_the_await_line_when_the_route_keeps_it(
        self, pg_async_engine: AsyncEngine, instrumented: Instrument
    ) -> None:
        kept: list[AsyncSession] = []
        app = leaky_async_app(pg_async_engine, kept)
        inst = instrumented(app, pg_async_engine)

        async def run() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                codes = [(await client.get(p)).status_code for p in ("/aok", "/aleak")]
            for session in kept:
                await session.close()
            await pg_async_engine.dispose()
            return codes

        assert asyncio.run(run()) == [200, 200]

        [finding] = inst.findings()
        assert (finding.code, finding.subject) == ("MED721", "GET /aleak")
        assert finding.location is not None
        assert finding.location.line == line_of(app.state.aleak, "await s.execute")
        assert str(finding.evidence["engine"]).startswith("postgresql+asyncpg://")

    def test_nothing_is_reported_when_every_session_is_closed(
        self, pg_async_engine: AsyncEngine, instrumented: Instrument
    ) -> None:
        app = leaky_async_app(pg_async_engine, [])
        inst = instrumented(app, pg_async_engine)

        async def run() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                codes = [(await client.get("/aok")).status_code for _ in range(3)]
            await pg_async_engine.dispose()
            return codes

        assert asyncio.run(run()) == [200, 200, 200]
        assert inst.findings() == []
