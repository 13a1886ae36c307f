"""One log line, whatever wrote it: container prefixes, timestamps, record headers, access lines.

Every function here runs on one line that the scanner has already cut to a bounded length,
and every regular expression is anchored (``match``) with quantifiers that cannot overlap, so a
hostile line costs time linear in its (bounded) length.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

__all__ = [
    "AccessHit",
    "Line",
    "access_status",
    "is_record",
    "parse_line",
    "parse_timestamp",
    "strip_ansi",
]

_ANSI = re.compile(r"\x1b\[[0-9;?]{0,32}[A-Za-z]|\x1b[()][A-Z0-9]")
# Kubernetes CRI files: `2024-01-15T10:00:00.123456789Z stderr F message`
_CRI = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (std(?:out|err)) [FP] "
)
# `docker compose logs`: `api-1  | message` (v1 spells it `api_1  | `)
_COMPOSE = re.compile(r"([A-Za-z0-9][\w.-]{0,62}) {1,40}\| ?")
# `kubectl logs --prefix`: `[pod/api-7d9f-abcde/api] message`
_KUBECTL = re.compile(r"\[pod/([^/\]\s]{1,253})/([^\]\s]{1,253})\] ")
# `docker logs -t`, `kubectl logs --timestamps`, platform downloads: an RFC 3339 time first
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)) ")
# journald / syslog: `Nov 25 13:00:00 host gunicorn[1234]: message`
_SYSLOG = re.compile(
    r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) [\w.-]{1,253} ([\w./-]{1,128}\[\d{1,10}\]): "
)
# Heroku-style drains: `app[web.1]: message` (after the timestamp)
_DYNO = re.compile(r"([a-z][\w-]{0,31}\[[\w.-]{1,64}\]): ")

_ISO = re.compile(
    r"(\d{4})[-/](\d\d)[-/](\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?"
    r" ?(Z|[+-]\d\d:?\d\d)?"
)
# gunicorn access log and common log format: `[10/Oct/2000:13:55:36 -0700]`
_CLF = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d)(?: ([+-]\d{4}))?")
_SYSLOG_TIME = re.compile(r"([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_LEVEL = re.compile(
    r"\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|TRACE"
    r"|debug|info|warning|warn|error|critical|exception)\b"
)
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[ :]")
# `"GET /items HTTP/1.1" 500` once ` HTTP/` is found: the version, the quote and the status
_STATUS = re.compile(r' HTTP/\d(?:\.\d)?" (\d{3})\b')


@dataclasses.dataclass(slots=True)
class Line:
    """A log line split into the stream it belongs to and the text its program wrote.

    Attributes:
        key: the writer (container, pod, process) when the line says; "" otherwise.
        ts: the time of the line when a prefix or the record header gives one.
        text: the line without container prefixes and ANSI colours.
    """

    key: str
    ts: datetime | None
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class AccessHit:
    """An HTTP response status found in an access log line."""

    status: int
    method: str | None
    path: str | None


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def parse_line(text: str) -> Line:
    """Split a raw (decoded) line into its stream key, prefix timestamp and own text."""
    text = strip_ansi(text.rstrip("\r\n"))
    if not text or not (text[0].isalnum() or text[0] == "["):
        return Line(key="", ts=None, text=text)  # frames, JSON, blank lines: no prefix
    keys: list[str] = []
    ts: datetime | None = None
    for _ in range(4):  # prefixes nest: compose name, then the timestamp `-t` adds
        found = _prefix(text)
        if found is None:
            break
        key, stamp, text = found
        if key:
            keys.append(key)
        ts = ts or (parse_timestamp(stamp) if stamp else None)
    return Line(key="/".join(keys), ts=ts, text=text)


_Prefix = tuple[str, str, str]  # (stream key, timestamp text, the rest of the line)


def _prefix(text: str) -> _Prefix | None:
    """The outermost container or platform prefix of ``text``, or None."""
    if not text:
        return None
    first = text[0]
    if first.isdigit():
        found = _time_prefix(text)
        if found is not None or _RFC3339.match(text):
            return found  # a logging format's own time ends the prefixes
    elif first == "[":
        m = _KUBECTL.match(text)
        return (f"{m.group(1)}/{m.group(2)}", "", text[m.end() :]) if m else None
    elif first.isupper():
        m = _SYSLOG.match(text)
        if m is not None:
            return (m.group(2), m.group(1), text[m.end() :])
    elif not first.isalnum():
        return None
    if text.find("|", 1, 106) < 0:
        return None
    m = _COMPOSE.match(text)
    if m is None or text.startswith(("Traceback", "File ")):
        return None
    return (m.group(1), "", text[m.end() :])


def _time_prefix(text: str) -> _Prefix | None:
    m = _CRI.match(text)
    if m is not None:  # stdout and stderr interleave: the stream is part of the key
        return (m.group(2), m.group(1), text[m.end() :])
    m = _RFC3339.match(text)
    if m is None:
        return None
    rest = text[m.end() :]
    dyno = _DYNO.match(rest)
    if dyno is not None:
        return (dyno.group(1), m.group(1), rest[dyno.end() :])
    if _looks_like_message_after_time(rest):
        return None  # structlog's own time: the record header, not a prefix
    return ("", m.group(1), rest)


def _looks_like_message_after_time(rest: str) -> bool:
    # structlog's console renderer writes `2024-...Z [error    ] msg`: keep that whole as a
    # record; `docker logs -t` puts its time before anything, including traceback lines.
    return rest.startswith("[") and _LEVEL.match(rest) is not None


def is_record(text: str) -> bool:
    """True when ``text`` starts a new log record (a header), not a traceback's continuation."""
    if not text:
        return False
    first = text[0]
    if first == "{":
        return True
    if first.isdigit():
        return _ISO.match(text) is not None or _IPV4.match(text) is not None
    if first == "[":
        return len(text) > 1 and (text[1].isdigit() or _LEVEL.match(text) is not None)
    if first.isupper() or first.islower():
        m = _LEVEL.match(text)
        return m is not None and len(text) > m.end() and text[m.end()] in ": |"
    return False


