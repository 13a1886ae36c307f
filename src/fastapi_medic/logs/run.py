"""The library entry points: :func:`scan` groups the failures, :func:`triage` reports them."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import IO, cast

from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Finding, Report
from fastapi_medic.logs.group import Group, ServerErrors
from fastapi_medic.logs.scanner import Scanner, Stats
from fastapi_medic.logs.sources import Source, expand, open_source

__all__ = ["Sources", "TriageResult", "parse_when", "scan", "triage"]

Sources = Iterable[Source] | IO[bytes] | IO[str]
_RELATIVE = re.compile(r"(\d{1,9})\s*(s|sec|m|min|h|d|w)", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclasses.dataclass(frozen=True)
class TriageResult:
    """The failures found in some logs, grouped by signature.

    Attributes:
        groups: most severe first, then most frequent.
        server_errors: the responses with status 500 seen in access logs.
        stats: what was read.
        overflow: failures not grouped because too many distinct signatures were seen.
        duration: seconds the scan took.
    """

    groups: tuple[Group, ...]
    server_errors: ServerErrors
    stats: Stats
    overflow: int = 0
    duration: float = 0.0

    @property
    def blind_spot(self) -> Finding | None:
        """The "500s and no traceback anywhere" finding, when it applies."""
        if self.stats.failure_tracebacks:
            return None
        return self.server_errors.blind_spot()

    def findings(self) -> list[Finding]:
        """One finding per group (in group order), then the blind spot if any."""
        found = [group.finding() for group in self.groups]
        blind = self.blind_spot
        if blind is not None:
            found.append(blind)
        return found

    def report(self, root: str = ".") -> Report:
        """The findings in the shared report model (``command="logs"``)."""
        summary: dict[str, int] = {
            "lines read": self.stats.lines,
            "failures": self.stats.failures,
        }
        if not self.stats.failure_tracebacks:  # 500s are counted only while they can matter
            summary["responses with status 500"] = self.server_errors.count
        if self.stats.skipped_by_time:
            summary["outside --since/--until"] = self.stats.skipped_by_time
        if self.overflow:
            summary["failures not grouped"] = self.overflow
        return Report(
            command="logs",
            root=root,
            findings=tuple(self.findings()),
            files=self.stats.files,
            duration=self.duration,
            summary=summary,
        )


def parse_when(value: str | datetime | None, now: datetime | None = None) -> datetime | None:
    """A ``--since``/``--until`` value: ISO 8601, or a duration back from now (``2h``, ``30m``).

    Times without a zone are taken as UTC.

    Raises:
        UsageError: the value is neither.
    """
    if value is None or isinstance(value, datetime):
        return _aware(value) if value is not None else None
    text = value.strip()
    m = _RELATIVE.fullmatch(text)
    if m is not None:
        now = now or datetime.now(timezone.utc)
        return now - timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2).lower()])
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        raise UsageError(
            f"{value!r} is not a time; use ISO 8601 (2024-05-01T12:00) or a duration (2h, 30m)"
        ) from None


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=timezone.utc)


def scan(
    sources: Sources,
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
) -> TriageResult:
    """Read logs and group their failures.

    Args:
        sources: file names, paths or globs (``-`` is standard input), or an open stream.
        since: ignore failures logged before this time.
        until: ignore failures logged after this time.

    Raises:
        UsageError: a source cannot be found or read, or a time cannot be parsed.
    """
    started = time.perf_counter()
    scanner = Scanner(since=parse_when(since), until=parse_when(until))
    if hasattr(sources, "read"):
        stream = cast("IO[bytes]", getattr(sources, "buffer", sources))
        with open_source("-", stdin=stream) as opened:
            _scan_one(scanner, "<stdin>", opened)
    else:
        for name in expand(sources):
            with open_source(name) as opened:
                _scan_one(scanner, "<stdin>" if name == "-" else name, opened)
    return TriageResult(
        groups=tuple(scanner.grouper.ordered()),
        server_errors=scanner.server_errors,
        stats=scanner.stats,
        overflow=scanner.grouper.overflow,
        duration=time.perf_counter() - started,
    )


def _scan_one(scanner: Scanner, name: str, stream: IO[bytes]) -> None:
    try:
        scanner.scan(name, stream)
    except (OSError, EOFError) as exc:  # a truncated or corrupt compressed file
        raise UsageError(f"{name}: cannot read: {exc}") from exc


def triage(
    sources: Sources,
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
) -> Report:
    """Read logs and report every failure class found, grouped, as findings.

    See :func:`scan` for the arguments; this returns ``scan(...).report()``.
    """
    return scan(sources, since=since, until=until).report()
