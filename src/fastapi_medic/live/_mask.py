"""Masks the secrets of a request or response before anything is printed or stored.

Header values, query parameters, JSON keys and form fields whose name says they hold a secret
are replaced whole; everything else goes through :func:`~fastapi_medic.redact.redact_text`,
which masks tokens, URL credentials and ``key=value`` pairs inside free text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi_medic.redact import REDACTED, is_secret_name, redact_text

__all__ = ["mask_body", "mask_headers", "mask_json", "mask_target"]

# Headers that carry credentials although their name does not say so.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def _secret(name: str) -> bool:
    return name.lower() in _SECRET_HEADERS or is_secret_name(name)


def mask_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs with secret values replaced."""
    return [(k, REDACTED if _secret(k) and v else redact_text(v)) for k, v in headers]


def _mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return redact_text(query)
    masked = [(k, REDACTED if is_secret_name(k) and v else redact_text(v)) for k, v in pairs]
    return urlencode(masked, safe="*")


def mask_target(target: str) -> str:
    """``/path?query`` with secret query values masked."""
    path, sep, query = target.partition("?")
    return redact_text(path) + (sep + _mask_query(query) if sep else "")


def mask_json(value: Any) -> Any:
    """A JSON value with the values of secret keys masked, recursively."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if is_secret_name(str(k)) and v not in (None, "") else mask_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def mask_body(body: bytes | str | None, content_type: str | None = None, limit: int = 2000) -> str:
    """A body as masked text, cut at ``limit`` characters (a note says how much was cut)."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    ctype = (content_type or "").lower()
    stripped = text.strip()
    if "json" in ctype or (not ctype and stripped[:1] in ("{", "[")):
        try:
            text = json.dumps(mask_json(json.loads(text)), ensure_ascii=False)
        except ValueError:
            text = redact_text(text)
    elif "x-www-form-urlencoded" in ctype:
        text = _mask_query(text)
    else:
        text = redact_text(text)
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text) - limit} more characters)"
    return text
