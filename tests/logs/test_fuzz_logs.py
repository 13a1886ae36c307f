"""Generated logs never crash the triage, and every line is counted whatever it holds."""

from __future__ import annotations

import io

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fastapi_medic.logs import scan

FRAGMENTS = [
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 3, in handler',
    '  File "/usr/lib/python3.11/site-packages/x.py", line 9, in f',
    "    return d[k]",
    "    ^^^^^^",
    "KeyError: 'k'",
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached",
    "",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
    "  + Exception Group Traceback (most recent call last):",
    "  | ValueError: x",
    "  +-+---------------- 1 ----------------",
    "    +------------------------------------",
    "ERROR:    Exception in ASGI application",
    'INFO:     10.0.0.1:5 - "GET / HTTP/1.1" 500 Internal Server Error',
    "[2026-11-25 10:00:00 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:7)",
    '{"level": "error", "exception": "Traceback (most recent call last):\\nKeyError: 1"}',
    '{"log": "Traceback (most recent call last):\\n", "stream": "stderr"}',
    "api-1  | ",
    "[pod/a/b] ",
    "2026-11-25T10:00:00Z ",
    "\x1b[31m",
    "{",
    "[",
    "|",
]

_prefix = st.sampled_from(["", "api-1  | ", "api-2  | ", "[pod/a/b] ", "2026-11-25T10:00:00Z "])
_line = st.one_of(
    st.tuples(_prefix, st.sampled_from(FRAGMENTS)).map("".join),
    st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=80),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, max_size=60))
def test_any_mix_of_log_lines_is_read_and_counted(lines: list[str]) -> None:
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")

    result = scan(io.BytesIO(data))

    assert result.stats.lines == len(lines)
    for finding in result.findings():
        assert finding.location is not None
        assert 1 <= finding.location.line <= len(lines)
        assert len(finding.message) < 80


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_are_read_without_error(data: bytes) -> None:
    # bytes that start like a compressed file are a broken archive: a usage error, tested apart
    assume(not data.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")))

    result = scan(io.BytesIO(data))

    assert result.stats.bytes == len(data)
