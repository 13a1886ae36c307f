"""Strict mode: known blocking calls raise on the loop thread, with a finding at the user line."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

import pytest
from blockbuster import BlockingError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fastapi_medic.runtime import Instrumentation, strict
from fastapi_medic.runtime.collector import Collector

Instrument = Callable[..., Instrumentation]
ORIGINAL_SLEEP = time.sleep


def _line_of(fn: Callable[..., Any], needle: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if needle in line)


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/block")
    async def block() -> dict[str, str]:
        time.sleep(0.001)  # noqa: ASYNC251 - the blocking call under test
        return {"slept": "on the loop"}

    @app.get("/fine")
    async def fine() -> dict[str, str]:
        await asyncio.sleep(0.001)
        return {"slept": "no"}

    @app.get("/threaded")
    def threaded() -> dict[str, str]:
        time.sleep(0.001)  # a sync route runs in a worker thread: allowed
        return {"slept": "in a thread"}

    app.state.block = block
    return app


class TestStrictMode:
    def test_blocking_call_raises_and_is_reported_when_an_async_route_sleeps(
        self, instrumented: Instrument
    ) -> None:
        app = _app()
        inst = instrumented(app, strict=True, watchdog=False)

        with pytest.raises(BlockingError, match=r"time\.sleep"):
            TestClient(app).get("/block")

        [finding] = [f for f in inst.findings() if f.code == "MED731"]
        assert finding.subject == "GET /block"
        assert finding.location is not None
        assert finding.location.line == _line_of(app.state.block, "time.sleep")
        assert finding.evidence["function"] == "time.sleep"

    def test_nothing_is_reported_when_routes_await_or_block_in_a_worker_thread(
        self, instrumented: Instrument
    ) -> None:
        app = _app()
        inst = instrumented(app, strict=True, watchdog=False)

        with TestClient(app) as client:
            codes = [client.get(p).status_code for p in ("/fine", "/threaded", "/fine")]

        assert codes == [200, 200, 200]
        assert inst.findings() == []

    def test_calls_outside_a_running_loop_are_allowed_when_strict_is_on(self) -> None:
        handle = strict.activate(Collector())
        try:
            time.sleep(0)
        finally:
            handle.deactivate()

    def test_originals_are_restored_when_the_last_handle_deactivates(self) -> None:
        first = strict.activate(Collector())
        second = strict.activate(Collector())
        first.deactivate()
        first.deactivate()
        still_on = time.sleep is not ORIGINAL_SLEEP

        second.deactivate()

        assert still_on
        assert time.sleep is ORIGINAL_SLEEP

    def test_extra_allow_list_entry_permits_the_call_when_given(self) -> None:
        mode = strict.StrictMode(allow=[("test_strict.py", {"allowed"})]).activate()

        async def allowed() -> None:
            time.sleep(0)  # noqa: ASYNC251 - the blocking call under test

        try:
            asyncio.run(allowed())
        finally:
            mode.deactivate()
        assert time.sleep is ORIGINAL_SLEEP
