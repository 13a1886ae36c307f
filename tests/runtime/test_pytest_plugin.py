"""The pytest plugin, run on real test files with pytester."""

from __future__ import annotations

import importlib.metadata

import pytest

pytest_plugins = ["pytester"]

PLUGIN = "fastapi_medic.runtime.pytest_plugin"

APP = """
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

engine = create_engine("sqlite:///app.db")
app = FastAPI()
kept = []


@app.get("/leak")
def leak():
    conn = engine.connect()
    kept.append(conn)
    return {"n": conn.execute(text("SELECT 1")).scalar_one()}


@app.get("/ok")
def ok():
    with engine.connect() as conn:
        return {"n": conn.execute(text("SELECT 1")).scalar_one()}


@app.get("/block")
async def block():
    time.sleep(0.5)
    return {}


@pytest.fixture(autouse=True)
def _return_kept_connections():
    yield
    for conn in kept:
        conn.close()
    kept.clear()
    engine.dispose()
"""


def _line(needle: str) -> int:
    """The line of the generated test file (APP first) that contains ``needle``."""
    return next(i for i, line in enumerate(APP.lstrip("\n").splitlines(), 1) if needle in line)


def _plugin_args() -> list[str]:
    # Once installed, the package's entry point loads the plugin; -p would load it twice.
    loaded = any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if loaded else ["-p", PLUGIN]


def _run(pytester: pytest.Pytester, tests: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_app=APP + tests)
    return pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider", *args)


LEAK_TEST = """

def test_leak():
    assert TestClient(app).get("/leak").status_code == 200
"""

BLOCK_TEST = """

def test_block():
    with TestClient(app) as client:
        assert client.get("/block").status_code == 200
"""

CLEAN_TEST = """

def test_clean():
    with TestClient(app) as client:
        assert client.get("/ok").status_code == 200
"""


class TestEnabling:
    def test_leaking_test_passes_when_the_plugin_is_not_enabled(
        self, pytester: pytest.Pytester
    ) -> None:
        result = _run(pytester, LEAK_TEST)

        result.assert_outcomes(passed=1)
        # the plugin is listed in the header, but writes no section of its own
        result.stdout.no_re_match_line(r"^=+ fastapi-medic =+$")

    def test_leaking_test_fails_with_the_finding_when_run_with_medic(
        self, pytester: pytest.Pytester
    ) -> None:
        result = _run(pytester, LEAK_TEST, "--medic")

        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "MED720 Connection checked out by GET /leak is never returned to the pool",
                f"  at test_app.py:{_line('conn = engine.connect()')}:1",
                "*fix: Use `with engine.connect() as conn:`*",
            ]
        )

    def test_marker_enables_the_probes_when_the_option_is_absent(
        self, pytester: pytest.Pytester
    ) -> None:
        marked = LEAK_TEST.replace("def test_leak", "@pytest.mark.medic\ndef test_leak")

        result = _run(pytester, marked)

        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*MED720*"])

    def test_ini_option_enables_the_probes_when_set(self, pytester: pytest.Pytester) -> None:
        pytester.makeini("[pytest]\nmedic = true\n")

        result = _run(pytester, LEAK_TEST)

        result.assert_outcomes(failed=1)


class TestFailures:
    def test_blocking_test_fails_with_the_stall_when_run_with_medic(
        self, pytester: pytest.Pytester
    ) -> None:
        result = _run(pytester, BLOCK_TEST, "--medic")

        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "MED730 Event loop blocked for * s in GET /block",
                f"  at test_app.py:{_line('time.sleep(0.5)')}:1",
            ]
        )

    def test_strict_option_fails_on_the_blocking_call_when_given(
        self, pytester: pytest.Pytester
    ) -> None:
        result = _run(pytester, BLOCK_TEST, "--medic", "--medic-strict")

        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*MED731 Blocking call to time.sleep*GET /block*"])

    def test_clean_test_passes_and_the_summary_counts_it_when_run_with_medic(
        self, pytester: pytest.Pytester
    ) -> None:
        result = _run(pytester, CLEAN_TEST, "--medic")

        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            ["*fastapi-medic*", "1 test(s) ran with the probes on; 0 failed on 0 finding(s)"]
        )

    def test_client_entered_in_a_fixture_is_covered_when_the_test_uses_it(
        self, pytester: pytest.Pytester
    ) -> None:
        tests = """

@pytest.fixture
def client():
    with TestClient(app) as c:
        yield c


def test_first(client):
    assert client.get("/leak").status_code == 200


def test_second(client):
    assert client.get("/ok").status_code == 200
"""
        result = _run(pytester, tests, "--medic")

        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["*test_first: MED720*"])

    def test_async_client_test_fails_on_the_leak_when_the_app_runs_in_process(
        self, pytester: pytest.Pytester
    ) -> None:
        tests = """

import asyncio
import httpx


def test_async_leak():
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.get("/leak")).status_code

    assert asyncio.run(go()) == 200
"""
        result = _run(pytester, tests, "--medic")

        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*MED720*GET /leak*"])
