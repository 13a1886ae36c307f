"""Prometheus (single and multiprocess) and OpenTelemetry export of the probes' figures."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from fastapi_medic.errors import UsageError
from fastapi_medic.runtime import Instrumentation
from fastapi_medic.runtime.collector import Collector
from fastapi_medic.runtime.export import OtelExporter, PrometheusExporter, split_metrics

Instrument = Callable[..., Instrumentation]
AppFactory = Callable[..., FastAPI]


def _served(make_app: AppFactory, instrumented: Instrument, **options: Any) -> Instrumentation:
    app = make_app()
    inst = instrumented(app, **options)
    client = TestClient(app, raise_server_exceptions=False)
    client.get("/hello")
    client.get("/boom")
    return inst


def test_split_separates_counters_findings_and_gauges_when_all_are_present() -> None:
    collector = Collector()
    collector.count("requests", 3)
    collector.count("finding.MED701")
    collector.peak("pool_peak", 4)
    collector.set("checked_out", 1)

    counters, findings, gauges = split_metrics(collector)

    assert counters == {"requests": 3.0}
    assert findings == {"MED701": 1.0}
    assert gauges == {"pool_peak": ("max", 4.0), "checked_out": ("last", 1.0)}


def test_prometheus_scrape_shows_the_figures_when_requests_were_served(
    make_app: AppFactory, instrumented: Instrument
) -> None:
    inst = _served(make_app, instrumented)
    registry = CollectorRegistry()
    exporter = PrometheusExporter(inst.collector, registry)

    text = generate_latest(registry).decode()
    exporter.close()

    assert 'fastapi_medic_events_total{name="requests"} 2.0' in text
    assert 'fastapi_medic_events_total{name="errors"} 1.0' in text
    assert 'fastapi_medic_findings_total{code="MED701"} 1.0' in text
    assert "fastapi_medic" not in generate_latest(registry).decode()


def test_prometheus_scrape_still_works_when_reading_the_figures_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collector = Collector()
    registry = CollectorRegistry()
    exporter = PrometheusExporter(collector, registry)

    def boom() -> NoReturn:
        raise RuntimeError("injected")

    monkeypatch.setattr(collector, "metrics", boom)
    text = generate_latest(registry).decode()
    exporter.close()

    assert "fastapi_medic_events" not in text
    assert collector.findings()[0].code == "MED719"


def test_instrument_registers_and_removes_the_prometheus_collector_when_asked(
    make_app: AppFactory, instrumented: Instrument
) -> None:
    from prometheus_client import REGISTRY

    inst = _served(make_app, instrumented, prometheus=True)
    during = generate_latest(REGISTRY).decode()
    inst.close()

    assert 'fastapi_medic_events_total{name="requests"} 2.0' in during
    assert "fastapi_medic_events" not in generate_latest(REGISTRY).decode()


def test_prometheus_is_a_usage_error_when_prometheus_client_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)

    with pytest.raises(UsageError, match="pip install prometheus-client"):
        PrometheusExporter(Collector())


WORKER = """
import sys
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fastapi_medic.runtime import instrument

app = FastAPI()

@app.get("/hello")
async def hello():
    return {}

inst = instrument(app, prometheus=True, watchdog=False, startup_report=False)
client = TestClient(app)
for _ in range(int(sys.argv[1])):
    client.get("/hello")
inst.close()
"""

SCRAPE = """
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

registry = CollectorRegistry()
MultiProcessCollector(registry)
print(generate_latest(registry).decode())
"""


def test_prometheus_sums_workers_when_multiprocess_mode_is_on(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    (tmp_path / "worker.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "scrape.py").write_text(textwrap.dedent(SCRAPE))

    for count in ("3", "4"):  # two worker processes, as gunicorn would run them
        subprocess.run(
            [sys.executable, "worker.py", count], cwd=tmp_path, env=env, check=True, timeout=60
        )
    scraped = subprocess.run(
        [sys.executable, "scrape.py"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout

    assert 'fastapi_medic_events_total{name="requests"} 7.0' in scraped


def test_otel_reader_collects_the_figures_when_requests_were_served(
    make_app: AppFactory, instrumented: Instrument
) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    inst = _served(make_app, instrumented)
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    exporter = OtelExporter(inst.collector, provider)

    data = reader.get_metrics_data()
    exporter.close()
    provider.shutdown()

    assert data is not None
    points = {
        (metric.name, tuple(sorted(dict(point.attributes or {}).items()))): point.value  # type: ignore[union-attr]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    }
    assert points[("fastapi_medic.events", (("name", "requests"),))] == 2
    assert points[("fastapi_medic.findings", (("code", "MED701"),))] == 1


def test_otel_reports_nothing_when_the_exporter_is_closed() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    collector = Collector()
    collector.count("requests")
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    exporter = OtelExporter(collector, provider)

    exporter.close()
    data = reader.get_metrics_data()
    provider.shutdown()

    names = [
        m.name
        for r in (data.resource_metrics if data else [])
        for s in r.scope_metrics
        for m in s.metrics
        if m.data.data_points
    ]
    assert names == []
