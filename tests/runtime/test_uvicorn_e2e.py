"""End to end: a real uvicorn server (uvloop, httptools) on 127.0.0.1 with the probes on."""

from __future__ import annotations

import inspect
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Connection, create_engine, text

from fastapi_medic.runtime import instrument


def _line_of(fn: Callable[..., Any], needle: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if needle in line)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yields the base URL."""
    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn")
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_leak_stall_and_clean_route_are_each_reported_once_when_served_by_uvicorn(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
    kept: list[Connection] = []
    app = FastAPI()

    @app.get("/leak")
    def leak() -> dict[str, int]:
        conn = engine.connect()
        kept.append(conn)
        return {"n": conn.execute(text("SELECT 1")).scalar_one()}

    @app.get("/block")
    async def block() -> dict[str, str]:
        time.sleep(0.4)  # noqa: ASYNC251 - the blocking call under test
        return {"slept": "on the loop"}

    @app.get("/fine")
    def fine() -> dict[str, int]:
        with engine.connect() as conn:
            return {"n": conn.execute(text("SELECT 1")).scalar_one()}

    inst = instrument(app, engine, stall_threshold=0.1, startup_report=False)
    try:
        with _serve(app) as base, httpx.Client(base_url=base, timeout=10) as client:
            statuses = [client.get(p).status_code for p in ("/fine", "/leak", "/fine")]
            statuses += [client.get(p).status_code for p in ("/block", "/fine", "/leak")]
    finally:
        inst.close()
        for conn in kept:
            conn.close()
        engine.dispose()

    assert statuses == [200] * 6
    findings = inst.findings()
    assert sorted((f.code, f.subject) for f in findings) == [
        ("MED720", "GET /leak"),
        ("MED730", "GET /block"),
    ]
    by_code = {f.code: f for f in findings}
    leak_at, block_at = by_code["MED720"].location, by_code["MED730"].location
    assert leak_at is not None
    assert block_at is not None
    assert leak_at.line == _line_of(leak, "engine.connect()")
    assert block_at.line == _line_of(block, "time.sleep(0.4)")
    assert by_code["MED720"].evidence["occurrences"] == 2  # two requests, one finding
    assert "occurrences" not in by_code["MED730"].evidence
    metrics = inst.metrics()
    assert (metrics["requests"], metrics["leaks"], metrics["stalls"]) == (6, 2, 1)
