"""``repro --bisect``: reduce a failing request until the failing part is named.

Each step sends the same request again with one part of the route's handling taken out, in the
child process that already serves the app:

1. the endpoint replaced by a dummy (dependencies still run, response model off);
2. when step 1 still fails: each dependency in turn replaced by a stub built from its return
   annotation (or None), the endpoint still a dummy;
3. when step 1 passes: the real endpoint with response-model validation taken out, which
   separates "the endpoint's own code" from "what it returns does not fit the model".

The first step that makes the request pass names the failing part: ``dependency
`get_current_user```, ``endpoint body``, or ``response model `UserOut` validation of field
`email```.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from fastapi_medic.live._harness import Harness
from fastapi_medic.live._hooks import Mode, dependency_calls, label
from fastapi_medic.live.curl import RequestSpec

__all__ = ["Bisect", "BisectStep", "child_bisect", "parse_bisect"]

_DUMMY = Mode(dummy_endpoint=True, skip_response_validation=True)


@dataclasses.dataclass(frozen=True)
class BisectStep:
    """One reduced request and its outcome."""

    number: int
    label: str
    status: int
    passed: bool
    error: str = ""


@dataclasses.dataclass(frozen=True)
class Bisect:
    """The steps that ran and the verdict.

    Attributes:
        part: ``dependency``, ``endpoint``, ``response-model``, ``dependencies`` (several
            together), ``parameters`` (FastAPI fails reading the route's parameters) or
            ``outside-route`` (middleware, exception handlers, routing).
        name: the dependency, endpoint or model named by the verdict.
        fields: for ``response-model``, the fields that failed validation (dotted paths).
        verdict: the sentence shown to you.
    """

    steps: tuple[BisectStep, ...]
    part: str
    name: str | None
    fields: tuple[str, ...]
    verdict: str


def _step(number: int, text: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    error = outcome.get("error") or {}
    headline = f"{error.get('type', '')}: {error.get('message', '')}".strip(": ")
    return {
        "number": number,
        "label": text,
        "status": outcome["status"],
        "passed": bool(outcome["passed"]),
        "error": headline.splitlines()[0] if headline else "",
    }


def _fields(outcome: Mapping[str, Any]) -> list[str]:
    return [".".join(e["loc"]) or "(whole body)" for e in outcome.get("validation_errors") or ()]


async def child_bisect(harness: Harness, spec: RequestSpec) -> dict[str, Any]:
    """Run the bisect steps for ``spec`` (child process); the last request sent failed.

    Returns:
        A JSON-ready mapping that :func:`parse_bisect` reads.
    """
    dependant = harness.last.dependant if harness.last is not None else None
    baseline_where = harness.last.where if harness.last is not None else ""
    steps: list[dict[str, Any]] = []
    first = await harness.send(spec, _DUMMY)
    steps.append(_step(1, "endpoint replaced by a dummy", first))
    if first["passed"]:
        endpoint = first.get("endpoint") or "endpoint"
        third = await harness.send(spec, Mode(skip_response_validation=True))
        steps.append(_step(3, "response-model validation taken out", third))
        if third["passed"] and third.get("response_model"):
            fields = _fields(third)
            model = third["response_model"]
            where = f" of field `{fields[0]}`" if fields else ""
            verdict = f"response model `{model}` validation{where}"
            return _result(steps, "response-model", model, fields, verdict)
        return _result(steps, "endpoint", endpoint, [], f"endpoint body (`{endpoint}`)")
    calls = dependency_calls(dependant) if dependant is not None else []
    for call in calls:
        name = label(call)
        outcome = await harness.send(spec, Mode(True, True, frozenset({call})))
        steps.append(_step(2, f"dependency `{name}` replaced by a stub", outcome))
        if outcome["passed"]:
            return _result(steps, "dependency", name, [], f"dependency `{name}`")
    if len(calls) > 1:
        outcome = await harness.send(spec, Mode(True, True, frozenset(calls)))
        steps.append(_step(2, "every dependency replaced by a stub", outcome))
        if outcome["passed"]:
            verdict = "several dependencies together (none fails alone)"
            return _result(steps, "dependencies", None, [], verdict)
    if baseline_where == "dependencies":
        # Raised while FastAPI read the request's parameters, in no dependency of yours.
        verdict = "the route's parameters: FastAPI fails while resolving them"
        return _result(steps, "parameters", None, [], verdict)
    verdict = "outside the route: middleware, exception handlers or routing"
    return _result(steps, "outside-route", None, [], verdict)


def _result(
    steps: list[dict[str, Any]], part: str, name: str | None, fields: list[str], verdict: str
) -> dict[str, Any]:
    return {"steps": steps, "part": part, "name": name, "fields": fields, "verdict": verdict}


def parse_bisect(data: Mapping[str, Any] | None) -> Bisect | None:
    """Rebuild :class:`Bisect` from :func:`child_bisect`'s mapping."""
    if not data:
        return None
    return Bisect(
        steps=tuple(
            BisectStep(
                number=int(s["number"]),
                label=str(s["label"]),
                status=int(s["status"]),
                passed=bool(s["passed"]),
                error=str(s.get("error", "")),
            )
            for s in data.get("steps", ())
        ),
        part=str(data.get("part", "none")),
        name=data.get("name"),
        fields=tuple(str(f) for f in data.get("fields", ())),
        verdict=str(data.get("verdict", "")),
    )