def parse_timestamp(text: str) -> datetime | None:
    """The time at the start of ``text`` (ISO 8601, common log format, syslog), as UTC.

    Times without a zone are taken as UTC; syslog times, which carry no year, get the
    current one.
    """
    text = text.lstrip("[")
    try:
        m = _ISO.match(text)
        if m is not None:
            y, mo, d, h, mi, s, frac, zone = m.groups()
            micro = int((frac or "0")[:6].ljust(6, "0"))
            tz = _zone(zone)
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tz)
        m = _CLF.match(text)
        if m is not None:
            d, mon, y, h, mi, s, zone = m.groups()
            month = _MONTHS.get(mon)
            if month is None:
                return None
            return datetime(int(y), month, int(d), int(h), int(mi), int(s), 0, _zone(zone))
        m = _SYSLOG_TIME.match(text)
        if m is not None:
            mon, d, h, mi, s = m.groups()
            month = _MONTHS.get(mon)
            if month is None:
                return None
            year = datetime.now(timezone.utc).year
            return datetime(year, month, int(d), int(h), int(mi), int(s), 0, timezone.utc)
    except ValueError:  # 2024-13-45: a number that looked like a date
        return None
    return None


def _zone(zone: str | None) -> timezone:
    if not zone or zone == "Z":
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def record_timestamp(text: str) -> datetime | None:
    """The time a record header carries: at the start, or in gunicorn's or CLF's brackets."""
    if not text:
        return None
    if text[0].isdigit():
        ts = parse_timestamp(text)
        if ts is not None:
            return ts
    # `[2024-01-15 10:00:00 +0000] [12] [ERROR]` or `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700]`
    bracket = text.find("[", 0, 80)
    if bracket >= 0 and bracket + 1 < len(text) and text[bracket + 1].isdigit():
        return parse_timestamp(text[bracket + 1 : bracket + 40])
    return None


def access_status(text: str) -> AccessHit | None:
    """The status of an access-log line (uvicorn, gunicorn, common log format), or None."""
    at = text.find(" HTTP/")
    tries = 0
    while at >= 0 and tries < 3:
        m = _STATUS.match(text, at)
        if m is not None:
            quote = text.rfind('"', max(0, at - 4096), at)
            method = path = None
            if quote >= 0:
                parts = text[quote + 1 : at].split(" ", 1)
                if len(parts) == 2 and parts[0].isalpha() and parts[0].isupper():
                    method, path = parts[0], parts[1]
            return AccessHit(int(m.group(1)), method, path)
        at = text.find(" HTTP/", at + 6)
        tries += 1
    return None
