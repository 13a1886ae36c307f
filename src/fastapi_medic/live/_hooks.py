"""Hooks inside FastAPI's request handling, used only in the child process that serves the app.

Three module-level functions of ``fastapi.routing`` are wrapped once: ``solve_dependencies``
(the route's dependency tree), ``run_endpoint_function`` (the endpoint) and
``serialize_response`` (response-model validation). Route objects are never rebuilt, so the
hooks work whatever way routers are included. While an :class:`Attempt` is active (a context
variable, so concurrent requests never mix) the hooks:

- time each dependency and the endpoint (breadcrumbs);
- record the first server-side exception and which part raised it;
- replace the endpoint by a dummy, stub dependencies, or skip response-model validation, as the
  attempt's :class:`Mode` asks (``--bisect``).

Without an active attempt every hook calls straight through.
"""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
import json
import time
from collections.abc import Callable
from typing import Any

from fastapi_medic.live._tb import describe, display_path, is_library_file
from fastapi_medic.live._wrap import dependency_calls, label, make_stub, timed
from fastapi_medic.redact import redact_text

__all__ = ["ACTIVE", "Attempt", "Mode", "dependency_calls", "install", "label"]

ACTIVE: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "fastapi_medic_live_attempt", default=None
)
_BREADCRUMB_LIMIT = 200
_installed = False


@dataclasses.dataclass(frozen=True)
class Mode:
    """What an attempt changes in the request's handling."""

    dummy_endpoint: bool = False
    skip_response_validation: bool = False
    stubs: frozenset[Callable[..., Any]] = frozenset()


@dataclasses.dataclass
class Attempt:
    """The state of one request while it runs."""

    root: str
    mode: Mode = dataclasses.field(default_factory=Mode)
    started: float = dataclasses.field(default_factory=time.perf_counter)
    breadcrumbs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    exception: BaseException | None = None
    escaped: bool = False
    where: str = ""
    dependant: Any = None
    response_model: str | None = None
    endpoint: str | None = None
    endpoint_call: Any = None
    validation_errors: list[dict[str, Any]] | None = None

    def crumb(self, kind: str, message: str, ms: float | None = None) -> None:
        """Add a breadcrumb (bounded; messages are redacted)."""
        if len(self.breadcrumbs) >= _BREADCRUMB_LIMIT:
            return
        self.breadcrumbs.append(
            {
                "at_ms": round((time.perf_counter() - self.started) * 1000, 2),
                "kind": kind,
                "message": redact_text(message)[:300],
                "ms": None if ms is None else round(ms, 2),
            }
        )

    def record(self, exc: BaseException, where: str) -> None:
        """Keep the first server-side exception (client errors such as 404 are not kept)."""
        if self.exception is not None or _is_client_error(exc):
            return
        self.exception, self.where = exc, where

    def error(self) -> dict[str, Any] | None:
        """The recorded exception, described once the request is over.

        A traceback grows while the exception travels up, so describing it late shows the
        frames from the app's outside (middleware) down to the line that raised it.
        """
        if self.exception is None:
            return None
        data = describe(self.exception, self.root, self.where)
        if self.where.startswith("response model") and self.endpoint_call is not None:
            # Validation runs after the endpoint returned: point at the endpoint itself.
            frame = _definition_frame(self.endpoint_call, self.root, self.response_model)
            if frame is not None:
                data["frames"].append(frame)
        return data


def _definition_frame(call: Any, root: str, model: str | None) -> dict[str, Any] | None:
    code = getattr(inspect.unwrap(call), "__code__", None)
    if code is None:
        return None
    return {
        "path": display_path(code.co_filename, root),
        "line": code.co_firstlineno,
        "function": code.co_name,
        "code": f"(returned a value that does not fit {model or 'the response model'})",
        "user": not is_library_file(code.co_filename, root),
    }


def _is_client_error(exc: BaseException) -> bool:
    from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
    from starlette.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return exc.status_code < 500
    return isinstance(exc, (RequestValidationError, WebSocketRequestValidationError))


class _Overrides:
    """Stands in for the app as ``dependency_overrides_provider`` during one attempt."""

    def __init__(self, overrides: dict[Any, Any]) -> None:
        self.dependency_overrides = overrides


def _field_name(field: Any) -> str:
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    if annotation is None:
        annotation = getattr(field, "type_", None)
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "") if annotation is not None else "response"


Hook = Callable[..., Any]


def _hook_solve(solve: Hook) -> Hook:
    async def solve_dependencies(*args: Any, **kwargs: Any) -> Any:
        attempt = ACTIVE.get()
        dependant = kwargs.get("dependant")
        if attempt is None or dependant is None:
            return await solve(*args, **kwargs)
        if attempt.dependant is None:
            attempt.dependant = dependant
        provider = kwargs.get("dependency_overrides_provider")
        user = dict(getattr(provider, "dependency_overrides", None) or {})
        merged = dict(user)
        for call in dependency_calls(dependant):
            effective = user.get(call, call)
            stubbed = call in attempt.mode.stubs
            merged[call] = make_stub(call, _stubbed) if stubbed else timed(effective, _done)
        kwargs["dependency_overrides_provider"] = _Overrides(merged)
        try:
            return await solve(*args, **kwargs)
        except BaseException as exc:
            attempt.record(exc, "dependencies")
            raise

    return solve_dependencies


