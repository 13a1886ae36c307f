"""The single redaction routine: every writer, snapshot and probe passes values through it.

A secret is never printed or stored. Three shapes are recognised: credentials inside URLs
(``postgresql://user:pass@host/db``), values whose *name* says they are secret
(``password``, ``token``, ``api_key``, ...), and well-known token formats inside free text
(``Bearer ...``, ``sk-...``, GitHub and AWS keys).
"""

from __future__ import annotations

import re
from typing import TypeVar

__all__ = ["REDACTED", "is_secret_name", "redact_text", "redact_value"]

REDACTED = "***"

_SECRET_NAME = re.compile(
    r"(pass(word|wd)?|pwd|secret|token|api[_-]?key|apikey|(^|[_-])auth($|[_-])|authorization|cookie"
    r"|session[_-]?id|private[_-]?key|credential|(^|[_-])dsn$|signature)",
    re.IGNORECASE,
)
# scheme://user:password@host  or  scheme://token@host
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<creds>[^/@\s:]*(:[^/@\s]*)?)@"
)
_TOKENS = re.compile(
    r"(?P<keep>\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}",
    re.IGNORECASE,
)
# key=value / key: value pairs whose key names a secret, inside free text
_PAIR = re.compile(
    r"(?P<key>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|apikey)[\w-]*)"
    r"(?P<sep>\s*[=:]\s*)(?P<q>[\"']?)(?P<val>[^\s\"'&,;]+)",
    re.IGNORECASE,
)

T = TypeVar("T")


def is_secret_name(name: str) -> bool:
    """Return True when a variable, header or field called ``name`` holds a secret."""
    return bool(_SECRET_NAME.search(name))


def _url_sub(match: re.Match[str]) -> str:
    creds = match.group("creds")
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{match.group('scheme')}{user}:{REDACTED}@"
    return f"{match.group('scheme')}{REDACTED}@"


def redact_text(text: str) -> str:
    """Return ``text`` with URL credentials, token-shaped strings and secret pairs masked."""
    if not text:
        return text
    text = _URL_CREDENTIALS.sub(_url_sub, text)
    text = _TOKENS.sub(lambda m: f"{m.group('keep') or ''}{REDACTED}", text)
    return _PAIR.sub(lambda m: f"{m.group('key')}{m.group('sep')}{m.group('q')}{REDACTED}", text)


def redact_value(name: str, value: T) -> T | str:
    """Redact ``value`` stored under ``name``: masked whole if the name is secret, else scrubbed.

    Non-string values (counts, durations) pass through unchanged unless the name is secret.
    """
    if is_secret_name(name) and value not in (None, "", True, False):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    return value
