"""The streaming scanner: big byte blocks, a cheap prefilter, and parsing only around hits.

A block of several megabytes is searched with ``bytes.find`` for a few needles that every
failure line contains (``Traceback``, ``Error``, an HTTP status 500, ...). Only the lines
holding a hit are decoded and parsed, plus the lines that follow while a traceback is open or
a record may still be followed by its traceback. Each line is handled at most once and cut to
:data:`MAX_LINE` bytes first, so the work is linear in the input, and memory holds at most two
blocks, the open tracebacks and the groups, whatever the size of the log.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import IO

from fastapi_medic.logs.classify import classify
from fastapi_medic.logs.group import Grouper, Occurrence, ServerErrors
from fastapi_medic.logs.parse import access_status, is_record, parse_line, record_timestamp
from fastapi_medic.logs.prefilter import Plan, has_needle
from fastapi_medic.logs.records import JsonRecord, parse_json
from fastapi_medic.logs.tracebacks import MAX_GAP, SETTLED_GAP, Assembler, Traceback

__all__ = ["BLOCK_SIZE", "MAX_LINE", "Scanner", "Stats"]

#: bytes read at a time
BLOCK_SIZE = 8 << 20
#: longest line parsed; the rest of a longer line is ignored (JSON records included)
MAX_LINE = 1 << 20
#: longest text searched for a traceback or an error pattern
MAX_TEXT = 64 << 10
#: a run of indented lines (traceback frames and their source lines)
_INDENTED = re.compile(rb"(?:[ \t][^\n]*\n)+")
#: idle per-stream assemblers kept; beyond this, an idle one is dropped (memory stays bounded)
_MAX_IDLE_STREAMS = 256
#: lines after a record during which its traceback may still start
_HEADER_WINDOW = 20


@dataclasses.dataclass(slots=True)
class Stats:
    """Figures about what was read."""

    files: int = 0
    bytes: int = 0
    lines: int = 0
    parsed_lines: int = 0
    tracebacks: int = 0
    #: tracebacks of failures (not of a server shutting down): logging does show them
    failure_tracebacks: int = 0
    failures: int = 0
    skipped_by_time: int = 0


@dataclasses.dataclass(slots=True)
class _Header:
    line: int
    ts: datetime | None
    text: str
    deadline: int


class Scanner:
    """Scans log streams into a :class:`Grouper` and the 500s seen in access logs."""

    def __init__(self, *, since: datetime | None = None, until: datetime | None = None) -> None:
        self.since, self.until = since, until
        self.grouper = Grouper()
        self.server_errors = ServerErrors()
        self.stats = Stats()

    def scan(self, name: str, stream: IO[bytes]) -> None:
        """Read ``stream`` to its end; ``name`` is the path shown in locations."""
        self.stats.files += 1
        _File(self, name).run(stream)

    def in_window(self, ts: datetime | None) -> bool:
        """True when ``ts`` lies in ``--since``/``--until`` (or is unknown)."""
        if ts is None:
            return True
        if self.since is not None and ts < self.since:
            return False
        return not (self.until is not None and ts > self.until)


class _File:
    """The state of one file's scan: line number, open tracebacks, pending headers."""

    def __init__(self, scanner: Scanner, name: str) -> None:
        self.scanner = scanner
        self.name = name
        self.lineno = 1
        self.assemblers: dict[str, Assembler] = {}
        self.opened: dict[str, tuple[int, datetime | None, str]] = {}
        self.active: set[str] = set()
        self.pending: dict[str, _Header] = {}
        self.last_ts: datetime | None = None

    def run(self, stream: IO[bytes]) -> None:
        tail = b""
        stats = self.scanner.stats
        while True:
            data = stream.read(BLOCK_SIZE)
            if not data:
                break
            stats.bytes += len(data)
            buf = tail + data if tail else data
            del data  # at most two blocks alive at once: memory does not depend on the log
            cut = buf.rfind(b"\n") + 1
            if cut == 0 and len(buf) < MAX_LINE:
                tail = buf  # one long line so far: wait for its end
                continue
            if cut == 0:
                self.block(buf, len(buf))
                tail = b""
            else:
                self.block(buf, cut)
                tail = buf[cut:]
            del buf
        if tail:
            self.block(tail, len(tail))
            self.lineno += 1
        self.finish()
        stats.lines += self.lineno - 1

    def block(self, buf: bytes, end: int) -> None:
        """Handle ``buf[:end]``: whole lines, except a fragment of an over-long line."""
        pos = 0
        plan = Plan(buf, end, with_status=self.with_status)
        while pos < end:
            if self.active or self.pending:
                pos = self.feed(buf, pos, end)
                continue
            if not self.with_status and plan.units and plan.units[-1].status:
                plan.drop_status()
            hit = plan.next_hit(buf, pos, end)
            if hit < 0:
                break
            start = buf.rfind(b"\n", pos, hit) + 1 or pos
            self.lineno += buf.count(b"\n", pos, start)
            nl = buf.find(b"\n", hit, end)
            stop = end if nl < 0 else nl
            self.line(buf[start:stop], True)
            pos = stop + 1
            if nl >= 0:
                self.lineno += 1
        if pos < end:
            self.lineno += buf.count(b"\n", pos, end)

    @property
    def with_status(self) -> bool:
        """Whether 500 responses still matter: until a failure's traceback is seen (MED811)."""
        return self.scanner.stats.failure_tracebacks == 0

    def feed(self, buf: bytes, pos: int, end: int) -> int:
        """Handle the line at ``pos`` while a traceback is open; return the next position."""
        assembler = self.assemblers.get("")
        if assembler is not None and assembler.in_frames and buf[pos : pos + 1] in (b" ", b"\t"):
            # The frames of an unprefixed traceback: one C-level match finds them all.
            m = _INDENTED.match(buf, pos, end)
            if m is not None and m.end() > pos:
                chunk = buf[pos : m.end()]
                assembler.feed_frames(chunk.decode("utf-8", "replace"), self.lineno)
                self.scanner.stats.parsed_lines += chunk.count(b"\n")
                self.lineno += chunk.count(b"\n")
                self.expire()
                return m.end()
        nl = buf.find(b"\n", pos, end)
        stop = end if nl < 0 else nl
        raw = buf[pos:stop]
        if not self.compose_frame(raw):
            self.line(raw, None)
        if nl >= 0:
            self.lineno += 1
        self.expire()
        return stop + 1

    def compose_frame(self, raw: bytes) -> bool:
        """Feed a frame line of a docker-compose stream straight to its open traceback.

        The general path (prefixes, record detection) gives the same result; this one skips
        it for the lines that make up most of a traceback.
        """
        bar = raw.find(b" | ", 1, 106)
        if bar < 0 or raw[bar + 3 : bar + 4] not in (b" ", b"\t") or b"\x1b" in raw:
            return False
        name = raw[:bar].rstrip(b" ")
        if b" " in name or not name[:1].isalnum():
            return False
        assembler = self.assemblers.get(name.decode("utf-8", "replace"))
        if assembler is None or not assembler.in_frames:
            return False
        self.scanner.stats.parsed_lines += 1
        text = raw[bar + 3 : bar + 3 + MAX_TEXT].decode("utf-8", "replace").rstrip("\r")
        assembler.feed_frames(text, self.lineno)
        return True

    # --- one line ---------------------------------------------------------------------------

    def line(self, raw: bytes, hit: bool | None) -> None:
        """Handle one line; ``hit`` None means the prefilter has not looked at it."""
        self.scanner.stats.parsed_lines += 1
        raw = raw[:MAX_LINE]
        if hit is None and raw[:1] not in (b" ", b"\t"):
            hit = has_needle(raw, with_status=self.with_status)
        text = raw.decode("utf-8", "replace")
        parsed = parse_line(text)
        if parsed.ts is not None:
            self.last_ts = parsed.ts
        body = parsed.text
        if body.startswith("{") and (hit or self.active or self.pending):
            record = parse_json(body)
            if record is not None:
                if record.wrapped is not None:  # Docker's json-file driver
                    inner = parse_line(record.wrapped)
                    key = "/".join(k for k in (parsed.key, record.stream, inner.key) if k)
                    ts = inner.ts or record.ts or parsed.ts
                    self.text_line(key, ts, inner.text[:MAX_TEXT], hit)
                else:
                    self.json_line(parsed.key, record, parsed.ts)
                return
        self.text_line(parsed.key, parsed.ts, body[:MAX_TEXT], hit)

    def text_line(self, key: str, ts: datetime | None, body: str, hit: bool | None) -> None:
        """Offer a line to its stream's traceback; otherwise read it as a record."""
        if ts is not None:
            self.last_ts = ts
        assembler = self.assemblers.get(key)
        if assembler is None:
            assembler = self.assemblers[key] = Assembler()
        record = is_record(body)
        was_active = assembler.active
        consumed, finished = assembler.feed(body, record=record, lineno=self.lineno)
        if finished is not None:
            self.traceback(key, finished)
        if assembler.active:
            self.active.add(key)
            if consumed and (not was_active or finished is not None):
                header = self.pending.pop(key, None)
                if header is not None:
                    self.opened[key] = (header.line, header.ts or ts, header.text)
                else:
                    self.opened[key] = (self.lineno, ts or self.last_ts, "")
        else:
            self.active.discard(key)
            if len(self.assemblers) > _MAX_IDLE_STREAMS:  # pods and pids come and go
                del self.assemblers[key]
        if consumed:
            return
        self.flush(key)
        if not hit or body.startswith("{"):
            return
        access = access_status(body)
        if access is not None:
            if access.status == 500:
                ts = ts or record_timestamp(body)
                route = f"{access.method} {access.path}" if access.method else None
                self.server_error(ts, route)
            return
        ts = ts or record_timestamp(body)
        if ts is not None:
            self.last_ts = ts
        self.pending[key] = _Header(self.lineno, ts, body, self.lineno + _HEADER_WINDOW)

    def json_line(self, key: str, record: JsonRecord, prefix_ts: datetime | None) -> None:
        """A JSON record: its traceback, its 500 status, or a failure named in its message."""
        self.flush(key)
        ts = record.ts or prefix_ts
        if ts is not None:
            self.last_ts = ts
        route = record.route
        if route and record.method:
            route = f"{record.method} {route}"
        if record.traceback is not None:
            self.scanner.stats.tracebacks += 1
            self.failure(
                record.traceback,
                record.message,
                self.lineno,
                ts,
                route=route,
                request_id=record.request_id,
            )
            return
        access = access_status(record.message) if " HTTP/" in record.message else None
        status = record.status if record.status is not None else access.status if access else None
        if status == 500:
            if route is None and access is not None and access.method:
                route = f"{access.method} {access.path}"
            self.server_error(ts, route)
            return
        self.failure(
            None, record.message, self.lineno, ts, route=route, request_id=record.request_id
        )

    # --- results ----------------------------------------------------------------------------

    def traceback(self, key: str, tb: Traceback) -> None:
        line, ts, header = self.opened.pop(key, (self.lineno, self.last_ts, ""))
        self.scanner.stats.tracebacks += 1
        self.failure(tb, header, line, ts)

    def failure(
        self,
        tb: Traceback | None,
        text: str,
        line: int,
        ts: datetime | None,
        *,
        route: str | None = None,
        request_id: str | None = None,
    ) -> None:
        if not text and tb is None:
            return
        c = classify(tb, text)
        if c is None:
            return
        if tb is not None:
            self.scanner.stats.failure_tracebacks += 1
        if not self.scanner.in_window(ts or self.last_ts):
            self.scanner.stats.skipped_by_time += 1
            return
        self.scanner.stats.failures += 1
        self.scanner.grouper.add(
            c, Occurrence(self.name, line, ts), route=route, request_id=request_id
        )

    def server_error(self, ts: datetime | None, route: str | None) -> None:
        if not self.scanner.in_window(ts or self.last_ts):
            self.scanner.stats.skipped_by_time += 1
            return
        self.scanner.server_errors.add(Occurrence(self.name, self.lineno, ts), route)

    def flush(self, key: str) -> None:
        """The record pending in ``key`` had no traceback: classify its line alone."""
        header = self.pending.pop(key, None)
        if header is not None:
            self.failure(None, header.text, header.line, header.ts)

    def expire(self) -> None:
        """Close what can no longer continue: quiet streams and headers past their window."""
        if self.pending:
            for key in [k for k, h in self.pending.items() if self.lineno > h.deadline]:
                self.flush(key)
        if self.active:
            for key in list(self.active):
                assembler = self.assemblers[key]
                gap = SETTLED_GAP if assembler.settled else MAX_GAP
                if self.lineno - assembler.last_line > gap:
                    self.close(key)

    def close(self, key: str) -> None:
        finished = self.assemblers[key].finish()
        self.active.discard(key)
        if finished is not None:
            self.traceback(key, finished)

    def finish(self) -> None:
        for key in list(self.active):
            self.close(key)
        for key in list(self.pending):
            self.flush(key)
