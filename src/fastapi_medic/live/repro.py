"""``fastapi-medic repro``: one request to the app in-process, with the server's side of it.

The app is imported and started in a child process (see ``_process``); the request goes through
the app's own middleware, routing and dependencies. You get the status, the body, the
server-side traceback at your innermost frame, the breadcrumbs (dependencies with timings, SQL
statements) and, with ``bisect=True``, the failing part of the route.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi_medic.errors import AppImportError
from fastapi_medic.findings import Finding, Location
from fastapi_medic.live._mask import mask_headers, mask_target
from fastapi_medic.live._process import ChildOutcome, run_job
from fastapi_medic.live._tb import ServerError, TbFrame, parse_error
from fastapi_medic.live.bisect import Bisect, parse_bisect
from fastapi_medic.live.curl import RequestSpec
from fastapi_medic.live.loader import resolve_target
from fastapi_medic.live.rules import (
    AppHang,
    AppStartupFailure,
    ResponseModelMismatch,
    ServerErrorResponse,
)
from fastapi_medic.registry import Rule

__all__ = ["Breadcrumb", "Exchange", "Hang", "ReproResult", "child_repro", "repro"]


@dataclasses.dataclass(frozen=True)
class Breadcrumb:
    """One step of the request: a dependency, the endpoint, a SQL statement, validation."""

    at_ms: float
    kind: str
    message: str
    ms: float | None


@dataclasses.dataclass(frozen=True)
class Exchange:
    """The response and what happened in the app while it was produced (all redacted)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: str
    body_bytes: int
    error: ServerError | None
    breadcrumbs: tuple[Breadcrumb, ...]
    duration: float
    response_model: str | None
    validation_errors: tuple[str, ...]

    handled: bool = False

    @property
    def failed(self) -> bool:
        """A 5xx status, or an exception that escaped the app."""
        return self.status >= 500 or (self.error is not None and not self.handled)


@dataclasses.dataclass(frozen=True)
class Hang:
    """The app did not finish in time: where it was and the hung thread's frames."""

    phase: str
    timeout: float
    frames: tuple[TbFrame, ...]

    @property
    def user_frame(self) -> TbFrame | None:
        """The innermost frame of your own code in the hung stack."""
        return next((f for f in reversed(self.frames) if f.user), None)


@dataclasses.dataclass(frozen=True)
class ReproResult:
    """Everything ``repro`` found out about one request."""

    method: str
    target: str
    request_headers: tuple[tuple[str, str], ...]
    app: str
    exchange: Exchange | None
    startup_error: ServerError | None
    hang: Hang | None
    bisect: Bisect | None
    output: str
    total: float
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> bool:
        """The request failed, the startup failed or the app hung."""
        if self.hang is not None or self.startup_error is not None:
            return True
        return self.exchange is not None and self.exchange.failed


def _exchange(data: Mapping[str, Any]) -> Exchange:
    return Exchange(
        status=int(data["status"]),
        headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
        body=str(data.get("body", "")),
        body_bytes=int(data.get("body_bytes", 0)),
        error=parse_error(data.get("error")),
        breadcrumbs=tuple(
            Breadcrumb(float(b["at_ms"]), str(b["kind"]), str(b["message"]), b.get("ms"))
            for b in data.get("breadcrumbs", ())
        ),
        duration=float(data.get("duration", 0.0)),
        response_model=data.get("response_model"),
        validation_errors=tuple(
            ".".join(e["loc"]) or "(whole body)" for e in data.get("validation_errors") or ()
        ),
        handled=bool(data.get("handled")),
    )


def import_failure_message(module: str, failed: Mapping[str, Any]) -> str:
    """One line saying why the app could not be imported, at your innermost frame."""
    if failed.get("message"):
        return str(failed["message"])
    error = parse_error(failed.get("error"))
    if error is None:
        return f"cannot import {module}"
    where = f" ({error.location})" if error.location else ""
    return f"cannot import {module}: {error.headline}{where}"


def _findings(
    subject: str, exchange: Exchange | None, startup: ServerError | None, hang: Hang | None
) -> list[Finding]:
    out: list[Finding] = []
    if hang is not None:
        frame = hang.user_frame
        out.append(
            AppHang.finding(
                f"the app did not finish its {hang.phase} within {hang.timeout:g} s",
                fix="Find the blocking call in the stack; give network calls a timeout",
                location=Location(frame.path, frame.line) if frame else None,
                subject=subject,
                chain=tuple(f.as_frame() for f in hang.frames if f.user),
                evidence={"timeout_s": hang.timeout, "phase": hang.phase},
            )
        )
    if startup is not None:
        out.append(
            AppStartupFailure.finding(
                f"startup fails: {startup.headline}"[:79],
                fix="Fix the failing startup step; the traceback shows the line",
                location=startup.innermost().location or startup.location,
                subject="lifespan",
                chain=startup.user_chain(),
            )
        )
    if exchange is not None and exchange.failed:
        error = exchange.error
        rule: type[Rule] = ServerErrorResponse
        if error is not None and error.type == "ResponseValidationError":
            rule = ResponseModelMismatch
        headline = error.headline if error else f"status {exchange.status}"
        where = error.innermost() if error else None
        out.append(
            rule.finding(
                f"{subject} answers {exchange.status}: {headline}"[:79],
                location=where.location if where else None,
                subject=subject,
                chain=where.user_chain() if where else (),
                evidence={"status": exchange.status, "duration_ms": exchange.duration * 1000},
            )
        )
    return out


