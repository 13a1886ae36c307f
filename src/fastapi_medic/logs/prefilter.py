"""The cheap prefilter: where in a block can a failure be?

``bytes.find`` of a short needle runs at one or two GB/s, but a search for a single byte
(``memchr``) runs ten times faster. For each block, a small sample tells how common each byte
is; a needle containing a byte that is rare in *this* log is searched through that byte (the
anchor) and checked with ``startswith``, the others with a plain ``find``. Both cost time
linear in the block, whatever its content: a log where every byte is an anchor only makes the
anchored search as slow as the plain one would have been.
"""

from __future__ import annotations

__all__ = ["NEEDLES", "STATUS_NEEDLES", "Plan", "has_needle"]

#: every line that can hold a failure contains one of these
NEEDLES: tuple[bytes, ...] = (
    b"Traceback",
    b"rror",  # Error, error
    b"RROR",  # ERROR
    b"CRITICAL",  # gunicorn's WORKER TIMEOUT
    b"Warning:",  # SAWarning (a leaked connection), RuntimeWarning (never awaited)
    b"destroyed but it is pending",
    b"Executing <",  # asyncio's slow-callback warning (debug mode)
)
#: responses with status 500, needed only while no traceback has been seen (the blind spot)
STATUS_NEEDLES: tuple[bytes, ...] = (
    b'" 500',  # access logs: "GET / HTTP/1.1" 500
    b'": 500',  # JSON: "status": 500
    b'":500',
)

_WINDOW = 16 << 10
#: a plain find costs about as much as this many anchor checks per byte of the block
_ANCHOR_BUDGET = 1 / 1000


class _Unit:
    """One search: a plain needle, or the needles sharing an anchor byte."""

    __slots__ = ("anchor", "next", "shift", "status", "targets")

    def __init__(self, anchor: bytes | None, targets: list[tuple[bytes, int]], status: bool):
        self.anchor = anchor
        self.targets = targets
        self.shift = min(offset for _, offset in targets)
        self.status = status
        self.next = -2  # -2: not searched yet in this block; -1: no more hits

    def find(self, buf: bytes, pos: int, end: int) -> int:
        if self.anchor is None:
            return buf.find(self.targets[0][0], pos, end)
        anchor, targets = self.anchor, self.targets
        at = buf.find(anchor, pos + self.shift, end)
        while at >= 0:
            for needle, offset in targets:
                start = at - offset
                if start >= pos and buf.startswith(needle, start):
                    return start
            at = buf.find(anchor, at + 1, end)
        return -1


class Plan:
    """The searches for one block, and the next hit from a position."""

    __slots__ = ("units",)

    def __init__(self, buf: bytes, end: int, *, with_status: bool) -> None:
        needles = [(n, False) for n in NEEDLES]
        if with_status:
            needles += [(n, True) for n in STATUS_NEEDLES]
        freq = _sample(buf, end, {b for needle, _ in needles for b in needle})
        anchored: dict[tuple[int, bool], list[tuple[bytes, int]]] = {}
        units: list[_Unit] = []
        for needle, status in needles:
            offset = min(range(len(needle)), key=lambda i: freq[needle[i]])
            if freq[needle[offset]] <= _ANCHOR_BUDGET:
                anchored.setdefault((needle[offset], status), []).append((needle, offset))
            else:
                units.append(_Unit(None, [(needle, 0)], status))
        for (byte, status), targets in anchored.items():
            units.append(_Unit(bytes([byte]), targets, status))
        self.units = units

    def drop_status(self) -> None:
        """Stop looking for 500 responses (a traceback was seen: no blind spot possible)."""
        self.units = [unit for unit in self.units if not unit.status]

    def next_hit(self, buf: bytes, pos: int, end: int) -> int:
        """The first position at or after ``pos`` where a needle starts, or -1."""
        best = -1
        for unit in self.units:
            at = unit.next
            if at == -2 or 0 <= at < pos:
                at = unit.next = unit.find(buf, pos, end)
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best


def _sample(buf: bytes, end: int, wanted: set[int]) -> dict[int, float]:
    """How often each wanted byte occurs, from four windows spread over the block."""
    starts = sorted({max(0, min(end - _WINDOW, end * i // 4)) for i in range(4)})
    size = sum(min(_WINDOW, end - s) for s in starts) or 1
    return {
        byte: sum(buf.count(bytes([byte]), s, s + _WINDOW) for s in starts) / size
        for byte in wanted
    }


def has_needle(raw: bytes, *, with_status: bool) -> bool:
    """True when ``raw`` (one line) holds a needle."""
    for needle in NEEDLES:
        if needle in raw:
            return True
    if with_status:
        for needle in STATUS_NEEDLES:
            if needle in raw:
                return True
    return False
