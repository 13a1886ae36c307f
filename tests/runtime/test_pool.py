"""Connection and session tracking on real SQLite engines (sync and aiosqlite)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fastapi_medic.findings import Finding
from fastapi_medic.runtime import Instrumentation, pool
from fastapi_medic.runtime.collector import Collector
from fastapi_medic.runtime.context import on_request_end
from fastapi_medic.runtime.engine_watch import EngineWatch
from fastapi_medic.runtime.pool import PoolTracker, engine_label

from .apps import leaky_async_app, leaky_sync_app, line_of

Instrument = Callable[..., Instrumentation]
# the leaking routes are defined there; the finding points at their line
APPS = "runtime/apps.py"


def _codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


async def _get(app: FastAPI, *paths: str) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return [(await client.get(path)).status_code for path in paths]


class TestConnectionLeaks:
    def test_leak_is_reported_at_the_user_line_when_a_sync_route_keeps_its_connection(
        self, sqlite_engine: Engine, instrumented: Instrument
    ) -> None:
        kept: list[Connection] = []
        app = leaky_sync_app(sqlite_engine, kept)
        inst = instrumented(app, sqlite_engine)

        assert TestClient(app).get("/leak").status_code == 200

        [finding] = inst.findings()
        assert finding.code == "MED720"
        assert finding.subject == "GET /leak"
        assert finding.location is not None
        assert finding.location.path.endswith(APPS)
        assert finding.location.line == line_of(app.state.leak, "engine.connect()")
        assert finding.evidence["held"] == 1
        assert inst.metrics()["leaks"] == 1
        for conn in kept:
            conn.close()

    def test_nothing_is_reported_when_the_route_returns_its_connection(
        self, sqlite_engine: Engine, instrumented: Instrument
    ) -> None:
        app = leaky_sync_app(sqlite_engine, [])
        inst = instrumented(app, sqlite_engine)

        client = TestClient(app)
        assert [client.get("/ok").status_code for _ in range(3)] == [200, 200, 200]

        assert inst.findings() == []
        assert "leaks" not in inst.metrics()

    def test_repeated_leaks_are_one_finding_with_occurrences_when_the_line_is_the_same(
        self, sqlite_engine: Engine, instrumented: Instrument
    ) -> None:
        kept: list[Connection] = []
        app = leaky_sync_app(sqlite_engine, kept)
        inst = instrumented(app, sqlite_engine)

        client = TestClient(app)
        client.get("/leak")
        client.get("/leak")

        leaks = [f for f in inst.findings() if f.code == "MED720"]
        assert [f.evidence.get("occurrences") for f in leaks] == [2]
        for conn in kept:
            conn.close()

    def test_connection_returned_after_the_request_is_not_reported_again_when_next_request_ends(
        self, sqlite_engine: Engine, instrumented: Instrument
    ) -> None:
        kept: list[Connection] = []
        app = leaky_sync_app(sqlite_engine, kept)
        inst = instrumented(app, sqlite_engine)
        client = TestClient(app)
        client.get("/leak")
        kept.pop().close()

        client.get("/ok")

        assert [f.evidence.get("occurrences") for f in inst.findings()] == [None]


class TestEndOfRequest:
    def test_nothing_is_reported_when_a_yield_dependency_returns_the_connection_after_streaming(
        self, sqlite_engine: Engine, instrumented: Instrument
    ) -> None:
        app = FastAPI()

        def connection() -> Iterator[Connection]:
            conn = sqlite_engine.connect()
            try:
                yield conn
            finally:
                conn.close()  # runs after the streamed body in this FastAPI version

        @app.get("/stream")
        def stream(
            conn: Connection = Depends(connection),  # noqa: B008, FAST002 - a local dependency
        ) -> StreamingResponse:
            def rows() -> Iterator[str]:
                for _ in range(3):
                    yield str(conn.execute(text("SELECT 1")).scalar_one())

            return StreamingResponse(rows())

        inst = instrumented(app, sqlite_engine)

        response = TestClient(app).get("/stream")

        assert (response.status_code, response.text) == (200, "111")
        assert inst.findings() == []


class TestAsyncSessions:
    def test_unclosed_session_is_reported_at_the_await_line_when_the_route_never_closes_it(
        self, aiosqlite_engine: AsyncEngine, instrumented: Instrument
    ) -> None:
        kept: list[AsyncSession] = []
        app = leaky_async_app(aiosqlite_engine, kept)
        inst = instrumented(app, aiosqlite_engine)

        async def run() -> list[int]:
            codes = await _get(app, "/aleak")
            for s in kept:
                await s.close()
            await aiosqlite_engine.dispose()
            return codes

        assert asyncio.run(run()) == [200]

        [finding] = inst.findings()
        assert finding.code == "MED721"
        assert finding.message.startswith("AsyncSession used by GET /aleak")
        assert finding.location is not None
        # The checkout ran inside SQLAlchemy's greenlet: the line is the route's await.
        assert finding.location.line == line_of(app.state.aleak, "await s.execute")
        assert finding.evidence["sessions_opened"] == 1
        assert finding.evidence["sessions_closed"] == 0

    def test_sessions_opened_and_closed_match_when_a_yield_dependency_closes_the_session(
        self, aiosqlite_engine: AsyncEngine, instrumented: Instrument
    ) -> None:
        app = leaky_async_app(aiosqlite_engine, [])
        inst = instrumented(app, aiosqlite_engine)
        ended: list[tuple[int, int]] = []
        unregister = on_request_end(lambda s: ended.append((s.sessions_opened, s.sessions_closed)))

        async def run() -> list[int]:
            codes = await _get(app, "/aok", "/aok")
            await aiosqlite_engine.dispose()
            return codes

        try:
            assert asyncio.run(run()) == [200, 200]
        finally:
            unregister()

        assert inst.findings() == []
        assert ended == [(1, 1), (1, 1)]


class TestPoolUse:
    def test_exhaustion_is_explained_with_the_holders_when_leaks_fill_the_pool(
        self, tmp_path: Path, instrumented: Instrument
    ) -> None:
        engine = create_engine(
            f"sqlite:///{tmp_path / 'small.db'}", pool_size=1, max_overflow=0, pool_timeout=0.2
        )
        kept: list[Connection] = []
        app = leaky_sync_app(engine, kept)
        inst = instrumented(app, engine)
        client = TestClient(app)
        client.get("/leak")

        with pytest.raises(PoolTimeout):
            client.get("/leak")

        exhausted = [f for f in inst.findings() if f.code == "MED723"]
        assert len(exhausted) == 1
        evidence = exhausted[0].evidence
        assert (evidence["pool_size"], evidence["max_overflow"], evidence["checked_out"]) == (
            1,
            0,
            1,
        )
        assert "1 by GET /leak at" in str(evidence["holders"])
        assert "(ended)" in str(evidence["holders"])
        assert inst.metrics()["pool_timeouts"] == 1
        for conn in kept:
            conn.close()
        engine.dispose()

    def test_near_capacity_is_reported_when_checkouts_reach_the_limit(self, tmp_path: Path) -> None:
        collector = _two_checkouts(tmp_path, pool_size=2, max_overflow=0)

        [finding] = collector.findings()
        assert finding.code == "MED722"
        assert finding.evidence["in_use"] == 2
        assert collector.metrics()["pool_peak"] == 2

    def test_nothing_is_reported_when_use_stays_below_the_limit(self, tmp_path: Path) -> None:
        collector = _two_checkouts(tmp_path, pool_size=5, max_overflow=5)

        assert collector.findings() == []

    def test_waits_for_a_connection_are_counted_when_the_pool_is_busy(self, tmp_path: Path) -> None:
        engine = create_engine(
            f"sqlite:///{tmp_path / 'w.db'}", pool_size=1, max_overflow=0, pool_timeout=5
        )
        collector = Collector()
        tracker = PoolTracker(engine, collector)
        held = engine.connect()
        taken = threading.Event()

        def take() -> None:
            taken.set()
            with engine.connect():
                pass

        worker = threading.Thread(target=take)
        worker.start()
        taken.wait()
        threading.Event().wait(0.1)  # let the worker reach the empty queue
        held.close()
        worker.join()
        tracker.close()
        engine.dispose()

        assert collector.metrics()["pool_waits"] == 1

    def test_samples_show_the_pool_state_when_taken(self, sqlite_engine: Engine) -> None:
        collector = Collector()
        tracker = PoolTracker(sqlite_engine, collector)
        try:
            with sqlite_engine.connect():
                [point] = tracker.sample()
        finally:
            tracker.close()

        assert point["checked_out"] == 1
        assert point["size"] == 5
        assert str(point["engine"]).startswith("sqlite://")
        assert point in collector.samples()


class TestOtherPools:
    @pytest.mark.parametrize("url", ["sqlite://", "sqlite:///{tmp}/null.db"])
    def test_leak_is_reported_without_probe_errors_when_the_pool_is_not_a_queue(
        self, url: str, tmp_path: Path, instrumented: Instrument
    ) -> None:
        from sqlalchemy.pool import NullPool

        options: dict[str, Any] = {"poolclass": NullPool}
        if url == "sqlite://":  # SingletonThreadPool; the test thread closes the connection
            options = {"connect_args": {"check_same_thread": False}}
        engine = create_engine(url.format(tmp=tmp_path), **options)
        kept: list[Connection] = []
        app = leaky_sync_app(engine, kept)
        inst = instrumented(app, engine)

        TestClient(app).get("/leak")

        assert _codes(inst.findings()) == ["MED720"]
        assert "probe_errors" not in inst.metrics()
        for conn in kept:
            conn.close()
        engine.dispose()


class TestLifecycle:
    def test_nothing_is_tracked_when_the_tracker_is_closed(self, sqlite_engine: Engine) -> None:
        collector = Collector()
        tracker = PoolTracker(sqlite_engine, collector)
        tracker.close()
        tracker.close()

        with sqlite_engine.connect():
            pass

        assert tracker.held == {}
        assert collector.metrics() == {}
        assert "_do_get" not in vars(sqlite_engine.pool)

    def test_engine_created_before_the_watch_is_tracked_when_it_first_connects(
        self, sqlite_engine: Engine, instrumented: Instrument
    ) -> None:
        kept: list[Connection] = []
        app = leaky_sync_app(sqlite_engine, kept)
        instrumented(app)  # no engine given: the watch finds it
        collector = Collector()
        watch = EngineWatch(collector)
        try:
            TestClient(app).get("/leak")
        finally:
            watch.close()

        assert _codes(collector.findings()) == ["MED720"]
        for conn in kept:
            conn.close()

    def test_request_succeeds_and_failure_is_counted_when_the_probe_raises(
        self, sqlite_engine: Engine, instrumented: Instrument, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken() -> tuple[tuple[str, int, str], ...]:
            raise RuntimeError("injected")

        monkeypatch.setattr(pool, "capture_user_frames", broken)
        app = leaky_sync_app(sqlite_engine, [])
        inst = instrumented(app, sqlite_engine)

        assert TestClient(app).get("/ok").status_code == 200

        assert inst.metrics()["probe_errors"] >= 1
        assert _codes(inst.findings()) == ["MED719"]

    def test_user_frames_cross_into_the_awaiting_coroutine_when_captured_in_a_greenlet(
        self,
    ) -> None:
        from sqlalchemy.util import await_only, greenlet_spawn

        async def inner() -> None:
            await asyncio.sleep(0)

        def in_greenlet() -> tuple[tuple[str, int, str], ...]:
            await_only(inner())
            return pool.capture_user_frames()

        async def route() -> tuple[tuple[str, int, str], ...]:
            return await greenlet_spawn(in_greenlet)

        frames = asyncio.run(route())

        assert [name for _, _, name in frames][-2:] == ["route", "in_greenlet"]


class TestRedaction:
    def test_engine_label_has_no_credentials_when_the_url_carries_them(self) -> None:
        engine = create_engine(
            "postgresql+psycopg://app:s3cret-pw@db.internal:5432/shop?sslpassword=hunter2",
            pool_size=1,
        )

        label = engine_label(engine)

        assert label == "postgresql+psycopg://db.internal:5432/shop"
        assert "s3cret" not in label
        assert "hunter2" not in label
        engine.dispose()


@pytest.mark.parametrize("code", ["MED720", "MED721", "MED722", "MED723", "MED730", "MED731"])
def test_rules_command_documents_the_code_when_asked(code: str) -> None:
    from click.testing import CliRunner

    from fastapi_medic.cli import root

    result = CliRunner().invoke(root, ["rules", code])

    assert result.exit_code == 0, result.output
    assert code in result.output
    assert "Checks for" in result.output


def _two_checkouts(tmp_path: Path, *, pool_size: int, max_overflow: int) -> Collector:
    """Two connections held at once from a tracked SQLite pool of the given size."""
    engine = create_engine(
        f"sqlite:///{tmp_path / 'n.db'}", pool_size=pool_size, max_overflow=max_overflow
    )
    collector = Collector()
    tracker = PoolTracker(engine, collector)
    try:
        with engine.connect(), engine.connect():
            pass
    finally:
        tracker.close()
        engine.dispose()
    return collector
