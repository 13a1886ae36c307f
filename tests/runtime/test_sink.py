"""The JSON-lines sink, end to end under a real uvicorn server, and the codes in the CLI."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastapi_medic.runtime.sink import REQUIRED_KEYS, JsonLinesSink, read_sink

Server = Callable[..., contextlib.AbstractContextManager[str]]
CORE_CODES = ["MED701", "MED702", "MED703", "MED704", "MED705", "MED706", "MED719"]

APP = """
import asyncio, os, time
from fastapi import FastAPI, HTTPException
from sqlalchemy import create_engine, text
import fastapi_medic.runtime as medic

engine = create_engine("sqlite:///" + os.path.join(os.getcwd(), "app.db"))
app = FastAPI()

@app.get("/ok")
async def ok():
    return {"ok": True}

@app.get("/boom/{order_id}")
def boom(order_id: int):
    with engine.connect() as conn:
        conn.execute(text("SELECT 'card-4111' AS card, :n AS n"), {"n": order_id})
    raise ValueError("order failed")

@app.get("/slow")
async def slow():
    await asyncio.sleep(0.3)
    return {"slow": True}

medic.instrument(
    app, engine, sink=os.path.join(os.getcwd(), "medic.jsonl"), slow_request=0.2,
    startup_report=True,
)
"""


def _wait_for(path: Path, codes: set[str], deadline: float = 10.0) -> list[dict[str, Any]]:
    """The sink's entries once lines with ``codes`` are there (the writer is a thread)."""
    end = time.monotonic() + deadline
    entries: list[dict[str, Any]] = []
    while time.monotonic() < end:
        entries = list(read_sink(path)) if path.exists() else []
        if codes <= {e.get("code") for e in entries}:
            break
        time.sleep(0.05)
    return entries


def test_sink_lines_have_every_required_key_when_a_record_is_written(tmp_path: Path) -> None:
    sink = JsonLinesSink(tmp_path / "logs" / "medic.jsonl")
    record = logging.getLogger("x").makeRecord(
        "x", logging.INFO, "f.py", 1, "hello %s", ("you",), None
    )

    sink.emit(record)
    sink.close()

    [entry] = read_sink(tmp_path / "logs" / "medic.jsonl")
    assert set(REQUIRED_KEYS) <= set(entry)
    assert entry["message"] == "hello you"
    assert entry["code"] is None


def test_read_sink_skips_lines_when_they_are_not_json_objects(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"message": "a"}\nnot json\n[1, 2]\n{"message": "b"}\n')

    assert [e["message"] for e in read_sink(path)] == ["a", "b"]


def test_uvicorn_app_writes_failed_and_slow_requests_to_the_sink_when_instrumented(
    tmp_path: Path, uvicorn_server: Server
) -> None:
    sink = tmp_path / "medic.jsonl"
    with uvicorn_server(tmp_path, APP) as base:
        ok = httpx.get(f"{base}/ok")
        boom = httpx.get(f"{base}/boom/7", headers={"X-Request-ID": "e2e-boom"})
        httpx.get(f"{base}/slow")
        entries = _wait_for(sink, {"MED701", "MED702"})

    assert ok.status_code == 200
    assert boom.status_code == 500
    assert boom.headers["x-request-id"] == "e2e-boom"
    by_code = {e["code"]: e for e in entries if e["code"]}
    failed = by_code["MED701"]
    assert failed["request_id"] == "e2e-boom"
    assert failed["route"] == "/boom/{order_id}"
    assert failed["method"] == "GET"
    assert failed["status"] == 500
    assert failed["exc_type"] == "ValueError"
    assert "order failed" in failed["traceback"]
    assert "app.py" in failed["message"]
    assert [c["kind"] for c in failed["breadcrumbs"]] == ["request", "sql", "response"]
    assert by_code["MED702"]["route"] == "/slow"
    assert not [e for e in entries if e.get("route") == "/ok"]
    assert any(e.get("startup") for e in entries)
    text = sink.read_text()
    assert "card-4111" not in text
    assert "7" not in [c.get("message") for c in failed["breadcrumbs"]]


@pytest.mark.parametrize("code", CORE_CODES)
def test_rules_command_documents_the_code_when_asked_for_it(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fastapi_medic", "rules", code],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert code in result.stdout
    assert "Checks for" in result.stdout
