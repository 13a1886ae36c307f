"""The pytest plugin of the runtime probes: fails a test whose app leaks a connection or
blocks the event loop, with the finding as the failure message.

Off unless enabled: ``pytest --medic``, ``medic = true`` in the ini file, or a
``@pytest.mark.medic`` marker on the test. While an enabled test runs, every FastAPI or
Starlette app it calls (``TestClient``, ``httpx.ASGITransport``, a server in a thread) is
instrumented on its first call, and every SQLAlchemy engine is tracked from its first
connection; both are undone when the test ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from fastapi_medic.findings import Finding

if TYPE_CHECKING:
    from fastapi_medic.runtime.collector import Collector

__all__ = ["FAILING_CODES", "MedicPlugin"]

#: The codes that fail a test: leaks, exhaustion, stalls and strict-mode blocking calls.
FAILING_CODES = frozenset({"MED720", "MED721", "MED723", "MED730", "MED731"})
_KEY = pytest.StashKey[list[Finding]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fastapi-medic")
    group.addoption(
        "--medic",
        action="store_true",
        default=None,
        help="fail tests whose app leaks a DB connection or blocks the event loop",
    )
    group.addoption(
        "--medic-stall-threshold",
        type=float,
        default=None,
        help="seconds without an event-loop iteration that fail a test (default 0.1)",
    )
    group.addoption(
        "--medic-strict",
        action="store_true",
        default=None,
        help="also make known blocking calls raise on the event loop thread",
    )
    parser.addini("medic", "turn the fastapi-medic probes on for every test", type="bool")
    parser.addini("medic_stall_threshold", "stall threshold in seconds", default="0.1")
    parser.addini("medic_strict", "strict mode for every test", type="bool")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "medic(strict=False, stall_threshold=None): run this test with the fastapi-medic "
        "probes on; it fails on a leaked connection or a blocked event loop",
    )
    config.pluginmanager.register(MedicPlugin(config), "fastapi-medic-runtime")


class MedicPlugin:
    """Per-run state: which tests were instrumented and what they found."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.instrumented = 0
        self.failed: list[tuple[str, Finding]] = []

    def _settings(self, item: pytest.Item) -> tuple[bool, float, bool]:
        config = self.config
        marker = item.get_closest_marker("medic")
        enabled = bool(marker is not None or config.getoption("medic") or config.getini("medic"))
        threshold = config.getoption("medic_stall_threshold")
        if threshold is None:
            threshold = float(config.getini("medic_stall_threshold") or 0.1)
        strict = bool(config.getoption("medic_strict") or config.getini("medic_strict"))
        if marker is not None:
            threshold = float(marker.kwargs.get("stall_threshold") or threshold)
            strict = bool(marker.kwargs.get("strict", strict))
        return enabled, threshold, strict

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        enabled, threshold, strict = self._settings(item)
        if not enabled:
            return (yield)
        self.instrumented += 1
        with _probes(threshold, strict) as found:
            try:
                return (yield)
            finally:
                item.stash[_KEY] = found

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when != "call":
            return report
        failing = [f for f in item.stash.get(_KEY, []) if f.code in FAILING_CODES]
        if failing:
            self.failed.extend((item.nodeid, f) for f in failing)
            if report.passed:
                report.outcome = "failed"
                report.longrepr = "\n".join(describe(f) for f in failing)
            else:
                report.sections.append(("fastapi-medic", "\n".join(describe(f) for f in failing)))
        return report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.instrumented:
            return
        tr = terminalreporter
        tr.section("fastapi-medic")
        tests = len({nodeid for nodeid, _ in self.failed})
        tr.write_line(
            f"{self.instrumented} test(s) ran with the probes on; "
            f"{tests} failed on {len(self.failed)} finding(s)"
        )
        for nodeid, finding in self.failed:
            where = f" ({finding.location})" if finding.location else ""
            tr.write_line(f"{nodeid}: {finding.code} {finding.message}{where}")


def describe(finding: Finding) -> str:
    """The failure message of one finding: code, message, where, the chain and the fix."""
    lines = [f"{finding.code} {finding.message}"]
    if finding.location is not None:
        lines.append(f"  at {finding.location}")
    for frame in finding.chain:
        lines.append(f"    {frame}")
    if finding.fix:
        lines.append(f"  fix: {finding.fix}")
    return "\n".join(lines)


@contextlib.contextmanager
def _probes(threshold: float, strict: bool) -> Iterator[list[Finding]]:
    """Instrument every app the test calls and track every engine; yields the findings."""
    from starlette.applications import Starlette

    from fastapi_medic.runtime.collector import Collector
    from fastapi_medic.runtime.context import current_request

    found: list[Finding] = []
    lock = threading.Lock()
    collectors: set[int] = set()
    undo: list[Callable[[], None]] = []  # unsubscribe, run after every close
    closers: list[Callable[[], None]] = []  # close what we instrumented: watchdogs report

    def listen(collector: Collector) -> None:
        with lock:
            if id(collector) in collectors:
                return
            collectors.add(id(collector))
        undo.append(collector.subscribe(found.append))

    own = Collector()
    listen(own)
    engines = _engine_watch(own)
    original = Starlette.__call__

    async def __call__(app: Any, scope: Any, receive: Any, send: Any) -> None:
        # Only the outermost app: a mounted sub-app runs inside an instrumented request.
        if current_request.get() is None:
            try:
                _instrument(app, threshold, strict, listen, closers)
            except Exception as exc:  # fail open: the test runs uninstrumented
                own.probe_failed("pytest_plugin.instrument", exc)
        await original(app, scope, receive, send)

    Starlette.__call__ = __call__  # type: ignore[method-assign,assignment]
    try:
        yield found
    finally:
        Starlette.__call__ = original  # type: ignore[method-assign]
        for step in [*closers, *([engines.close] if engines is not None else []), *undo]:
            with contextlib.suppress(Exception):
                step()


def _instrument(
    app: Any,
    threshold: float,
    strict: bool,
    listen: Callable[[Collector], None],
    closers: list[Callable[[], None]],
) -> None:
    existing = getattr(app, "_fastapi_medic", None)
    if existing is None:
        from fastapi_medic.runtime import instrument

        existing = instrument(
            app,
            stall_threshold=threshold,
            strict=strict,
            startup_report=False,
        )
        closers.append(existing.close)
    collector = getattr(existing, "collector", None)
    if collector is not None:
        listen(collector)


def _engine_watch(collector: Collector) -> Any:
    from fastapi_medic.runtime.engine_watch import EngineWatch

    try:
        return EngineWatch(collector)
    except ImportError:  # SQLAlchemy is not installed: nothing to track
        return None
