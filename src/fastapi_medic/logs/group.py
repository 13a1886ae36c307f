"""Groups failures by signature (cause, exception type, your own frame) and turns the groups
into findings of the shared model."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime

from fastapi_medic.findings import Finding, Frame, Location, Severity
from fastapi_medic.logs.classify import Classification
from fastapi_medic.logs.rules import ServerErrorWithoutTraceback, rule_for
from fastapi_medic.logs.tracebacks import TbFrame
from fastapi_medic.redact import redact_text

__all__ = ["Group", "Grouper", "Occurrence", "ServerErrors"]

#: distinct signatures kept; more are counted in ``Grouper.overflow`` (memory stays bounded)
MAX_GROUPS = 2000
_MAX_ROUTES = 50
_CHAIN_HEAD, _CHAIN_TAIL = 3, 12


@dataclasses.dataclass(frozen=True, slots=True)
class Occurrence:
    """Where and when one failure was logged."""

    path: str
    line: int
    ts: datetime | None


@dataclasses.dataclass(slots=True)
class Group:
    """Every failure with one signature.

    Attributes:
        classification: the first failure's classification (the sample).
        count: how many failures the group holds.
        first, last: the first and the last occurrence (by time when known, else read order).
        routes: ``METHOD route`` -> count, for the failures whose log names the request.
        request_id: the first request id seen, to find the request in other systems.
        chain: the sample's traceback frames as the finding shows them (your frame marked).
    """

    classification: Classification
    first: Occurrence
    last: Occurrence
    count: int = 1
    routes: Counter[str] = dataclasses.field(default_factory=Counter)
    request_id: str | None = None
    chain: tuple[Frame, ...] = ()

    @property
    def severity(self) -> Severity:
        """The pattern's severity, else the rule's."""
        return self.classification.severity or rule_for(self.classification.cause).severity

    def add(self, at: Occurrence, route: str | None) -> None:
        """Count one more failure."""
        self.count += 1
        if _earlier(at, self.first):
            self.first = at
        if not _earlier(at, self.last):
            self.last = at
        _count_route(self.routes, route)

    def finding(self) -> Finding:
        """This group as a finding of the shared model."""
        c = self.classification
        rule = rule_for(c.cause)
        subject = _subject(c)
        evidence = {
            "count": self.count,
            "first_seen": _iso(self.first.ts),
            "last_seen": _iso(self.last.ts),
            "first_line": f"{self.first.path}:{self.first.line}",
            "last_line": f"{self.last.path}:{self.last.line}",
            "exc_type": c.exc_type or None,
            "exc_message": c.exc_message[:200] or None,
            "user_frame": _frame_text(c.frame) if c.frame is not None and c.frame_is_user else None,
            "pattern": c.pattern,
            "routes": _top_routes(self.routes),
            "request_id": self.request_id,
            "caught_earlier_by": ", ".join(c.earlier or rule.earlier) or rule.earlier_hint,
        }
        return rule.finding(
            c.explanation,
            location=Location(self.first.path, self.first.line),
            fix=c.fix,
            subject=redact_text(subject) if subject else None,
            chain=self.chain,
            evidence={k: v for k, v in evidence.items() if v is not None},
            severity=self.severity,
        )


def _earlier(a: Occurrence, b: Occurrence) -> bool:
    if a.ts is not None and b.ts is not None:
        return a.ts < b.ts
    return (a.path, a.line) < (b.path, b.line) if a.path == b.path else False


def _count_route(routes: Counter[str], route: str | None) -> None:
    if route and (route in routes or len(routes) < _MAX_ROUTES):
        routes[route] += 1


def _top_routes(routes: Counter[str]) -> str | None:
    if not routes:
        return None
    return ", ".join(f"{route} ({n})" for route, n in routes.most_common(3))


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def _frame_text(frame: TbFrame) -> str:
    where = f"{frame.path}:{frame.line}" if frame.line is not None else frame.path
    return f"{where} in {frame.func}" if frame.func else where


def _subject(c: Classification) -> str:
    short = c.exc_type.rsplit(".", 1)[-1] if c.exc_type else ""
    if c.frame is not None and c.frame_is_user:
        return f"{short or c.pattern} at {_frame_text(c.frame)}"
    return short or c.pattern


def _chain(c: Classification) -> tuple[Frame, ...]:
    frames = c.frames
    keep = set(range(min(_CHAIN_HEAD, len(frames))))
    keep |= set(range(max(0, len(frames) - _CHAIN_TAIL), len(frames)))
    if c.frame is not None:
        keep |= {i for i, f in enumerate(frames) if f is c.frame}
    chain: list[Frame] = []
    previous = -1
    for i in sorted(keep):
        if i != previous + 1:
            chain.append(Frame(f"... {i - previous - 1} frames ..."))
        frame = frames[i]
        label = frame.func or "<module>"
        if frame is c.frame and c.frame_is_user:
            label += " (your innermost frame)"
        chain.append(Frame(redact_text(label), redact_text(frame.path), frame.line))
        previous = i
    return tuple(chain)


def _signature(c: Classification) -> tuple[object, ...]:
    frame = c.frame
    where = (frame.path, frame.line, frame.func) if frame is not None else None
    return (c.cause, c.pattern, c.exc_type, where)


class Grouper:
    """Collects failures into groups; memory is bounded by :data:`MAX_GROUPS`."""

    def __init__(self) -> None:
        self.groups: dict[tuple[object, ...], Group] = {}
        self.overflow = 0

    def add(
        self,
        c: Classification,
        at: Occurrence,
        *,
        route: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Count one classified failure."""
        key = _signature(c)
        group = self.groups.get(key)
        if group is not None:
            group.add(at, route)
            return
        if len(self.groups) >= MAX_GROUPS:
            self.overflow += 1
            return
        # the frames are kept as the finding's short chain only: memory per group stays small
        chain = _chain(c)
        group = Group(dataclasses.replace(c, frames=()), at, at, request_id=request_id, chain=chain)
        _count_route(group.routes, route)
        self.groups[key] = group

    def ordered(self) -> list[Group]:
        """Most severe first, then most frequent, then first seen."""
        return sorted(
            self.groups.values(),
            key=lambda g: (-g.severity, -g.count, g.first.path, g.first.line),
        )


