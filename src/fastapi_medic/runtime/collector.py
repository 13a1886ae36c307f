"""One thread-safe place where every runtime probe reports findings, counters and samples."""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Mapping

from fastapi_medic.findings import Finding, Location, sorted_findings

__all__ = ["Collector", "FindingKey"]

FindingKey = tuple[str, str | None, Location | None]
Listener = Callable[[Finding], None]

_log = logging.getLogger("fastapi_medic.runtime")


class Collector:
    """Findings deduplicated by (code, subject, location), plus counters and a sample ring.

    Probes call it from the event loop, from SQLAlchemy's threads and from the watchdog thread,
    so every method takes one lock and does a few dictionary operations only.

    Args:
        max_findings: distinct findings kept; later distinct ones are counted, not stored.
        max_samples: pool samples kept (oldest dropped first).
    """

    def __init__(self, *, max_findings: int = 1000, max_samples: int = 2000) -> None:
        self._lock = threading.Lock()
        self._findings: dict[FindingKey, Finding] = {}
        self._occurrences: dict[FindingKey, int] = {}
        self._counters: dict[str, float | int] = {}
        self._samples: collections.deque[dict[str, float | int | str]] = collections.deque(
            maxlen=max_samples
        )
        self._listeners: list[Listener] = []
        self._max_findings = max_findings
        self._failed_hooks: set[str] = set()
        self._gauges: dict[str, str] = {}
        self._live: list[Callable[[], Mapping[str, float | int]]] = []

    @staticmethod
    def key(finding: Finding) -> FindingKey:
        """The identity two reports of the same problem share."""
        return (finding.code, finding.subject, finding.location)

    def add(self, finding: Finding) -> bool:
        """Record ``finding``; returns True when it is new (not a repeat of a known one).

        Listeners (the JSON-lines sink, exporters) hear about every occurrence, so a repeated
        leak still shows up in a log stream while :meth:`findings` stays deduplicated.
        """
        key = self.key(finding)
        with self._lock:
            seen = key in self._findings
            if seen:
                self._occurrences[key] += 1
            elif len(self._findings) < self._max_findings:
                self._findings[key] = finding
                self._occurrences[key] = 1
            else:
                self._counters["findings_dropped"] = self._counters.get("findings_dropped", 0) + 1
            self._counters[f"finding.{finding.code}"] = (
                self._counters.get(f"finding.{finding.code}", 0) + 1
            )
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(finding)
            except Exception as exc:  # a broken listener must not lose findings
                self.probe_failed("collector.listener", exc)
        return not seen

    def count(self, name: str, n: float = 1) -> None:
        """Add ``n`` to counter ``name``."""
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + n

    def peak(self, name: str, value: float) -> None:
        """Keep the highest ``value`` seen under ``name`` (``pool_peak``)."""
        with self._lock:
            self._gauges[name] = "max"
            if value > self._counters.get(name, float("-inf")):
                self._counters[name] = value

    def set(self, name: str, value: float) -> None:
        """Set gauge ``name`` to ``value``."""
        with self._lock:
            self._gauges[name] = "last"
            self._counters[name] = value

    def add_sample(self, sample: dict[str, float | int | str]) -> None:
        """Append one time-series point (pool state: t, engine, size, checked_out, ...)."""
        with self._lock:
            self._samples.append(sample)

    def samples(self) -> list[dict[str, float | int | str]]:
        """The time-series points kept, oldest first."""
        with self._lock:
            return [dict(s) for s in self._samples]

    def findings(self) -> list[Finding]:
        """Distinct findings in report order; repeats carry ``occurrences`` in their evidence."""
        with self._lock:
            items = [(f, self._occurrences.get(k, 1)) for k, f in self._findings.items()]
        out = [
            f if n == 1 else f.replace(evidence={**f.evidence, "occurrences": n}) for f, n in items
        ]
        return sorted_findings(out)

    def metrics(self) -> dict[str, float | int]:
        """A copy of every counter and gauge, live counters included."""
        with self._lock:
            out = dict(self._counters)
            live = list(self._live)
        for source in live:
            try:
                for name, value in source().items():
                    out[name] = out.get(name, 0) + value
            except Exception as exc:  # one broken source must not hide the others
                self.probe_failed("collector.live", exc)
        return out

    def add_live(self, source: Callable[[], Mapping[str, float | int]]) -> None:
        """Add counters that ``source()`` reads from their owner when metrics are asked for.

        For counters bumped on every request: a plain attribute costs less than a lock.
        """
        with self._lock:
            self._live.append(source)

    def gauges(self) -> dict[str, str]:
        """Names in :meth:`metrics` that are gauges -> ``max`` (a peak) or ``last``; the rest
        are monotonic counters."""
        with self._lock:
            return dict(self._gauges)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(finding)`` on every finding added; returns an unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def probe_failed(self, where: str, exc: BaseException) -> None:
        """Count a failure of our own code at ``where`` and log it once; never raises."""
        try:
            with self._lock:
                self._counters["probe_errors"] = self._counters.get("probe_errors", 0) + 1
                first = where not in self._failed_hooks
                self._failed_hooks.add(where)
            if first:
                _log.warning(
                    "fastapi-medic probe %s failed; your request was not affected",
                    where,
                    exc_info=(type(exc), exc, exc.__traceback__),
                )
                # Imported lazily: the rules module imports the registry, which is only
                # needed once something actually went wrong.
                from fastapi_medic.runtime.rules import ProbeFailed

                finding = ProbeFailed.finding(
                    f"fastapi-medic's {where} probe failed with {type(exc).__name__}",
                    subject=where,
                    fix="Report this with the logged traceback; the probe is skipped meanwhile",
                    evidence={"hook": where, "exc_type": type(exc).__name__},
                )
                with self._lock:
                    self._findings.setdefault(self.key(finding), finding)
                    self._occurrences.setdefault(self.key(finding), 1)
        except Exception:  # the failure path itself must never fail
            pass
