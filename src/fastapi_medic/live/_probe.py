"""The short live probe ``doctor`` runs: import the app, start it, call its simple GET routes.

In a child process with a deadline: the app is imported and started (lifespan), the runtime
probes are turned on (engines found among the app's modules), and every GET route that needs no
input is called a few times. Import and startup failures, 5xx answers with their server-side
traceback, hangs, event-loop stalls and connection leaks come back as findings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi_medic.findings import Finding, Location, Report
from fastapi_medic.live._process import ChildOutcome, run_job
from fastapi_medic.live._serial import finding_from_json, finding_to_json
from fastapi_medic.live._tb import ServerError, parse_error
from fastapi_medic.live.loader import resolve_target
from fastapi_medic.live.rules import (
    AppHang,
    AppStartupFailure,
    ResponseModelMismatch,
    ServerErrorResponse,
    UnimportableApp,
)
from fastapi_medic.registry import Rule

__all__ = ["child_probe", "probe"]

MAX_ROUTES = 30
MAX_REQUESTS = 1000
_REQUEST_TIMEOUT = 10.0
#: The probes' "exception escaped" and "answered 5xx": ours say the same with the traceback.
_SAID_ALREADY = frozenset({"MED701", "MED703"})
#: The runtime figures copied into the report's summary.
_FIGURES = frozenset({"stalls", "stall_max_ms", "leaks", "pool_peak", "pool_timeouts"})


def probe(
    path: Path, *, app: str | None = None, timeout: float = 30.0, requests: int = 50
) -> Report:
    """Probe the app under ``path`` and return what went wrong, as findings.

    Args:
        path: the project directory (or the app's file).
        app: ``module:attr`` when discovery is not wanted.
        timeout: seconds for the whole probe, import included.
        requests: how many requests in all, spread over the simple GET routes (at most 1000).

    Raises:
        AppImportError: no app can be found under ``path`` (an app that is found but fails to
            import is a finding, MED850).
        UsageError: ``path`` or ``app`` is wrong.
    """
    started = time.perf_counter()
    target = resolve_target(path, app)
    project = path if path.is_dir() else path.parent
    count = max(1, min(requests, MAX_REQUESTS))
    outcome = run_job("probe", target, project, timeout, requests=count)
    findings, summary = _findings(target.spec, outcome, timeout)
    return Report(
        command="probe",
        root=str(project),
        findings=tuple(findings),
        duration=time.perf_counter() - started,
        summary=summary,
    )


def _located(error: ServerError) -> tuple[Location | None, tuple[Any, ...]]:
    inner = error.innermost()
    location = inner.location or error.location
    return location, inner.user_chain() or error.user_chain()


def _findings(
    spec: str, outcome: ChildOutcome, timeout: float
) -> tuple[list[Finding], dict[str, Any]]:
    failed = outcome.failed or {}
    app = outcome.app or spec
    if failed.get("phase") == "import":
        error = parse_error(failed.get("error"))
        if error is None:
            message = str(failed.get("message", "the app cannot be imported"))
            return [UnimportableApp.finding(message[:79], subject=app)], {"app": app}
        location, chain = _located(error)
        root_error = error.innermost()
        finding = UnimportableApp.finding(
            f"the app cannot be imported: {root_error.headline}"[:79],
            fix="Fix the import error at the frame shown; run from the project root",
            location=location,
            subject=spec.split(":", maxsplit=1)[0],
            chain=chain,
            evidence={"exception": root_error.type, "error": root_error.headline[:300]},
        )
        return [finding], {"app": app}
    out: list[Finding] = []
    if failed.get("phase") == "startup":
        error = parse_error(failed.get("error"))
        location, chain = _located(error) if error else (None, ())
        headline = error.innermost().headline if error else "startup failed"
        out.append(
            AppStartupFailure.finding(
                f"startup fails: {headline}"[:79],
                fix="Fix the failing startup step; the traceback shows the line",
                location=location,
                subject="lifespan",
                chain=chain,
            )
        )
    if outcome.timed_out:
        frame = next((f for f in reversed(outcome.stack) if f.user), None)
        out.append(
            AppHang.finding(
                f"no answer within {timeout:g} s during {outcome.phase}"[:79],
                fix="Find the blocking call in the stack; give network calls a timeout",
                location=Location(frame.path, frame.line) if frame else None,
                subject=outcome.phase.removeprefix("request "),
                chain=tuple(f.as_frame() for f in outcome.stack if f.user),
                evidence={"timeout_s": timeout},
            )
        )
    result = outcome.result or {}
    for route in result.get("routes", ()):
        out.extend(_route_findings(route))
    ours = {f.subject for f in out}
    runtime = [finding_from_json(f) for f in result.get("findings", ())]
    out.extend(f for f in runtime if not (f.code in _SAID_ALREADY and f.subject in ours))
    summary = {
        "app": app,
        "routes": len(result.get("routes", ())),
        "requests": sum(int(r["requests"]) for r in result.get("routes", ())),
        "runtime_probes": bool(result.get("instrumented")),
        **{
            key: value
            for key, value in (result.get("metrics") or {}).items()
            if key in _FIGURES and isinstance(value, (int, float))
        },
    }
    return out, summary


def _route_findings(route: Mapping[str, Any]) -> list[Finding]:
    errors = int(route.get("errors", 0))
    if not errors:
        return []
    error = parse_error(route.get("error"))
    subject = f"GET {route['path']}"
    rule: type[Rule] = ServerErrorResponse
    if error is not None and error.type == "ResponseValidationError":
        rule = ResponseModelMismatch
    headline = error.innermost().headline if error else f"status {route.get('status')}"
    location, chain = _located(error) if error else (None, ())
    return [
        rule.finding(
            f"{subject} answers {route.get('status')}: {headline}"[:79],
            fix=f"Run `fastapi-medic repro GET {route['path']} --bisect` to name the failing part",
            location=location,
            subject=subject,
            chain=chain,
            evidence={"errors": errors, "requests": int(route["requests"])},
        )
    ]


def _silent_logger() -> logging.Logger:
    # The findings come back through the pipe; the probes' log lines would only repeat them
    # among the app's own output.
    logger = logging.getLogger("fastapi_medic.live.probes")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def instrument_app(app: Any, root: str, stall_threshold: float = 0.1) -> Any:
    """Turn the runtime probes on (child side), when this build has them; None otherwise."""
    try:
        from fastapi_medic.runtime import instrument
    except ImportError:
        return None
    from fastapi_medic.live._engines import find_engines

    try:
        return instrument(
            app,
            engine=find_engines(root) or None,
            startup_report=False,
            stall_threshold=stall_threshold,
            logger=_silent_logger(),
        )
    except Exception:  # the probe still runs; only the runtime findings are missing
        return None


async def child_probe(app: Any, job: dict[str, Any], channel: Any) -> dict[str, Any]:
    """The child's side: start the app and call each simple GET route a few times."""
    from fastapi_medic.live._harness import Harness
    from fastapi_medic.live._hooks import install
    from fastapi_medic.live._routes import simple_get_routes
    from fastapi_medic.live.curl import RequestSpec

    install()
    instrumentation = instrument_app(app, job["root"])
    routes = simple_get_routes(app)[:MAX_ROUTES]
    stats: dict[str, dict[str, Any]] = {
        r.path: {"path": r.path, "requests": 0, "errors": 0, "status": None, "error": None}
        for r in routes
    }
    try:
        async with Harness(app, job["root"]) as harness:
            for index in range(int(job["requests"]) if routes else 0):
                route = routes[index % len(routes)]
                entry = stats[route.path]
                channel.send("phase", phase=f"request GET {route.path}")
                try:
                    outcome = await asyncio.wait_for(
                        harness.send(RequestSpec("GET", route.path)), _REQUEST_TIMEOUT
                    )
                except asyncio.TimeoutError:
                    outcome = {"status": 504, "passed": False, "error": None}
                entry["requests"] += 1
                if not outcome["passed"]:
                    entry["errors"] += 1
                    entry["status"] = entry["status"] or outcome["status"]
                    entry["error"] = entry["error"] or outcome.get("error")
            channel.send("phase", phase="shutdown")
    finally:
        findings = instrumentation.findings() if instrumentation is not None else []
        metrics = instrumentation.metrics() if instrumentation is not None else {}
        if instrumentation is not None:
            instrumentation.close()
    return {
        "routes": list(stats.values()),
        "findings": [finding_to_json(f) for f in findings],
        "metrics": metrics,
        "instrumented": instrumentation is not None,
    }
