"""Track every SQLAlchemy engine of the process from its first connection (pytest plugin)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from fastapi_medic.runtime.pool import PoolTracker, remover, tracked_engines

if TYPE_CHECKING:
    from fastapi_medic.runtime.collector import Collector

__all__ = ["EngineWatch"]


class EngineWatch:
    """Tracks every engine of the process from its first connection (the pytest plugin).

    A class-level ``engine_connect`` listener attaches a :class:`PoolTracker` to each engine
    the first time it hands out a connection, and books that first connection too, so
    engines created at import time, before the watch started, are covered. Engines already
    followed by an :func:`instrument` call are left alone.
    """

    def __init__(self, collector: Collector) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.collector = collector
        self.trackers: dict[int, PoolTracker] = {}
        self._lock = threading.Lock()
        event.listen(Engine, "engine_connect", self._on_connect)
        self._remove = remover(Engine, "engine_connect", self._on_connect)

    def _on_connect(self, connection: Any) -> None:
        try:
            engine = connection.engine
            key = id(engine)
            if key in self.trackers or key in tracked_engines():
                return
            with self._lock:
                if key in self.trackers:
                    return
                tracker = self.trackers[key] = PoolTracker(engine, self.collector)
            record = getattr(connection._dbapi_connection, "_connection_record", None)
            if record is not None:
                tracker.book(engine, record)
        except Exception as exc:  # fail open
            self.collector.probe_failed("pool.engine_watch", exc)

    def close(self) -> None:
        """Stop watching and close every tracker; idempotent."""
        self._remove()
        with self._lock:
            trackers, self.trackers = list(self.trackers.values()), {}
        for tracker in trackers:
            tracker.close()
