"""The event-loop watchdog on real loops (asyncio and uvloop) and a real FastAPI app."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
import uvloop
from fastapi import FastAPI

from fastapi_medic.findings import Finding
from fastapi_medic.runtime import Instrumentation
from fastapi_medic.runtime.collector import Collector
from fastapi_medic.runtime.watchdog import Watchdog

Instrument = Callable[..., Instrumentation]
Runner = Callable[[Coroutine[Any, Any, Any]], Any]
RUNNERS = {"asyncio": asyncio.run, "uvloop": uvloop.run}


def _line_of(fn: Callable[..., Any], needle: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if needle in line)


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/block")
    async def block() -> dict[str, str]:
        time.sleep(0.4)  # noqa: ASYNC251 - the blocking call under test
        return {"slept": "yes"}

    @app.get("/fine")
    async def fine() -> dict[str, str]:
        await asyncio.sleep(0.4)
        return {"slept": "no"}

    @app.get("/two")
    async def two() -> dict[str, str]:
        time.sleep(0.3)  # noqa: ASYNC251 - the blocking call under test
        time.sleep(0.3)  # noqa: ASYNC251 - the blocking call under test
        return {"slept": "twice"}

    app.state.block = block
    app.state.two = two
    return app


async def _get(app: FastAPI, path: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.get(path)).status_code


def _stalls(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.code == "MED730"]


@pytest.mark.parametrize("loop", sorted(RUNNERS))
class TestStallsInRequests:
    def test_stall_names_route_request_and_user_line_when_an_async_route_sleeps(
        self, loop: str, instrumented: Instrument
    ) -> None:
        app = _app()
        inst = instrumented(app, stall_threshold=0.1)

        assert RUNNERS[loop](_get(app, "/block")) == 200
        inst.close()

        [stall] = _stalls(inst.findings())
        assert stall.subject == "GET /block"
        assert stall.location is not None
        assert stall.location.line == _line_of(app.state.block, "time.sleep(0.4)")
        duration = stall.evidence["duration_ms"]
        assert isinstance(duration, float)
        assert duration >= 300
        assert stall.evidence["samples"] in range(2, 100)
        assert stall.evidence["pattern"] == "one long call"
        assert len(str(stall.evidence["request_id"])) == 32

    def test_nothing_is_reported_when_the_route_awaits(
        self, loop: str, instrumented: Instrument
    ) -> None:
        app = _app()
        inst = instrumented(app, stall_threshold=0.2)

        assert RUNNERS[loop](_get(app, "/fine")) == 200
        inst.close()

        assert _stalls(inst.findings()) == []


class TestSampling:
    def test_two_blocking_lines_are_told_apart_when_one_stall_spans_both(
        self, instrumented: Instrument
    ) -> None:
        app = _app()
        inst = instrumented(app, stall_threshold=0.05)

        assert asyncio.run(_get(app, "/two")) == 200
        inst.close()

        [stall] = _stalls(inst.findings())
        assert stall.evidence["distinct_sites"] == 2
        assert stall.evidence["pattern"] == "many short calls"

    def test_stall_outside_a_request_has_the_loop_as_subject_when_no_request_runs(self) -> None:
        collector = Collector()

        async def main() -> None:
            watchdog = Watchdog(0.1, collector).start()
            await asyncio.sleep(0.05)
            time.sleep(0.3)  # noqa: ASYNC251 - the blocking call under test
            await asyncio.sleep(0.05)
            watchdog.stop()

        asyncio.run(main())

        [stall] = _stalls(collector.findings())
        assert stall.subject == "event loop"
        assert collector.metrics()["stalls"] == 1

    def test_nothing_is_reported_when_the_loop_is_stopped_between_runs(self) -> None:
        collector = Collector()
        loop = asyncio.new_event_loop()
        watchdog = Watchdog(0.05, collector, loop)
        try:
            loop.run_until_complete(asyncio.sleep(0.05))
            watchdog.start(loop)
            loop.run_until_complete(asyncio.sleep(0.05))
            time.sleep(0.3)  # not on the loop: it is not running
            loop.run_until_complete(asyncio.sleep(0.1))
        finally:
            watchdog.stop()
            loop.close()

        assert collector.findings() == []


class TestLifecycle:
    def test_stop_ends_the_thread_and_is_idempotent_when_called_twice(self) -> None:
        async def main() -> Watchdog:
            return Watchdog(0.1, Collector()).start()

        watchdog = asyncio.run(main())
        watchdog.stop()
        watchdog.stop()

        names = [t.name for t in threading.enumerate()]
        assert "fastapi-medic-watchdog" not in names

    def test_start_moves_to_the_new_loop_when_the_old_one_is_gone(self) -> None:
        collector = Collector()
        watchdog = Watchdog(0.1, collector)

        async def idle() -> None:
            watchdog.start()
            await asyncio.sleep(0.05)

        async def block() -> None:
            watchdog.start()
            await asyncio.sleep(0.05)
            time.sleep(0.3)  # noqa: ASYNC251 - the blocking call under test
            await asyncio.sleep(0.05)

        try:
            asyncio.run(idle())
            asyncio.run(block())
        finally:
            watchdog.stop()

        assert len(_stalls(collector.findings())) == 1

    def test_threshold_must_be_positive_when_given(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            Watchdog(0)
