"""Server-side tracebacks as plain data: frames, the user's own frame, chained causes.

The child process turns an exception into a JSON-ready mapping (:func:`describe`); the parent
turns that mapping back into :class:`ServerError` for printing and findings. Every message and
source line is redacted on the child's side, before it leaves the user's process.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import sys
import sysconfig
import traceback
from collections.abc import Mapping
from typing import Any

from fastapi_medic.findings import Frame, Location
from fastapi_medic.redact import redact_text

__all__ = [
    "ServerError",
    "TbFrame",
    "describe",
    "display_path",
    "is_library_file",
    "is_own_file",
    "parse_error",
    "parse_stack_dump",
]

_MESSAGE_LIMIT = 500
_CHAIN_LIMIT = 5
_DUMP_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


@functools.lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(sorted(os.path.abspath(r) + os.sep for r in roots if r))


_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_own_file(filename: str) -> bool:
    """True for a file of fastapi-medic itself (hidden from the stacks shown to you)."""
    return os.path.abspath(filename).startswith(_OWN)


def is_library_file(filename: str, root: str | None = None) -> bool:
    """True for the standard library, installed packages, frozen modules and fastapi-medic.

    A file under ``root`` (the user's project) is never a library file, even when the
    project happens to sit next to a virtualenv.
    """
    if not filename or filename.startswith("<"):
        return True
    path = os.path.abspath(filename)
    if path.startswith(_OWN):
        return True
    if root and path.startswith(os.path.abspath(root) + os.sep):
        return "site-packages" in path or "dist-packages" in path
    if "site-packages" in path or "dist-packages" in path:
        return True
    return path.startswith(_library_roots())


@dataclasses.dataclass(frozen=True, slots=True)
class TbFrame:
    """One traceback frame: where, which function, the (redacted) source line."""

    path: str
    line: int
    function: str
    code: str
    user: bool

    def as_frame(self) -> Frame:
        """This frame in the finding model."""
        return Frame(label=self.function, path=self.path, line=self.line)


@dataclasses.dataclass(frozen=True, slots=True)
class ServerError:
    """An exception raised inside the app while it served a request (or imported)."""

    type: str
    message: str
    frames: tuple[TbFrame, ...]
    where: str = ""
    cause: ServerError | None = None
    cause_kind: str = ""

    @property
    def user_frame(self) -> TbFrame | None:
        """The innermost frame of the user's own code, or None."""
        for frame in reversed(self.frames):
            if frame.user:
                return frame
        return None

    @property
    def headline(self) -> str:
        """``Type: message`` on one line."""
        first = self.message.splitlines()[0] if self.message else ""
        return f"{self.type}: {first}" if first else self.type

    @property
    def location(self) -> Location | None:
        """The innermost user frame as a location."""
        frame = self.user_frame
        return None if frame is None else Location(frame.path, frame.line)

    def user_chain(self) -> tuple[Frame, ...]:
        """The user's frames, outermost first."""
        return tuple(f.as_frame() for f in self.frames if f.user)

    def innermost(self) -> ServerError:
        """The original exception at the bottom of the ``raise ... from`` chain."""
        error = self
        while error.cause is not None:
            error = error.cause
        return error


def display_path(filename: str, root: str | None) -> str:
    """``filename`` relative to ``root`` (or to its package directory for libraries)."""
    for marker in ("site-packages", "dist-packages"):
        _, sep, tail = filename.rpartition(marker + os.sep)
        if sep:
            return tail.replace(os.sep, "/")
    for library in _library_roots():
        if filename.startswith(library):
            return filename[len(library) :].replace(os.sep, "/")  # the standard library
    if root:
        try:
            rel = os.path.relpath(filename, root)
        except ValueError:
            return filename
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return filename


def _relative(text: str, root: str | None) -> str:
    # Messages such as FastAPI's response-validation error embed absolute paths.
    return text.replace(os.path.abspath(root) + os.sep, "") if root else text


def _frames(exc: BaseException, root: str | None) -> list[dict[str, Any]]:
    summary = traceback.extract_tb(exc.__traceback__)
    out: list[dict[str, Any]] = []
    for item in summary:
        if is_own_file(item.filename):
            continue  # fastapi-medic's own hooks: not part of your app's story
        out.append(
            {
                "path": display_path(item.filename, root),
                "line": item.lineno or 0,
                "function": item.name,
                "code": redact_text((item.line or "").strip())[:200],
                "user": not is_library_file(item.filename, root),
            }
        )
    return out


def describe(
    exc: BaseException, root: str | None, where: str = "", *, _depth: int = 0
) -> dict[str, Any]:
    """A JSON-ready description of ``exc`` and the exceptions chained to it (redacted).

    Args:
        exc: the exception.
        root: the project directory; frame paths under it are shown relative to it.
        where: which part of the request raised it (``dependency``, ``endpoint``, ...).
    """
    data: dict[str, Any] = {
        "type": type(exc).__qualname__,
        "message": _relative(redact_text(str(exc)), root)[:_MESSAGE_LIMIT],
        "frames": _frames(exc, root),
        "where": where,
        "cause": None,
        "cause_kind": "",
    }
    if _depth < _CHAIN_LIMIT:
        if exc.__cause__ is not None:
            data["cause"] = describe(exc.__cause__, root, _depth=_depth + 1)
            data["cause_kind"] = "cause"
        elif exc.__context__ is not None and not exc.__suppress_context__:
            data["cause"] = describe(exc.__context__, root, _depth=_depth + 1)
            data["cause_kind"] = "context"
    return data


def parse_error(data: Mapping[str, Any] | None) -> ServerError | None:
    """Rebuild a :class:`ServerError` from :func:`describe`'s mapping."""
    if not data:
        return None
    frames = tuple(
        TbFrame(
            path=str(f.get("path", "")),
            line=int(f.get("line", 0)),
            function=str(f.get("function", "")),
            code=str(f.get("code", "")),
            user=bool(f.get("user", False)),
        )
        for f in data.get("frames", ())
    )
    return ServerError(
        type=str(data.get("type", "Exception")),
        message=str(data.get("message", "")),
        frames=frames,
        where=str(data.get("where", "")),
        cause=parse_error(data.get("cause")),
        cause_kind=str(data.get("cause_kind", "")),
    )


def parse_stack_dump(text: str, root: str | None, thread: int | None = None) -> tuple[TbFrame, ...]:
    """One thread's frames from a :mod:`faulthandler` dump, outermost first.

    faulthandler prints each thread as ``Thread 0x...`` followed by its frames, most recent
    call first (``File "x.py", line 3 in func``). The thread ``thread`` is chosen when given,
    else the thread whose most recent user frame is nearest the top.
    """
    blocks: list[tuple[int | None, list[TbFrame]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        head = re.match(r"(?:Current thread|Thread) (0x[0-9a-fA-F]+)", line)
        if head is not None or line.startswith("Stack (most recent"):
            blocks.append((int(head.group(1), 16) if head else None, []))
            continue
        found = _DUMP_FRAME.match(line)
        if not blocks or found is None:
            continue
        path = found.group("path")
        blocks[-1][1].append(
            TbFrame(
                path=display_path(path, root),
                line=int(found.group("line")),
                function=found.group("func"),
                code="",
                user=not is_library_file(path, root),
            )
        )
    if not blocks:
        return ()
    chosen = next((frames for ident, frames in blocks if thread and ident == thread), None)
    if chosen is None:

        def rank(frames: list[TbFrame]) -> int:
            return next((i for i, f in enumerate(frames) if f.user), 10_000)

        chosen = min((frames for _, frames in blocks), key=rank)
    return tuple(reversed(chosen))
