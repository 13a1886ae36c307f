"""JSON log records: structlog, python-json-logger, loguru's ``serialize``, Docker's json-file
driver, cloud formats, and the JSON-lines sink of fastapi-medic's runtime probes.

Field names differ between libraries; each field is looked up under the names they use, and a
traceback may be a string (``exc_info``, ``exception``, ``traceback``), structlog's list of
frame dicts, or sit inside loguru's ``text``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import Any

from fastapi_medic.logs.parse import parse_timestamp
from fastapi_medic.logs.tracebacks import Traceback, from_frames, parse_traceback_text

__all__ = ["JsonRecord", "parse_json"]

_TS = ("ts", "timestamp", "time", "@timestamp", "asctime", "datetime", "record.time.repr", "t")
_LEVEL = ("level", "levelname", "severity", "log.level", "record.level.name", "lvl")
_MESSAGE = ("message", "msg", "event", "record.message", "log.message")
_TRACEBACK = (
    "traceback",
    "exc_info",
    "exception",
    "exc_text",
    "stack_trace",
    "stack",
    "error.stack_trace",
    "error.stack",
    "exc",
    "text",
)
_STATUS = (
    "status",
    "status_code",
    "http.status_code",
    "http_status",
    "response.status",
    "statusCode",
)
_ROUTE = ("route", "http.route", "path", "http.target", "url", "request.path")
_METHOD = ("method", "http.method", "request.method")
_REQUEST_ID = ("request_id", "correlation_id", "requestId", "trace_id")
_EXC_TYPE = ("exc_type", "error.type", "exception.type", "record.exception.type")
_EXC_VALUE = ("exc_value", "error.message", "exception.value", "record.exception.value")
_MARK = "Traceback (most recent call last)"


@dataclasses.dataclass(slots=True)
class JsonRecord:
    """The fields of a JSON log record that triage uses.

    Attributes:
        wrapped: for Docker's json-file driver, the line the container wrote.
        stream: for Docker's json-file driver, ``stdout`` or ``stderr``: access lines and
            tracebacks go to different streams, which keeps them apart.
    """

    ts: datetime | None = None
    level: str = ""
    message: str = ""
    traceback: Traceback | None = None
    status: int | None = None
    route: str | None = None
    method: str | None = None
    request_id: str | None = None
    wrapped: str | None = None
    stream: str = ""


def _get(data: dict[str, Any], path: str) -> Any:
    if path in data:
        return data[path]
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _first(data: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = _get(data, name)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def parse_json(text: str) -> JsonRecord | None:
    """Read one JSON log record; None when ``text`` is not a JSON object."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("log"), str) and ("stream" in data or "time" in data) and len(data) <= 4:
        ts = parse_timestamp(_text(data.get("time")))
        return JsonRecord(ts=ts, wrapped=data["log"], stream=_text(data.get("stream"))[:10])
    record = JsonRecord()
    ts = _first(data, _TS)
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        try:
            record.ts = datetime.fromtimestamp(ts / 1000 if ts > 1e11 else ts, timezone.utc)
        except (ValueError, OverflowError, OSError):
            record.ts = None
    elif isinstance(ts, str):
        record.ts = parse_timestamp(ts)
    record.level = _text(_first(data, _LEVEL))[:20]
    record.message = _text(_first(data, _MESSAGE))[:4000]
    record.traceback = _traceback(data)
    status = _first(data, _STATUS)
    if isinstance(status, int) and not isinstance(status, bool):
        record.status = status
    elif isinstance(status, str) and status.isdigit():
        record.status = int(status)
    route = _first(data, _ROUTE)
    record.route = _text(route)[:300] if isinstance(route, str) else None
    method = _first(data, _METHOD)
    record.method = method[:10] if isinstance(method, str) else None
    request_id = _first(data, _REQUEST_ID)
    record.request_id = _text(request_id)[:100] if request_id is not None else None
    if record.traceback is None:
        exc_type = _first(data, _EXC_TYPE)
        if isinstance(exc_type, str) and exc_type:
            value = _text(_first(data, _EXC_VALUE))
            record.message = f"{record.message}\n{exc_type}: {value}".strip()
    return record


def _traceback(data: dict[str, Any]) -> Traceback | None:
    for name in _TRACEBACK:
        value = _get(data, name)
        if isinstance(value, str) and (_MARK in value or 'File "' in value):
            return parse_traceback_text(value)
        if (
            isinstance(value, list)
            and value
            and isinstance(value[0], dict)
            and "frames" in value[0]
        ):
            return from_frames(value)
    # any other field holding a whole traceback
    for value in data.values():
        if isinstance(value, str) and _MARK in value:
            return parse_traceback_text(value)
    return None