def _hook_run(run: Hook) -> Hook:
    async def run_endpoint_function(*args: Any, **kwargs: Any) -> Any:
        attempt = ACTIVE.get()
        if attempt is None:
            return await run(*args, **kwargs)
        call = getattr(kwargs.get("dependant"), "call", None)
        name = label(call)
        attempt.endpoint, attempt.endpoint_call = name, call
        if attempt.mode.dummy_endpoint:
            attempt.crumb("endpoint", f"{name} replaced by a dummy")
            return {"ok": True}
        started = time.perf_counter()
        try:
            result = await run(*args, **kwargs)
        except BaseException as exc:
            attempt.record(exc, "endpoint")
            attempt.crumb("endpoint", f"{name} raised {type(exc).__name__}", _ms(started))
            raise
        attempt.crumb("endpoint", f"{name} returned", _ms(started))
        return result

    return run_endpoint_function


def _hook_serialize(serialize: Hook) -> Hook:
    async def serialize_response(*args: Any, **kwargs: Any) -> Any:
        attempt = ACTIVE.get()
        field = kwargs.get("field")
        if attempt is None or field is None:
            return await serialize(*args, **kwargs)
        model = attempt.response_model = _field_name(field)
        if attempt.mode.skip_response_validation:
            if not attempt.mode.dummy_endpoint:
                _, errors = field.validate(kwargs.get("response_content"), {}, loc=("response",))
                attempt.validation_errors = _errors(errors)
            attempt.crumb("response", f"{model} validation skipped")
            return _unvalidated(kwargs)
        started = time.perf_counter()
        try:
            result = await serialize(*args, **kwargs)
        except BaseException as exc:
            attempt.record(exc, f"response model {model}")
            attempt.validation_errors = _errors(getattr(exc, "errors", list)())
            attempt.crumb("response", f"{model} validation failed", _ms(started))
            raise
        attempt.crumb("response", f"{model} validated", _ms(started))
        return result

    return serialize_response


def install() -> None:
    """Wrap FastAPI's request-handling functions (idempotent; the child process only)."""
    global _installed  # noqa: PLW0603 - one installation per process
    if _installed:
        return
    try:
        from fastapi import routing
    except ImportError:
        return
    solve = getattr(routing, "solve_dependencies", None)
    run = getattr(routing, "run_endpoint_function", None)
    serialize = getattr(routing, "serialize_response", None)
    if solve is None or run is None or serialize is None:
        return  # a FastAPI whose internals differ: requests still run, without breadcrumbs
    # Module globals, looked up at call time by the request handler of every route.
    setattr(routing, "solve_dependencies", _hook_solve(solve))  # noqa: B010
    setattr(routing, "run_endpoint_function", _hook_run(run))  # noqa: B010
    setattr(routing, "serialize_response", _hook_serialize(serialize))  # noqa: B010
    _install_sql_breadcrumbs()
    _installed = True


def _done(name: str, started: float, exc: BaseException | None) -> None:
    attempt = ACTIVE.get()
    if attempt is None:
        return
    if exc is not None:
        attempt.record(exc, f"dependency {name}")
        attempt.crumb("dependency", f"{name} raised {type(exc).__name__}", _ms(started))
    else:
        attempt.crumb("dependency", f"{name} resolved", _ms(started))


def _stubbed(name: str) -> None:
    attempt = ACTIVE.get()
    if attempt is not None:
        attempt.crumb("dependency", f"{name} replaced by a stub")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for error in list(errors or [])[:20]:
        if not isinstance(error, dict):
            continue
        loc = [str(part) for part in error.get("loc", ()) if part != "response"]
        out.append(
            {
                "loc": loc,
                "type": str(error.get("type", "")),
                "msg": redact_text(str(error.get("msg", ""))),
            }
        )
    return out


def _unvalidated(kwargs: dict[str, Any]) -> Any:
    from fastapi.encoders import jsonable_encoder

    content = jsonable_encoder(kwargs.get("response_content"))
    if kwargs.get("dump_json"):
        return json.dumps(content).encode()
    return content


def _install_sql_breadcrumbs() -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:
        return

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("fastapi_medic_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        stack = conn.info.get("fastapi_medic_started") or [time.perf_counter()]
        started = stack.pop()
        attempt = ACTIVE.get()
        if attempt is not None:
            text = " ".join(statement.split())
            attempt.crumb("sql", text[:200], _ms(started))

    def failed(context: Any) -> None:
        attempt = ACTIVE.get()
        if attempt is not None:
            error = context.original_exception
            attempt.crumb("sql", f"statement failed: {type(error).__name__}: {error}"[:200])

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    event.listen(Engine, "handle_error", failed)
