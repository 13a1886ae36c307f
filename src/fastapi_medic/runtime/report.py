"""Findings for one flagged request: unhandled exception, 5xx response, slow request.

Runs only for the rare request the middleware flagged, never on the common path.
"""

from __future__ import annotations

from fastapi_medic.findings import Finding
from fastapi_medic.runtime.context import RequestState
from fastapi_medic.runtime.frames import innermost_location, traceback_frames, user_frames
from fastapi_medic.runtime.rules import ServerErrorResponse, SlowRequest, UnhandledException

__all__ = ["request_findings", "subject_of"]

_MAX_SUBJECT = 48


def subject_of(state: RequestState) -> str:
    """``GET /items/{item_id}``: the route template when known, else the raw path."""
    target = state.route_template() or state.path
    if len(target) > _MAX_SUBJECT:
        target = target[: _MAX_SUBJECT - 3] + "..."
    return f"{state.method} {target}"


def request_findings(
    state: RequestState, error: BaseException | None, slow_request: float
) -> list[Finding]:
    """The findings the middleware reports for ``state`` (its flags are already set)."""
    subject = subject_of(state)
    duration_ms = round((state.duration or 0.0) * 1000.0, 1)
    evidence: dict[str, str | int | float | bool | None] = {
        "request_id": state.request_id,
        "status": state.status,
        "duration_ms": duration_ms,
    }
    out: list[Finding] = []
    if error is not None:
        frames = user_frames(traceback_frames(error.__traceback__))
        name = type(error).__name__
        out.append(
            UnhandledException.finding(
                f"{name} escaped {subject}"[:79],
                location=innermost_location(frames),
                subject=subject,
                chain=frames[-5:],
                fix="Handle the error or raise HTTPException with a 4xx status",
                evidence={**evidence, "exc_type": name},
            )
        )
    elif state.status is not None and state.status >= 500:
        out.append(
            ServerErrorResponse.finding(
                f"{subject} answered {state.status}"[:79],
                subject=subject,
                fix="Log why before returning a 5xx, or return a 4xx for client errors",
                evidence=evidence,
            )
        )
    if "slow" in state.flags:
        out.append(
            SlowRequest.finding(
                f"{subject} took {duration_ms:.0f} ms"[:79],
                subject=subject,
                fix="Read the breadcrumbs: move slow work out of the request or speed it up",
                evidence={**evidence, "threshold_ms": round(slow_request * 1000.0, 1)},
            )
        )
    return out
