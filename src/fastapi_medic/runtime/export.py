"""Export the probes' counters through Prometheus and OpenTelemetry metrics.

Both libraries are optional extras, imported only when an exporter is created. Neither adds
work to a request: the figures are read from the collector when they are scraped (or, for
Prometheus' multiprocess mode, copied by a background thread every few seconds).

Names: counters become ``fastapi_medic_events_total{name="requests"}``, findings by code
``fastapi_medic_findings_total{code="MED701"}``, gauges ``fastapi_medic_gauge{name=...}``;
OpenTelemetry uses ``fastapi_medic.events``, ``fastapi_medic.findings``, ``fastapi_medic.gauge``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi_medic.errors import UsageError
from fastapi_medic.runtime.collector import Collector

__all__ = ["OtelExporter", "PrometheusExporter", "split_metrics"]

_FINDING = "finding."


def split_metrics(
    collector: Collector,
) -> tuple[dict[str, float], dict[str, float], dict[str, tuple[str, float]]]:
    """(counters, findings by code, gauges name -> (kind, value)) from ``collector``."""
    values = collector.metrics()
    kinds = collector.gauges()
    counters: dict[str, float] = {}
    findings: dict[str, float] = {}
    gauges: dict[str, tuple[str, float]] = {}
    for name, value in values.items():
        if name in kinds:
            gauges[name] = (kinds[name], float(value))
        elif name.startswith(_FINDING):
            findings[name[len(_FINDING) :]] = float(value)
        else:
            counters[name] = float(value)
    return counters, findings, gauges


def _multiprocess() -> bool:
    legacy = "prometheus_multiproc_dir"  # prometheus_client reads this spelling too
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get(legacy))


class PrometheusExporter:
    """Publish the collector's figures to ``prometheus_client``.

    In one process a custom collector answers each scrape from the live figures. With
    ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn workers), each worker copies its figures into
    prometheus_client's multiprocess files every ``interval`` seconds, so
    ``MultiProcessCollector`` sums counters and takes the max of peaks across workers.

    Args:
        collector: the figures.
        registry: where to register (prometheus_client's default registry when None).
        interval: seconds between copies in multiprocess mode.

    Raises:
        UsageError: prometheus_client is not installed.
    """

    def __init__(
        self, collector: Collector, registry: Any = None, *, interval: float = 5.0
    ) -> None:
        try:
            import prometheus_client
        except ImportError:
            raise UsageError(
                "prometheus=True needs prometheus_client: pip install prometheus-client"
            ) from None
        self.collector = collector
        self._stop = threading.Event()
        self._registry = registry if registry is not None else prometheus_client.REGISTRY
        self._thread: threading.Thread | None = None
        self._last: dict[tuple[str, str], float] = {}
        if _multiprocess():
            self._metrics = _MultiprocessMetrics(prometheus_client, self._registry)
            self._thread = threading.Thread(
                target=self._loop, args=(interval,), name="fastapi-medic-prometheus", daemon=True
            )
            self._thread.start()
            self._custom = None
        else:
            self._custom = _CustomCollector(collector)
            self._registry.register(self._custom)

    def sync(self) -> None:
        """Copy the figures into the multiprocess files now (no-op in one process)."""
        if self._custom is not None:
            return
        counters, findings, gauges = split_metrics(self.collector)
        for label, table, metric in (
            ("name", counters, self._metrics.events),
            ("code", findings, self._metrics.findings),
        ):
            for key, value in table.items():
                delta = value - self._last.get((label, key), 0.0)
                if delta > 0:
                    metric.labels(key).inc(delta)
                    self._last[(label, key)] = value
        for name, (kind, value) in gauges.items():
            target = self._metrics.peak if kind == "max" else self._metrics.gauge
            target.labels(name).set(value)

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.sync()
            except Exception as exc:  # keep exporting; count the failure once
                self.collector.probe_failed("export.prometheus", exc)

    def close(self) -> None:
        """Stop publishing; idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self.sync()
            self._thread = None
        if self._custom is not None:
            self._registry.unregister(self._custom)
            self._custom = None


class _MultiprocessMetrics:
    def __init__(self, prometheus_client: Any, registry: Any) -> None:
        # Multiprocess values live in files, not in the registry; registry=None avoids a
        # clash when a second instrumentation (tests) creates them again.
        self.events = prometheus_client.Counter(
            "fastapi_medic_events", "fastapi-medic runtime counters", ["name"], registry=None
        )
        self.findings = prometheus_client.Counter(
            "fastapi_medic_findings", "fastapi-medic findings by code", ["code"], registry=None
        )
        self.gauge = prometheus_client.Gauge(
            "fastapi_medic_gauge",
            "fastapi-medic gauges",
            ["name"],
            registry=None,
            multiprocess_mode="livesum",
        )
        self.peak = prometheus_client.Gauge(
            "fastapi_medic_peak",
            "fastapi-medic peaks",
            ["name"],
            registry=None,
            multiprocess_mode="max",
        )


class _CustomCollector:
    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def describe(self) -> Iterable[Any]:
        return []  # figures appear as they are counted; nothing to declare up front

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        try:
            counters, findings, gauges = split_metrics(self.collector)
        except Exception as exc:  # a scrape without our figures beats a failed scrape
            self.collector.probe_failed("export.prometheus", exc)
            return
        events = CounterMetricFamily(
            "fastapi_medic_events", "fastapi-medic runtime counters", labels=["name"]
        )
        for name, value in sorted(counters.items()):
            events.add_metric([name], value)
        by_code = CounterMetricFamily(
            "fastapi_medic_findings", "fastapi-medic findings by code", labels=["code"]
        )
        for code, value in sorted(findings.items()):
            by_code.add_metric([code], value)
        gauge = GaugeMetricFamily("fastapi_medic_gauge", "fastapi-medic gauges", labels=["name"])
        for name, (_, value) in sorted(gauges.items()):
            gauge.add_metric([name], value)
        yield events
        yield by_code
        yield gauge


class OtelExporter:
    """Publish the collector's figures as OpenTelemetry observable instruments.

    Args:
        collector: the figures.
        meter_provider: the provider (the global one when None).

    Raises:
        UsageError: opentelemetry-api is not installed.
    """

    def __init__(self, collector: Collector, meter_provider: Any = None) -> None:
        try:
            from opentelemetry import metrics
        except ImportError:
            raise UsageError(
                "otel=True needs opentelemetry-api: pip install opentelemetry-api"
            ) from None
        self.collector = collector
        self._open = True
        self._metrics = metrics
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("fastapi_medic")
        meter.create_observable_counter(
            "fastapi_medic.events", [self._events], description="fastapi-medic runtime counters"
        )
        meter.create_observable_counter(
            "fastapi_medic.findings", [self._findings], description="fastapi-medic findings by code"
        )
        meter.create_observable_gauge(
            "fastapi_medic.gauge", [self._gauges], description="fastapi-medic gauges"
        )

    def _observe(self, index: int, label: str) -> list[Any]:
        if not self._open:
            return []
        out = []
        try:
            table = split_metrics(self.collector)[index]
            for key, value in table.items():
                number = value[1] if isinstance(value, tuple) else value
                out.append(self._metrics.Observation(number, {label: key}))
        except Exception as exc:  # an export without our figures beats a failed export
            self.collector.probe_failed("export.otel", exc)
        return out

    def _events(self, options: Any) -> list[Any]:
        return self._observe(0, "name")

    def _findings(self, options: Any) -> list[Any]:
        return self._observe(1, "code")

    def _gauges(self, options: Any) -> list[Any]:
        return self._observe(2, "name")

    def close(self) -> None:
        """Stop reporting (OpenTelemetry has no way to remove an instrument); idempotent."""
        self._open = False
