"""Find the user's own frames in a traceback or a stack: not the standard library, not
installed packages, not fastapi-medic."""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from collections.abc import Iterable
from functools import lru_cache
from types import TracebackType

from fastapi_medic.findings import Frame, Location

__all__ = ["display_path", "is_user_file", "traceback_frames", "user_frames"]

_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(sorted(os.path.abspath(r) + os.sep for r in roots))


@lru_cache(maxsize=4096)
def is_user_file(filename: str) -> bool:
    """True for a file of the user's project (not stdlib, site-packages or fastapi-medic)."""
    if not filename or filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    if path.startswith(_OWN + os.sep):
        return False
    if "site-packages" in path or "dist-packages" in path:
        return False
    return not path.startswith(_library_roots())


@lru_cache(maxsize=4096)
def display_path(filename: str) -> str:
    """``filename`` relative to the working directory when inside it, else as given."""
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def traceback_frames(tb: TracebackType | None) -> list[traceback.FrameSummary]:
    """Every frame of ``tb``, outermost first, without reading source lines."""
    return list(traceback.StackSummary.extract(traceback.walk_tb(tb), lookup_lines=False))


def user_frames(frames: Iterable[traceback.FrameSummary]) -> list[Frame]:
    """The user's frames among ``frames`` (outermost first) as finding frames."""
    return [
        Frame(label=f.name, path=display_path(f.filename), line=f.lineno)
        for f in frames
        if is_user_file(f.filename)
    ]


def innermost_location(frames: list[Frame]) -> Location | None:
    """Where the innermost user frame is, or None."""
    for frame in reversed(frames):
        if frame.path is not None:
            return Location(frame.path, frame.line or 1)
    return None