def repro(
    path: Path,
    request: RequestSpec,
    *,
    app: str | None = None,
    bisect: bool = False,
    timeout: float = 30.0,
) -> ReproResult:
    """Send ``request`` to the app found under ``path`` and describe what happened.

    Args:
        path: the project directory (or the app's file).
        request: the request (see :func:`~fastapi_medic.live.curl.parse_request`).
        app: ``module:attr`` when discovery is not wanted.
        bisect: when the request fails, reduce it until the failing part is named.
        timeout: seconds for import, startup, the request and the bisect steps together.

    Raises:
        AppImportError: the app cannot be found or imported.
        UsageError: ``path`` or ``app`` is wrong.
    """
    started = time.perf_counter()
    target = resolve_target(path, app)
    project = path if path.is_dir() else path.parent
    outcome = run_job("repro", target, project, timeout, request=request.to_json(), bisect=bisect)
    return _result(request, target.spec, outcome, timeout, time.perf_counter() - started)


def _result(
    request: RequestSpec, spec: str, outcome: ChildOutcome, timeout: float, total: float
) -> ReproResult:
    failed = outcome.failed or {}
    if failed.get("phase") == "import":
        raise AppImportError(import_failure_message(spec.split(":", maxsplit=1)[0], failed))
    if failed.get("phase") == "medic":
        raise AppImportError(f"cannot serve the app: {failed.get('message', '')}")
    result = outcome.result or {}
    exchange = _exchange(result["exchange"]) if result.get("exchange") else None
    startup = parse_error(failed.get("error")) if failed.get("phase") == "startup" else None
    hang = Hang(outcome.phase, timeout, outcome.stack) if outcome.timed_out else None
    if not outcome.result and not outcome.failed and not outcome.timed_out:
        raise AppImportError(
            f"the app's process exited with code {outcome.returncode} before answering"
        )
    subject = f"{request.method} {request.path}"
    return ReproResult(
        method=request.method,
        target=mask_target(request.target),
        request_headers=tuple(mask_headers(request.headers)),
        app=outcome.app or spec,
        exchange=exchange,
        startup_error=startup,
        hang=hang,
        bisect=parse_bisect(result.get("bisect")),
        output=outcome.output,
        total=total,
        findings=tuple(_findings(subject, exchange, startup, hang) + _runtime(result)),
    )


# The probes' own "exception escaped" and "answered 5xx": ours say the same with the traceback.
_SAID_ALREADY = frozenset({"MED701", "MED703"})


def _runtime(result: Mapping[str, Any]) -> list[Finding]:
    """What the runtime probes saw during the request: leaks, stalls, pool pressure."""
    from fastapi_medic.live._serial import finding_from_json

    found = [finding_from_json(f) for f in result.get("findings") or ()]
    return [f for f in found if f.code not in _SAID_ALREADY]


async def child_repro(app: Any, job: dict[str, Any], channel: Any) -> dict[str, Any]:
    """The child's side: start the app, send the request, bisect when asked."""
    from fastapi_medic.live._harness import Harness
    from fastapi_medic.live._hooks import install
    from fastapi_medic.live._probe import instrument_app
    from fastapi_medic.live.bisect import child_bisect

    install()
    instrumentation = instrument_app(app, job["root"])
    spec = RequestSpec.from_json(job["request"])
    async with Harness(app, job["root"]) as harness:
        channel.send("phase", phase="request")
        exchange = await harness.send(spec)
        # Before --bisect: its reduced requests would add their own leaks and errors.
        found = _runtime_findings(instrumentation)
        bisect = None
        if job.get("bisect") and not exchange["passed"]:
            channel.send("phase", phase="bisect")
            bisect = await child_bisect(harness, spec)
        channel.send("phase", phase="shutdown")
    if instrumentation is not None:
        instrumentation.close()
    return {"exchange": exchange, "bisect": bisect, "findings": found}


def _runtime_findings(instrumentation: Any) -> list[dict[str, Any]]:
    from fastapi_medic.live._serial import finding_to_json

    if instrumentation is None:
        return []
    return [finding_to_json(f) for f in instrumentation.findings()]
