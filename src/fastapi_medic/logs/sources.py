"""Where logs come from: files, globs, standard input; gzip, bzip2 and xz read as they stream."""

from __future__ import annotations

import bz2
import contextlib
import glob
import gzip
import io
import lzma
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from fastapi_medic.errors import UsageError

__all__ = ["Source", "expand", "open_source"]

Source = str | Path
_GLOB_CHARS = frozenset("*?[")


def expand(sources: Iterable[Source]) -> list[str]:
    """Turn the command-line sources into file names (``-`` stays ``-``), in order.

    Raises:
        UsageError: a path does not exist, is a directory, or a glob matches nothing.
    """
    names: list[str] = []
    seen: set[str] = set()
    for name in _expand_each(sources):
        key = name if name == "-" else os.path.realpath(name)
        if key not in seen:  # a file named twice (a glob and its own name) is read once
            seen.add(key)
            names.append(name)
    return names


def _expand_each(sources: Iterable[Source]) -> list[str]:
    names: list[str] = []
    for source in sources:
        name = os.fspath(source)
        if name == "-":
            names.append(name)
            continue
        if os.path.exists(name):
            if os.path.isdir(name):
                raise UsageError(
                    f"{name}: is a directory; pass log files or a glob such as {name}/*.log"
                )
            names.append(name)
            continue
        if _GLOB_CHARS & set(name):
            matches = sorted(m for m in glob.glob(name, recursive=True) if os.path.isfile(m))
            if not matches:
                raise UsageError(f"{name}: no file matches this pattern")
            names.extend(matches)
            continue
        raise UsageError(f"{name}: no such file")
    return names


@contextlib.contextmanager
def open_source(name: str, stdin: IO[bytes] | None = None) -> Iterator[IO[bytes]]:
    """Open one source for binary reading, decompressing it when its first bytes say so.

    Raises:
        UsageError: the file cannot be opened.
    """
    if name == "-":
        raw: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
        yield _decompressing(_peekable(raw))
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed by the ExitStack below
    except OSError as exc:
        raise UsageError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    with contextlib.ExitStack() as stack:
        stack.enter_context(handle)
        stream = _decompressing(_peekable(handle))
        if stream is not handle:
            stack.enter_context(stream)
        yield stream


def _peekable(raw: IO[bytes]) -> io.BufferedReader:
    if isinstance(raw, io.BufferedReader):
        return raw
    return io.BufferedReader(raw)  # type: ignore[arg-type]


def _decompressing(stream: io.BufferedReader) -> IO[bytes]:
    try:
        head = stream.peek(6)[:6]
    except OSError:
        return stream
    if head[:2] == b"\x1f\x8b":
        return cast("IO[bytes]", gzip.GzipFile(fileobj=stream, mode="rb"))
    if head[:3] == b"BZh":
        return bz2.BZ2File(stream, mode="rb")
    if head[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(stream, mode="rb")
    return stream
