"""ORM sessions per request: how many began and ended, and which connections they hold.

Class-level ``Session`` listeners (they also see the ``Session`` inside every
``AsyncSession``) are installed once, while at least one pool tracker is active. A root
transaction that begins inside a request counts as a session opened by it, its end as the
session closed; ``after_begin`` marks the pooled connection the session took, so a leak of
that connection is reported as the unclosed session it really is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from fastapi_medic.runtime import context
from fastapi_medic.runtime.context import RequestState

__all__ = ["watch_sessions"]


class Holder(Protocol):
    """What a pool tracker exposes: ``id(connection record)`` -> its checkout."""

    held: dict[int, Any]


_trackers: list[Holder] = []
_open_roots: dict[int, RequestState] = {}  # id(root SessionTransaction) -> its request
_sessions_lock = threading.Lock()


def watch_sessions(tracker: Holder) -> Callable[[], None]:
    """Count sessions per request and tag connections held by a session; returns the undo."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    with _sessions_lock:
        _trackers.append(tracker)
        if len(_trackers) == 1:
            event.listen(Session, "after_transaction_create", _tx_created)
            event.listen(Session, "after_transaction_end", _tx_ended)
            event.listen(Session, "after_begin", _began)

    def undo() -> None:
        with _sessions_lock:
            if tracker in _trackers:
                _trackers.remove(tracker)
            if not _trackers:
                for name, fn in (
                    ("after_transaction_create", _tx_created),
                    ("after_transaction_end", _tx_ended),
                    ("after_begin", _began),
                ):
                    if event.contains(Session, name, fn):
                        event.remove(Session, name, fn)
                _open_roots.clear()

    return undo


def _tx_created(session: Any, transaction: Any) -> None:
    try:
        if transaction.parent is None:
            state = context.current_request.get()
            if state is not None:
                state.sessions_opened += 1
                _open_roots[id(transaction)] = state
    except Exception as exc:  # fail open
        context.probe_failed("pool.session_begin", exc)


def _tx_ended(session: Any, transaction: Any) -> None:
    try:
        if transaction.parent is None:
            state = _open_roots.pop(id(transaction), None)
            if state is not None:
                state.sessions_closed += 1
    except Exception as exc:  # fail open
        context.probe_failed("pool.session_end", exc)


def _began(session: Any, transaction: Any, connection: Any) -> None:
    try:
        record = getattr(connection._dbapi_connection, "_connection_record", None)
        if record is None:
            return
        kind = "AsyncSession" if getattr(connection.dialect, "is_async", False) else "Session"
        for tracker in list(_trackers):
            checkout = tracker.held.get(id(record))
            if checkout is not None:
                checkout.session = kind
    except Exception as exc:  # fail open
        context.probe_failed("pool.session", exc)
