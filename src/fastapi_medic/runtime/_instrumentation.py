"""Wiring of one :func:`~fastapi_medic.runtime.instrument` call: each probe on demand."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from fastapi_medic.findings import Finding
from fastapi_medic.runtime import context
from fastapi_medic.runtime.collector import Collector
from fastapi_medic.runtime.emit import Emitter
from fastapi_medic.runtime.middleware import MedicMiddleware
from fastapi_medic.runtime.sink import JsonLinesSink

__all__ = ["Instrumentation"]

# Findings the middleware already emits with its request record.
_REQUEST_CODES = frozenset({"MED701", "MED702", "MED703"})
_log = logging.getLogger("fastapi_medic.runtime")


class Instrumentation:
    """The probes of one instrumented app (made by ``instrument()``); a context manager.

    Attributes:
        collector: every finding, counter and sample of the probes.
        emitter: the thread that logs flagged requests and writes the sink.
        middleware: the ASGI middleware wrapped around the app's stack.
        startup: the redacted startup report (empty when it was turned off).
    """

    def __init__(
        self,
        app: Any,
        engines: list[Any],
        *,
        stall_threshold: float,
        strict: bool,
        slow_request: float,
        json_logs: bool,
        sink: str | Path | None,
        logger: logging.Logger | None,
        prometheus: bool,
        otel: bool,
        watchdog: bool,
        startup_report: bool,
        env_vars: tuple[str, ...],
        source_root: Path | None,
    ) -> None:
        self.app = app
        self.engines = engines
        self.collector = Collector()
        self.startup: dict[str, Any] = {}
        self._undo: list[Callable[[], None]] = []
        self._closed = False
        self._pool: Any = None
        self._watchdog: Any = None
        self._undo.append(context.on_probe_failure(self.collector.probe_failed))

        from fastapi_medic.runtime.logging import install

        self._undo.append(install(json_logs=json_logs))
        self.emitter = Emitter(
            logger or logging.getLogger("fastapi_medic.requests"),
            JsonLinesSink(sink) if sink is not None else None,
            on_failure=self.collector.probe_failed,
        )
        self._undo.append(self.collector.subscribe(self._emit_other))
        self.collector.add_live(lambda: {"emit_suppressed": self.emitter.suppressed})
        # Queued records are written by a daemon thread: give it a moment at interpreter exit.
        atexit.register(self.emitter.flush, 2.0)
        self._undo.append(lambda: atexit.unregister(self.emitter.flush))
        if engines:
            self._wire_engines(engines)
        on_loop = None
        if watchdog or strict:
            on_loop = self._wire_watchdog(stall_threshold, strict=strict, watchdog=watchdog)
        self.middleware = self._wrap(
            MedicMiddleware(
                app,  # replaced by the built stack in _wrap
                self.collector,
                emitter=self.emitter,
                slow_request=slow_request,
                on_loop=on_loop,
            )
        )
        if startup_report:
            self._startup(env_vars, source_root)
        if prometheus or otel:
            self._wire_export(prometheus=prometheus, otel=otel)
        app._fastapi_medic = self

    # -- wiring --------------------------------------------------------------------------

    def _wrap(self, middleware: MedicMiddleware) -> MedicMiddleware:
        app = self.app
        original = app.build_middleware_stack

        def build_middleware_stack() -> Any:
            # Outside ServerErrorMiddleware: its 500 response passes through our send.
            middleware.app = original()
            return middleware

        app.build_middleware_stack = build_middleware_stack
        if app.middleware_stack is not None:  # the app has served already: wrap what it built
            middleware.app = app.middleware_stack
            app.middleware_stack = middleware

        def unwrap() -> None:
            middleware.enabled = False
            if app.__dict__.get("build_middleware_stack") is build_middleware_stack:
                del app.build_middleware_stack
            if app.middleware_stack is middleware:
                app.middleware_stack = middleware.app

        self._undo.append(unwrap)
        return middleware

    def _wire_engines(self, engines: list[Any]) -> None:
        from fastapi_medic.runtime.statements import StatementTracker

        tracker = StatementTracker(engines)
        self._undo.append(tracker.close)
        try:
            from fastapi_medic.runtime.pool import PoolTracker
        except ImportError:
            return
        self._pool = PoolTracker(engines, self.collector)
        self._undo.append(self._pool.close)

    def _wire_watchdog(
        self, threshold: float, *, strict: bool, watchdog: bool
    ) -> Callable[[Any], object] | None:
        starts: list[Callable[[Any], object]] = []
        if watchdog:
            from fastapi_medic.runtime.watchdog import Watchdog

            self._watchdog = Watchdog(threshold, self.collector)
            self._undo.append(self._watchdog.stop)
            starts.append(self._watchdog.start)
        if strict:
            try:
                from fastapi_medic.runtime import strict as strict_mode
            except ImportError:
                _log.warning("fastapi-medic strict mode is not available in this version")
            else:
                guard = strict_mode.activate(self.collector)
                self._undo.append(guard.deactivate)
        if not starts:
            return None

        def on_loop(loop: Any) -> None:
            for start in starts:
                start(loop)

        return on_loop

    def _startup(self, env_vars: tuple[str, ...], source_root: Path | None) -> None:
        from fastapi_medic.runtime.startup import build_report, env_names_in

        try:
            env = env_names_in(source_root) if source_root is not None else {}
            for name in env_vars:
                env.setdefault(name, False)
            self.startup, findings = build_report(self.engines, env)
            for finding in findings:
                self.collector.add(finding)
            self.emitter.event(logging.INFO, "fastapi-medic startup report", startup=self.startup)
        except Exception as exc:  # fail open: the app starts without the report
            self.collector.probe_failed("startup", exc)

    def _wire_export(self, *, prometheus: bool, otel: bool) -> None:
        from fastapi_medic.runtime import export

        if prometheus:
            self._undo.append(export.PrometheusExporter(self.collector).close)
        if otel:
            self._undo.append(export.OtelExporter(self.collector).close)

    def _emit_other(self, finding: Finding) -> None:
        # Leaks, stalls and pool findings come from other probes; one sink line each.
        if (
            finding.code not in _REQUEST_CODES
            and not self._closed
            and self.emitter.allow((finding.code, finding.subject))
        ):
            self.emitter.event(
                int(finding.severity),
                finding.message,
                code=finding.code,
                subject=finding.subject,
                evidence=dict(finding.evidence),
            )

    # -- public --------------------------------------------------------------------------

    def findings(self) -> list[Finding]:
        """Everything the probes found so far, deduplicated, in report order."""
        return self.collector.findings()

    def metrics(self) -> dict[str, float | int]:
        """Counters and gauges: requests, errors, stalls, leaks, checkouts, pool_peak, ..."""
        return self.collector.metrics()

    def pool_samples(self) -> list[dict[str, float | int | str]]:
        """Pool state over time: t, engine, size, checked_out, overflow, waits."""
        samples = getattr(self._pool, "samples", None)
        if callable(samples):
            return list(samples())
        return self.collector.samples()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the log records and sink lines queued so far are written."""
        return self.emitter.flush(timeout)

    def close(self) -> None:
        """Stop the threads, remove listeners, filters and the middleware; idempotent."""
        if self._closed:
            return
        self._closed = True
        for step in reversed(self._undo):
            try:
                step()
            except Exception as exc:  # close the rest anyway
                self.collector.probe_failed("close", exc)
        self._undo.clear()
        self.emitter.close()
        if getattr(self.app, "_fastapi_medic", None) is self:
            self.app._fastapi_medic = None

    def __enter__(self) -> Instrumentation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
