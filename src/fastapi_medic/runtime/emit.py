"""Ship breadcrumbs and tracebacks of flagged requests off the event loop.

The middleware hands a flagged request to :meth:`Emitter.request`, which only puts a tuple on
a queue. A daemon thread turns it into one log record (on your logger, with the request
context and the traceback) and one sink line. Nothing is formatted or written on the loop,
and requests that are fine never reach this module.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi_medic.findings import Finding, Severity
from fastapi_medic.runtime.context import RequestState
from fastapi_medic.runtime.logging import record_dict
from fastapi_medic.runtime.sink import JsonLinesSink

__all__ = ["Emitter"]

_STOP = object()


class Emitter:
    """A queue and a thread that log flagged requests and other rare events.

    Args:
        logger: where records go (``fastapi_medic.requests`` unless you pass your own).
        sink: an optional JSON-lines sink that gets every record as well.
        on_failure: told about a record that could not be written (the collector counts it).
        limit: records per kind of problem (code and route) per ``window`` seconds; more are
            counted in :attr:`suppressed`, not written, so an overloaded app where every
            request is slow does not also drown in its own diagnostics.
        window: seconds of the rate window.
    """

    def __init__(
        self,
        logger: logging.Logger,
        sink: JsonLinesSink | None = None,
        *,
        on_failure: Callable[[str, BaseException], None] | None = None,
        limit: int = 10,
        window: float = 60.0,
    ) -> None:
        self.logger = logger
        self.sink = sink
        self.on_failure = on_failure
        self.limit = limit
        self.window = window
        self.suppressed = 0
        self._windows: dict[object, tuple[float, int]] = {}
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.failures = 0

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="fastapi-medic-emit", daemon=True
                    )
                    self._thread.start()

    def allow(self, key: object) -> bool:
        """True when a record of kind ``key`` may be written now (see ``limit``)."""
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if count >= self.limit:
            self.suppressed += 1
            return False
        if len(self._windows) > 10_000:  # many distinct routes: forget the old windows
            self._windows.clear()
        self._windows[key] = (start, count + 1)
        return True

    def request(
        self, state: RequestState, error: BaseException | None, findings: Sequence[Finding]
    ) -> None:
        """Queue a flagged request: its breadcrumbs, findings and exception."""
        code = findings[0].code if findings else ",".join(sorted(state.flags))
        if not self.allow((code, state.method, state.route_template() or state.path)):
            return
        self._ensure_thread()
        self._queue.put(("request", state, error, tuple(findings)))

    def event(self, level: int, message: str, **fields: Any) -> None:
        """Queue a record that belongs to no request (startup report, probe summary)."""
        self._ensure_thread()
        self._queue.put(("event", level, message, fields))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written; True when it was in time."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, stop the thread and close the sink; idempotent."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)
        self._thread = None
        if self.sink is not None:
            self.sink.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                if item[0] == "request":
                    self._write(self._request_record(*item[1:]))
                elif item[0] == "event":
                    _, level, message, fields = item
                    self._write(self._record(level, message, None, fields))
                else:
                    item[1].set()
            except Exception as exc:  # the emitter must outlive a bad record
                self.failures += 1
                if self.on_failure is not None:
                    self.on_failure("emit", exc)

    def _record(
        self, level: int, message: str, exc: BaseException | None, fields: dict[str, Any]
    ) -> logging.LogRecord:
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        record = self.logger.makeRecord(
            self.logger.name, level, "(fastapi-medic)", 0, message, (), exc_info
        )
        record.__dict__.update(fields)
        return record

    def _request_record(
        self, state: RequestState, error: BaseException | None, findings: tuple[Finding, ...]
    ) -> logging.LogRecord:
        route = state.route_template()
        worst = max((f.severity for f in findings), default=Severity.WARNING)
        code = findings[0].code if findings else None
        why = ", ".join(sorted(state.flags))
        message = findings[0].message if findings else f"{state.method} {route or state.path}"
        where = next((f for f in findings if f.location is not None), None)
        if where is not None and where.location is not None:
            label = where.chain[-1].label if where.chain else "?"
            message += f" at {where.location.path}:{where.location.line} in {label}"
        crumbs = [
            {"t_ms": 0.0, "kind": "request", "message": f"{state.method} {state.path}"},
            *(c.as_dict() for c in state.breadcrumbs),
            {
                "t_ms": round((state.duration or 0.0) * 1000.0, 3),
                "kind": "response",
                "message": f"status {state.status}",
            },
        ]
        fields = {
            "request_id": state.request_id,
            "route": route,
            "method": state.method,
            "status": state.status,
            "duration_ms": round((state.duration or 0.0) * 1000.0, 1),
            "code": code,
            "breadcrumbs": crumbs,
            "findings": [f.code for f in findings],
            "flags": why,
        }
        return self._record(int(worst), f"{message} [{why}]", error, fields)

    def _write(self, record: logging.LogRecord) -> None:
        if self.logger.isEnabledFor(record.levelno):
            self.logger.handle(record)
        if self.sink is not None:
            # write() rather than emit(): a failure reaches _run and is counted there.
            self.sink.write(record_dict(record))
