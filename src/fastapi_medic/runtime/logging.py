"""Request context on every log record: a stdlib filter, a structlog processor, a JSON formatter.

The filter sets ``request_id``, ``route`` and ``method`` on records handled by the handlers it
is attached to, without overwriting values your own code passed with ``extra=``. It runs only
when a record is handled, so requests that log nothing pay nothing.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

from fastapi_medic.redact import redact_text
from fastapi_medic.runtime.context import current_request, probe_failed

__all__ = [
    "FIELDS",
    "JsonFormatter",
    "RequestContextFilter",
    "add_request_context",
    "install",
]

#: The attributes the filter adds, in the order the JSON formatter writes them.
FIELDS = ("request_id", "route", "method")
# Extra record attributes the JSON formatter copies when present (set by the emitter).
_EXTRA = (
    "status",
    "duration_ms",
    "code",
    "flags",
    "subject",
    "evidence",
    "breadcrumbs",
    "findings",
    "startup",
)


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``route`` and ``method`` to each record (None outside a request).

    Attach it to handlers (``logging.config.dictConfig`` works too) so ``%(request_id)s`` is
    available to any format string. Values passed with ``extra=`` win.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        values = record.__dict__
        if "request_id" in values and "route" in values and "method" in values:
            return True  # another handler's filter (or the caller's extra=) got there first
        found: tuple[str | None, str | None, str | None] = (None, None, None)
        try:
            state = current_request.get()
            if state is not None:
                found = (state.request_id, state.route_template() or state.path, state.method)
        except Exception as exc:  # a log call must never raise because of us
            probe_failed("logging.filter", exc)
        for name, value in zip(FIELDS, found, strict=True):
            values.setdefault(name, value)
        return True


def add_request_context(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: adds ``request_id``, ``route`` and ``method`` inside a request."""
    try:
        state = current_request.get()
        if state is not None:
            event_dict.setdefault("request_id", state.request_id)
            event_dict.setdefault("route", state.route_template() or state.path)
            event_dict.setdefault("method", state.method)
    except Exception as exc:  # a log call must never raise because of us
        probe_failed("logging.structlog", exc)
    return event_dict


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request context, traceback.

    Messages and tracebacks pass through the redaction routine, so a secret in a log call
    does not reach the output.
    """

    def format(self, record: logging.LogRecord) -> str:
        try:
            return json.dumps(record_dict(record), default=str, ensure_ascii=False)
        except Exception as exc:  # fall back to the plain format rather than lose the record
            probe_failed("logging.json", exc)
            return redact_text(super().format(record))


def record_dict(record: logging.LogRecord) -> dict[str, Any]:
    """The JSON-ready fields of ``record`` (shared by the formatter and the sink)."""
    values = record.__dict__
    out: dict[str, Any] = {
        "ts": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(),
        "level": record.levelname,
        "logger": record.name,
        "message": redact_text(record.getMessage()),
    }
    for name in FIELDS:
        out[name] = values.get(name)
    for name in _EXTRA:
        if name in values:
            out[name] = values[name]
    out.setdefault("code", None)
    exc = record.exc_info
    if exc and exc[0] is not None:
        out["exc_type"] = exc[0].__name__
        out["traceback"] = redact_text(logging.Formatter().formatException(exc))
    else:
        out["exc_type"] = None
    return out


def _handlers() -> list[logging.Handler]:
    seen: dict[int, logging.Handler] = {}
    loggers: list[Any] = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            seen.setdefault(id(handler), handler)
    return list(seen.values())


def install(*, json_logs: bool = False) -> Callable[[], None]:
    """Attach the filter to every existing handler (and structlog when configured).

    With ``json_logs`` the root handlers get :class:`JsonFormatter` (a stderr handler is
    added when the root logger has none). Returns a function that undoes all of it.
    """
    flt = RequestContextFilter()
    undo: list[Callable[[], None]] = []
    for handler in _handlers():
        if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
            handler.addFilter(flt)
            undo.append(lambda h=handler: h.removeFilter(flt))  # type: ignore[misc]
    if json_logs:
        undo += _json_root(flt)
    undo += _structlog()

    def uninstall() -> None:
        for step in reversed(undo):
            step()

    return uninstall


def _json_root(flt: RequestContextFilter) -> list[Callable[[], None]]:
    root = logging.getLogger()
    fmt = JsonFormatter()
    undo: list[Callable[[], None]] = []
    if not root.handlers:
        added: logging.Handler = logging.StreamHandler(sys.stderr)
        added.addFilter(flt)
        root.addHandler(added)
        undo.append(lambda: root.removeHandler(added))
    for handler in root.handlers:
        old = handler.formatter
        handler.setFormatter(fmt)
        undo.append(lambda h=handler, o=old: h.setFormatter(o))  # type: ignore[misc]
    return undo


def _structlog() -> list[Callable[[], None]]:
    # Only when the app already imported structlog: no import, no work otherwise.
    structlog = sys.modules.get("structlog")
    if structlog is None:
        return []
    processors = list(structlog.get_config().get("processors", []))
    if add_request_context in processors:
        return []
    structlog.configure(processors=[add_request_context, *processors])

    def undo() -> None:
        current = list(structlog.get_config().get("processors", []))
        if add_request_context in current:
            current.remove(add_request_context)
            structlog.configure(processors=current)

    return [undo]