@dataclasses.dataclass(slots=True)
class ServerErrors:
    """Responses with status 500 seen in access logs."""

    count: int = 0
    first: Occurrence | None = None
    last: Occurrence | None = None
    routes: Counter[str] = dataclasses.field(default_factory=Counter)

    def add(self, at: Occurrence, route: str | None) -> None:
        """Count one 500 response."""
        self.count += 1
        if self.first is None or _earlier(at, self.first):
            self.first = at
        if self.last is None or not _earlier(at, self.last):
            self.last = at
        _count_route(self.routes, route)

    def blind_spot(self) -> Finding | None:
        """The "500s but no traceback anywhere" finding (call it only when none was seen)."""
        if self.count == 0 or self.first is None or self.last is None:
            return None
        rule = ServerErrorWithoutTraceback
        evidence = {
            "count": self.count,
            "first_seen": _iso(self.first.ts),
            "last_seen": _iso(self.last.ts),
            "first_line": f"{self.first.path}:{self.first.line}",
            "last_line": f"{self.last.path}:{self.last.line}",
            "routes": _top_routes(self.routes),
            "caught_earlier_by": ", ".join(rule.earlier),
        }
        return rule.finding(
            f"{self.count} responses with status 500 and no traceback in the logs",
            location=Location(self.first.path, self.first.line),
            fix="Log unhandled exceptions with their traceback (logger.exception)",
            subject=redact_text(self.routes.most_common(1)[0][0]) if self.routes else None,
            evidence={k: v for k, v in evidence.items() if v is not None},
        )
