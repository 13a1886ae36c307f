"""SQL statement breadcrumbs: fingerprint and duration of each statement a request runs.

Times each ``cursor.execute`` of the engines you pass (see :class:`StatementTracker`). The
fingerprint keeps the statement's shape and drops every literal (strings, numbers, ``IN``
lists), and bound parameter values are never read, so no user data lands in a breadcrumb.
Outside a request the wrappers cost one context-variable read.
"""

from __future__ import annotations

import collections
import re
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from fastapi_medic.runtime.context import (
    BREADCRUMB_LIMIT,
    Breadcrumb,
    RequestState,
    current_request,
    probe_failed,
)

__all__ = ["StatementTracker", "fingerprint"]

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\bX'[0-9a-fA-F]*'", re.IGNORECASE)
_IN_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\$\d+|:\w+|\?")
_SPACE = re.compile(r"\s+")
_MAX_LEN = 300
_clock = time.perf_counter


@lru_cache(maxsize=1024)
def fingerprint(statement: str) -> str:
    """The statement with every literal and placeholder replaced by ``?``, spaces collapsed.

    >>> fingerprint("SELECT * FROM t WHERE name = 'bob' AND id IN (1, 2, 3)")
    'SELECT * FROM t WHERE name = ? AND id IN (...)'
    """
    text = _STRING.sub("?", statement)
    text = _HEX.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _PLACEHOLDER.sub("?", text)
    text = _IN_LIST.sub("(...)", text)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= _MAX_LEN else text[: _MAX_LEN - 3] + "..."


class StatementTracker:
    """Adds one breadcrumb per statement run inside a request, on each engine given.

    It wraps the three ``do_execute*`` methods of each engine's dialect instance rather than
    listening to ``before/after_cursor_execute``: an engine with cursor listeners sends every
    connection and statement through SQLAlchemy's event dispatch (about a hundred extra calls
    per request on an ``AsyncSession`` route), a wrapper costs one call and one context
    variable read. The wrappers are removed by :meth:`close`.

    Args:
        engines: sync ``Engine`` objects (pass ``async_engine.sync_engine`` for async ones).
    """

    def __init__(self, engines: Sequence[Any]) -> None:
        self._patched: list[tuple[Any, str, Any]] = []
        for engine in engines:
            dialect = engine.dialect
            for name in _METHODS:
                original = getattr(dialect, name, None)
                if original is None or getattr(original, "_medic_original", None) is not None:
                    continue  # not a dialect we know, or already wrapped by another tracker
                wrapper = _wrap(original, name)
                setattr(dialect, name, wrapper)
                self._patched.append((dialect, name, wrapper))

    def close(self) -> None:
        """Remove the wrappers; idempotent."""
        while self._patched:
            dialect, name, wrapper = self._patched.pop()
            if dialect.__dict__.get(name) is wrapper:
                delattr(dialect, name)


_METHODS = ("do_execute", "do_executemany", "do_execute_no_params")


def _ms(seconds: float) -> float:
    # Milliseconds to the microsecond; round(x, 3) costs several times as much.
    return int(seconds * 1_000_000.0 + 0.5) / 1000.0


def _record(
    state: RequestState, t0: float, statement: str, many: bool, error: BaseException | None
) -> None:
    """Append the statement's breadcrumb to the request's ring; never raises."""
    try:
        now = _clock()
        data: dict[str, Any] = {"duration_ms": _ms(now - t0)}
        if many:
            data["executemany"] = True
        if error is not None:
            data["error"] = type(error).__name__
        ring = state._breadcrumbs
        if ring is None:
            ring = state._breadcrumbs = collections.deque(maxlen=BREADCRUMB_LIMIT)
        ring.append(Breadcrumb(now - state.started, "sql", fingerprint(statement), data))
    except Exception as exc:  # fail open
        probe_failed("statements.after", exc)


def _wrap(original: Callable[..., Any], name: str) -> Callable[..., Any]:
    # SQLAlchemy calls these positionally: (cursor, statement[, parameters], context). The
    # wrappers spell the arguments out rather than pass *args/**kwargs along, which would
    # pack and unpack them on every statement; outside a request they cost one read of the
    # request variable.
    many = name == "do_executemany"
    get_request = current_request.get
    wrapper: Callable[..., Any]

    if name == "do_execute_no_params":

        def no_params(cursor: Any, statement: str, context: Any = None) -> Any:
            state = get_request()
            if state is None:
                return original(cursor, statement, context)
            try:
                t0 = _clock()
            except Exception as exc:  # fail open: the statement runs without a breadcrumb
                probe_failed("statements.before", exc)
                t0 = -1.0
            if t0 < 0.0:
                return original(cursor, statement, context)
            error: BaseException | None = None
            try:
                return original(cursor, statement, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                _record(state, t0, statement, many, error)

        wrapper = no_params
    else:

        def with_params(cursor: Any, statement: str, parameters: Any, context: Any = None) -> Any:
            state = get_request()
            if state is None:
                return original(cursor, statement, parameters, context)
            try:
                t0 = _clock()
            except Exception as exc:  # fail open: the statement runs without a breadcrumb
                probe_failed("statements.before", exc)
                t0 = -1.0
            if t0 < 0.0:
                return original(cursor, statement, parameters, context)
            error: BaseException | None = None
            try:
                return original(cursor, statement, parameters, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                _record(state, t0, statement, many, error)

        wrapper = with_params
    wrapper._medic_original = original  # type: ignore[union-attr]
    return wrapper
