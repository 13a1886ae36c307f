"""``fastapi-medic load``: a bounded load on the app with the runtime probes on.

The app is served in a child process, in-process (through its ASGI interface) or by a real
uvicorn bound to 127.0.0.1 and nothing else. The load stops at ``requests`` or ``duration``,
whichever comes first, and both are capped. The result holds latency percentiles per route,
errors grouped by cause, and what the runtime probes saw: event-loop stalls with their stacks,
leaked connections and sessions per route, and pool use over time.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi_medic.errors import AppImportError, UsageError
from fastapi_medic.findings import Cause, Finding, Location
from fastapi_medic.live._process import run_job
from fastapi_medic.live._serial import finding_from_json
from fastapi_medic.live._tb import parse_error
from fastapi_medic.live.curl import RequestSpec
from fastapi_medic.live.loader import resolve_target
from fastapi_medic.live.repro import import_failure_message
from fastapi_medic.live.rules import AppHang, RouteErrorUnderLoad

__all__ = ["LIMITS", "ErrorGroup", "LoadResult", "RouteStats", "load"]

#: Hard upper bounds, whatever is asked for.
LIMITS = {"requests": 10_000, "concurrency": 100, "duration": 300.0}
_STARTUP_ALLOWANCE = 60.0
PERCENTILES = (50, 90, 95, 99)


@dataclasses.dataclass(frozen=True)
class RouteStats:
    """Latency and outcome of one route under load (latencies in milliseconds)."""

    route: str
    requests: int
    errors: int
    statuses: dict[str, int]
    percentiles: dict[str, float]
    max_ms: float


@dataclasses.dataclass(frozen=True)
class ErrorGroup:
    """Failed requests that share a route, an exception type and your frame."""

    route: str
    cause: str
    count: int
    headline: str
    location: str | None


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """What one load run measured and found."""

    app: str
    server: str
    requests: int
    concurrency: int
    elapsed: float
    stopped_by: str
    overall: RouteStats
    routes: tuple[RouteStats, ...]
    errors: tuple[ErrorGroup, ...]
    pool: tuple[dict[str, Any], ...]
    metrics: dict[str, Any]
    instrumented: bool
    findings: tuple[Finding, ...]
    #: (seconds since start, latency ms, route, outcome) for up to 2,000 requests
    timeline: tuple[tuple[float, float, str, str], ...] = ()

    @property
    def throughput(self) -> float:
        """Requests per second over the run."""
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def by_cause(self, cause: Cause) -> list[Finding]:
        """The findings of one cause (``event-loop`` for stalls, ``pool-exhaustion``...)."""
        return [f for f in self.findings if f.cause is cause]


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return float(sorted_values[int(min(rank, len(sorted_values))) - 1])


def _stats(route: str, samples: list[list[Any]]) -> RouteStats:
    latencies = sorted(s[2] * 1000 for s in samples)
    statuses = Counter(str(s[1]) for s in samples)
    errors = sum(1 for s in samples if not isinstance(s[1], int) or s[1] >= 500)
    return RouteStats(
        route=route,
        requests=len(samples),
        errors=errors,
        statuses=dict(sorted(statuses.items())),
        percentiles={f"p{p}": round(percentile(latencies, p), 2) for p in PERCENTILES},
        max_ms=round(latencies[-1], 2) if latencies else 0.0,
    )


def _errors(data: Mapping[str, Any]) -> list[ErrorGroup]:
    groups: list[ErrorGroup] = []
    for entry in data.get("errors", ()):
        error = parse_error(entry.get("error"))
        inner = error.innermost() if error else None
        location = inner.location if inner else None
        location = location or (error.location if error else None)
        groups.append(
            ErrorGroup(
                route=str(entry["route"]),
                cause=inner.type if inner else f"status {entry.get('status')}",
                count=int(entry["count"]),
                headline=inner.headline if inner else f"status {entry.get('status')}",
                location=f"{location.path}:{location.line}" if location else None,
            )
        )
    client = Counter(
        (s[0], s[1]) for s in data.get("samples", ()) if not isinstance(s[1], int)
    )  # timeouts and dropped connections never reach the app's exception handling
    for (route, outcome), count in client.items():
        groups.append(ErrorGroup(route, str(outcome), count, str(outcome), None))
    return sorted(groups, key=lambda g: (-g.count, g.route, g.cause))


def _error_findings(groups: list[ErrorGroup]) -> list[Finding]:
    out = []
    for group in groups:
        location = None
        if group.location:
            path, _, line = group.location.rpartition(":")
            location = Location(path, int(line))
        out.append(
            RouteErrorUnderLoad.finding(
                f"{group.route} failed {group.count} times: {group.headline}"[:79],
                fix=f"Run `fastapi-medic repro {group.route}` to see one failure in full",
                location=location,
                subject=group.route,
                evidence={"count": group.count, "cause": group.cause},
            )
        )
    return out


def _validated(requests: int, concurrency: int, duration: float, server: str) -> None:
    if server not in ("in-process", "uvicorn"):
        raise UsageError(f"server {server!r}: use in-process or uvicorn")
    for name, value in (("requests", requests), ("concurrency", concurrency)):
        if not 1 <= value <= LIMITS[name]:
            raise UsageError(f"{name} must be between 1 and {LIMITS[name]:g}")
    if not 0 < duration <= LIMITS["duration"]:
        raise UsageError(f"duration must be above 0 and at most {LIMITS['duration']:g} s")


def load(
    path: Path,
    *,
    app: str | None = None,
    routes: Sequence[RequestSpec] = (),
    requests: int = 200,
    concurrency: int = 10,
    duration: float = 20.0,
    server: str = "in-process",
    stall_threshold: float = 0.1,
) -> LoadResult:
    """Load the app under ``path`` and report what breaks.

    Args:
        path: the project directory (or the app's file).
        app: ``module:attr`` when discovery is not wanted.
        routes: the requests to send in turn; by default every GET route without input.
        requests: how many requests in all (at most 10,000).
        concurrency: how many in flight at once (at most 100).
        duration: seconds after which the load stops even if requests remain (at most 300).
        server: ``in-process`` or ``uvicorn`` (a real server on 127.0.0.1).
        stall_threshold: seconds without an event-loop iteration that count as a stall.

    Raises:
        UsageError: a bound is exceeded, or ``path`` / ``app`` is wrong.
        AppImportError: the app cannot be found, imported or started.
    """
    _validated(requests, concurrency, duration, server)
    started = time.perf_counter()
    target = resolve_target(path, app)
    project = path if path.is_dir() else path.parent
    outcome = run_job(
        "load",
        target,
        project,
        duration + _STARTUP_ALLOWANCE,
        routes=[r.to_json() for r in routes],
        requests=requests,
        concurrency=concurrency,
        duration=duration,
        server="uvicorn" if server == "uvicorn" else "in-process",
        stall_threshold=stall_threshold,
    )
    failed = outcome.failed or {}
    if failed.get("phase") == "import":
        raise AppImportError(import_failure_message(target.module, failed))
    if failed:
        error = parse_error(failed.get("error"))
        reason = error.innermost().headline if error else failed.get("message", "")
        raise AppImportError(f"the app cannot start: {reason}")
    data = outcome.result or {}
    findings: list[Finding] = []
    if outcome.timed_out:
        frame = next((f for f in reversed(outcome.stack) if f.user), None)
        findings.append(
            AppHang.finding(
                f"the load did not finish within {duration + _STARTUP_ALLOWANCE:g} s",
                fix="Find the blocking call in the stack; give network calls a timeout",
                location=Location(frame.path, frame.line) if frame else None,
                chain=tuple(f.as_frame() for f in outcome.stack if f.user),
            )
        )
    elif not data:
        raise AppImportError(f"the app's process exited with code {outcome.returncode}")
    samples: list[list[Any]] = data.get("samples", [])
    by_route: dict[str, list[list[Any]]] = {}
    for sample in samples:
        by_route.setdefault(sample[0], []).append(sample)
    groups = _errors(data)
    findings += _error_findings(groups)
    findings += [finding_from_json(f) for f in data.get("findings", ())]
    return LoadResult(
        app=outcome.app or target.spec,
        server=str(data.get("server", server)),
        requests=len(samples),
        concurrency=concurrency,
        elapsed=float(data.get("elapsed", time.perf_counter() - started)),
        stopped_by=str(data.get("stopped_by", "timeout")),
        overall=_stats("all routes", samples),
        routes=tuple(_stats(route, s) for route, s in sorted(by_route.items())),
        errors=tuple(groups),
        pool=tuple(data.get("pool", ())),
        metrics=dict(data.get("metrics", {})),
        instrumented=bool(data.get("instrumented")),
        findings=tuple(findings),
        timeline=_timeline(samples),
    )


def _timeline(
    samples: list[list[Any]], limit: int = 2000
) -> tuple[tuple[float, float, str, str], ...]:
    step = max(1, len(samples) // limit)
    ordered = sorted(samples, key=lambda s: s[3])[::step]
    return tuple((round(s[3], 3), round(s[2] * 1000, 2), str(s[0]), str(s[1])) for s in ordered)
