"""A JSON-lines file of what the probes saw, for ``fastapi-medic logs`` to read back.

One JSON object per line, at least: ``ts``, ``level``, ``logger``, ``message``, ``request_id``,
``route``, ``method``, ``status``, ``duration_ms``, ``code`` (``MED7xx`` or null), ``exc_type``
and ``traceback`` when there is one; flagged requests add ``breadcrumbs``. Lines are written
by the emitter thread, one ``write`` each, to a file opened for appending, so several worker
processes can share one file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi_medic.runtime.logging import record_dict

__all__ = ["REQUIRED_KEYS", "JsonLinesSink", "read_sink"]

REQUIRED_KEYS = (
    "ts",
    "level",
    "logger",
    "message",
    "request_id",
    "route",
    "method",
    "status",
    "duration_ms",
    "code",
    "exc_type",
)


class JsonLinesSink(logging.Handler):
    """A logging handler that appends one JSON object per record to ``path``.

    Args:
        path: the file; its directory is created when missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write(record_dict(record))
        except Exception:  # logging's own convention: report, never raise
            self.handleError(record)

    def write(self, entry: dict[str, Any]) -> None:
        """Append ``entry`` (the required keys are filled with null when missing)."""
        for key in REQUIRED_KEYS:
            entry.setdefault(key, None)
        line = json.dumps(entry, default=str, ensure_ascii=False) + "\n"
        with self._write_lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        with self._write_lock:
            if not self._file.closed:
                self._file.close()
        super().close()


def read_sink(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the entries of a sink file; lines that are not JSON objects are skipped."""
    with Path(path).open(encoding="utf-8") as stream:
        for line in stream:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry
