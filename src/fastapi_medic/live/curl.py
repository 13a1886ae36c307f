"""Turns a pasted ``curl`` command, or ``METHOD PATH [options]``, into one request.

Only what changes the request the app receives is kept: method, path and query, headers,
body (``-d``, ``--data-*``, ``--json``, ``-F``), cookies (``-b``) and basic auth (``-u``).
Flags about the client itself (``-s``, ``-v``, ``-k``, ``-L``, ``--compressed``, timeouts,
output files) are ignored. The host part of a URL is ignored too: the request is always sent
to the app in-process.
"""

from __future__ import annotations

import base64
import codecs
import dataclasses
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi_medic.errors import UsageError

__all__ = ["FormFile", "RequestSpec", "parse_request"]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

# Options that take a value and do not change the request.
_IGNORED_WITH_VALUE = frozenset(
    {
        "-o", "--output", "-m", "--max-time", "--connect-timeout", "--retry", "--retry-delay",
        "--retry-max-time", "-w", "--write-out", "--cacert", "--capath", "-E", "--cert",
        "--key", "--cert-type", "--key-type", "-x", "--proxy", "-U", "--proxy-user",
        "--resolve", "--connect-to", "--interface", "--limit-rate", "-c", "--cookie-jar",
        "--max-redirs", "-D", "--dump-header", "--trace", "--trace-ascii", "--unix-socket",
        "-K", "--config", "--ciphers", "--stderr", "--keepalive-time", "--max-filesize",
        "-r", "--range", "-y", "--speed-time", "-Y", "--speed-limit", "--dns-servers",
    }
)  # fmt: skip
_ANSI_C = re.compile(r"\$'((?:[^'\\]|\\.)*)'", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class FormFile:
    """One ``-F name=@file`` part."""

    field: str
    filename: str
    content: bytes
    content_type: str | None = None


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """One HTTP request, host-less: what the app receives.

    Attributes:
        method: upper-case method.
        target: path and query string (``/items?limit=5``).
        headers: header pairs, in order, names as given.
        body: raw body bytes, or None.
        form: ``-F name=value`` fields (sent as multipart together with ``files``).
        files: ``-F name=@file`` parts.
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    form: tuple[tuple[str, str], ...] = ()
    files: tuple[FormFile, ...] = ()

    @property
    def path(self) -> str:
        """The path without the query string."""
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (case-insensitive), or None."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping for the child process (the body base64-encoded)."""
        return {
            "method": self.method,
            "target": self.target,
            "headers": [list(h) for h in self.headers],
            "body": None if self.body is None else base64.b64encode(self.body).decode(),
            "form": [list(f) for f in self.form],
            "files": [
                [f.field, f.filename, base64.b64encode(f.content).decode(), f.content_type]
                for f in self.files
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestSpec:
        """The inverse of :meth:`to_json`."""
        body = data.get("body")
        return cls(
            method=data["method"],
            target=data["target"],
            headers=tuple((str(k), str(v)) for k, v in data.get("headers", ())),
            body=None if body is None else base64.b64decode(body),
            form=tuple((str(k), str(v)) for k, v in data.get("form", ())),
            files=tuple(
                FormFile(str(f), str(n), base64.b64decode(c), t) for f, n, c, t in data["files"]
            ),
        )


def _split(text: str) -> list[str]:
    # Line continuations of shells (\ + newline) and of Windows cmd (^ + newline).
    text = re.sub(r"[\\^]\r?\n", " ", text)
    # Browsers' "copy as cURL" quote bodies as $'...' (ANSI-C quoting), which shlex lacks.
    text = _ANSI_C.sub(lambda m: shlex.quote(codecs.decode(m.group(1), "unicode_escape")), text)
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"cannot read the request: {exc}") from None


def _target(url: str) -> str:
    if "://" not in url and not url.startswith("/"):
        # curl accepts host-only URLs (localhost:8000/items): the first segment is the host
        url = "http://" + url
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return f"{path}?{parts.query}" if parts.query else path


def _read_at(value: str, base: Path, *, strip: bool) -> bytes:
    if not value.startswith("@"):
        return value.encode()
    name = value[1:]
    try:
        data = Path(name).read_bytes() if Path(name).is_absolute() else (base / name).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    return data.replace(b"\r", b"").replace(b"\n", b"") if strip else data


def _urlencode_part(value: str, base: Path) -> bytes:
    # curl --data-urlencode forms: content, =content, name=content, @file, name@file
    if "=" in value:
        name, _, content = value.partition("=")
        encoded = quote(content, safe="")
        return (f"{name}={encoded}" if name else encoded).encode()
    if "@" in value:
        name, _, file = value.partition("@")
        content = _read_at("@" + file, base, strip=False).decode("utf-8", "replace")
        encoded = quote(content, safe="")
        return (f"{name}={encoded}" if name else encoded).encode()
    return quote(value, safe="").encode()


def _form_part(value: str, base: Path) -> tuple[tuple[str, str] | None, FormFile | None]:
    name, sep, content = value.partition("=")
    if not sep:
        raise UsageError(f"-F {value!r}: expected name=value or name=@file")
    if content.startswith(("@", "<")):
        file, _, ctype = content[1:].partition(";type=")
        data = _read_at("@" + file, base, strip=False)
        if content.startswith("<"):
            return (name, data.decode("utf-8", "replace")), None
        return None, FormFile(name, Path(file).name, data, ctype or None)
    return (name, content), None


@dataclasses.dataclass
class _Builder:
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    data: list[bytes] = dataclasses.field(default_factory=list)
    json_body: bool = False
    form: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    files: list[FormFile] = dataclasses.field(default_factory=list)
    get: bool = False
    head: bool = False

    def has_header(self, name: str) -> bool:
        return any(k.lower() == name.lower() for k, _ in self.headers)

    def build(self) -> RequestSpec:
        if self.url is None:
            raise UsageError("the request has no URL or path")
        target = _target(self.url)
        body: bytes | None = None
        if self.data:
            joined = b"&".join(self.data)
            if self.get:
                sep = "&" if "?" in target else "?"
                target = f"{target}{sep}{joined.decode('utf-8', 'replace')}"
            else:
                body = joined
                if not self.has_header("content-type"):
                    ctype = "application/json" if self.json_body else None
                    self.headers.append(
                        ("Content-Type", ctype or "application/x-www-form-urlencoded")
                    )
        if self.json_body and not self.has_header("accept"):
            self.headers.append(("Accept", "application/json"))
        if self.method:
            method = self.method.upper()
        elif self.head:
            method = "HEAD"
        elif (body is not None or self.form or self.files) and not self.get:
            method = "POST"
        else:
            method = "GET"
        return RequestSpec(
            method=method,
            target=target,
            headers=tuple(self.headers),
            body=body,
            form=tuple(self.form),
            files=tuple(self.files),
        )


def _header(value: str) -> tuple[str, str] | None:
    name, sep, rest = value.partition(":")
    if not sep:
        # "Name;" sends an empty header in curl; "Name" alone removes one: both rare
        return (name.rstrip(";").strip(), "") if name.endswith(";") else None
    return name.strip(), rest.strip()


def _apply(b: _Builder, flag: str, value: str, base: Path) -> None:
    if flag in ("-X", "--request"):
        b.method = value
    elif flag in ("-H", "--header"):
        header = _header(value)
        if header is not None:
            b.headers.append(header)
    elif flag in ("-d", "--data", "--data-ascii"):
        b.data.append(_read_at(value, base, strip=True))
    elif flag == "--data-binary":
        b.data.append(_read_at(value, base, strip=False))
    elif flag == "--data-raw":
        b.data.append(value.encode())
    elif flag == "--data-urlencode":
        b.data.append(_urlencode_part(value, base))
    elif flag == "--json":
        b.json_body = True
        b.data.append(_read_at(value, base, strip=False))
    elif flag in ("-F", "--form", "--form-string"):
        field, file = (
            ((value.partition("=")[0], value.partition("=")[2]), None)
            if flag == "--form-string"
            else _form_part(value, base)
        )
        if field is not None:
            b.form.append(field)
        if file is not None:
            b.files.append(file)
    elif flag in ("-b", "--cookie"):
        if "=" in value:  # without "=", curl reads cookies from a file: nothing to send
            b.headers.append(("Cookie", value))
    elif flag in ("-u", "--user"):
        b.headers.append(("Authorization", "Basic " + base64.b64encode(value.encode()).decode()))
    elif flag in ("-A", "--user-agent"):
        b.headers.append(("User-Agent", value))
    elif flag in ("-e", "--referer"):
        b.headers.append(("Referer", value))
    elif flag == "--oauth2-bearer":
        b.headers.append(("Authorization", f"Bearer {value}"))
    elif flag == "--url":
        b.url = value


_WITH_VALUE = frozenset(
    {
        "-X", "--request", "-H", "--header", "-d", "--data", "--data-ascii", "--data-binary",
        "--data-raw", "--data-urlencode", "--json", "-F", "--form", "--form-string", "-b",
        "--cookie", "-u", "--user", "-A", "--user-agent", "-e", "--referer", "--url",
        "--oauth2-bearer",
    }
)  # fmt: skip


def _parse_tokens(tokens: Sequence[str], base: Path, b: _Builder) -> None:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.startswith("--") and "=" in token and token.split("=", 1)[0] in _WITH_VALUE:
            flag, value = token.split("=", 1)
            _apply(b, flag, value, base)
            continue
        if token in _WITH_VALUE or token in _IGNORED_WITH_VALUE:
            if i >= len(tokens):
                raise UsageError(f"option {token} needs a value")
            if token in _WITH_VALUE:
                _apply(b, token, tokens[i], base)
            i += 1
            continue
        # short options glued to their value: -XPOST, -H'X: y', -dfoo
        if len(token) > 2 and token[0] == "-" and token[1] != "-" and token[:2] in _WITH_VALUE:
            _apply(b, token[:2], token[2:], base)
            continue
        if token in ("-G", "--get"):
            b.get = True
        elif token in ("-I", "--head"):
            b.head = True
        elif token.startswith("-") and token != "-":
            continue  # -s, -v, -k, -L, -i, --compressed, -sSL ...: client-side only
        elif b.url is None:
            b.url = token
        else:
            raise UsageError(f"unexpected argument {token!r} in the request")


def parse_request(request: str | Sequence[str], *, base: Path | None = None) -> RequestSpec:
    """Parse a pasted curl command or ``METHOD PATH [curl options]``.

    Args:
        request: the command as one string (split like a shell would) or as tokens.
        base: the directory ``@file`` arguments are relative to (default: the working one).

    Raises:
        UsageError: the request cannot be read; the message says why.
    """
    tokens = _split(request) if isinstance(request, str) else list(request)
    if len(tokens) == 1 and (" " in tokens[0] or "\n" in tokens[0]):
        tokens = _split(tokens[0])  # the whole command pasted as one quoted argument
    if not tokens:
        raise UsageError("the request is empty: paste a curl command or give METHOD PATH")
    base = base or Path.cwd()
    builder = _Builder()
    head = tokens[0]
    if head == "curl" or head.endswith(("/curl", "curl.exe")):
        _parse_tokens(tokens[1:], base, builder)
    elif head.upper() in METHODS and len(tokens) >= 2:
        builder.method = head.upper()
        builder.url = tokens[1]
        _parse_tokens(tokens[2:], base, builder)
    elif head.startswith("/") or "://" in head:
        builder.url = head
        _parse_tokens(tokens[1:], base, builder)
    elif head.startswith("-"):  # curl's options without the word "curl"
        _parse_tokens(tokens, base, builder)
    else:
        raise UsageError(
            f"cannot read the request {head!r}: paste a curl command or give METHOD PATH"
        )
    spec = builder.build()
    if (spec.form or spec.files) and spec.body is not None:
        raise UsageError("the request mixes -F with -d/--json; curl refuses that too")
    return spec
