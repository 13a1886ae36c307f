"""Capture the user's own lines at a connection checkout, cheaply.

The walk runs at every checkout, so it reads as few frames as it can: each frame it touches
becomes a Python frame object, which costs more than everything else the pool tracker does
per checkout. It keeps the first few user frames (not the standard library, not installed
packages, not fastapi-medic) and stops past the last one found: at the framework code that
called it (a route is called by FastAPI, a sync route by a worker thread), or a few
library frames further up.

Two shortcuts keep the common walks short, each checked against the code objects it
expects, so any other stack is walked frame by frame:

* a checkout made by ``Engine.connect()`` starts at its caller, past SQLAlchemy's pool;
* with ``AsyncSession`` the checkout runs inside SQLAlchemy's greenlet, whose stack ends
  where the greenlet started; the route's ``await`` is in the parent greenlet, suspended in
  ``greenlet_spawn``. When SQLAlchemy's asyncio API started the greenlet on one of its own
  methods (``Session.execute``: the common case) its frames are all SQLAlchemy's and the walk
  starts in the parent; when it runs your function (``run_sync``) it is walked first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from fastapi_medic.runtime.frames import is_user_file

__all__ = ["capture_user_frames"]

#: User frames kept per checkout, innermost first until reversed.
MAX_FRAMES = 3
#: Frames walked at most (deep recursion must not make a checkout slow).
WALK_LIMIT = 120
#: Library frames walked past the last user frame, looking for the next one: enough for a
#: helper called through a decorator.
AFTER_LAST_USER = 4

_LIBRARY, _USER, _CALLER = 0, 1, 2
# Framework files that call user code (routes, dependencies, background tasks, worker
# threads): no user frame sits above the one they called, short of your middleware.
_CALLERS = tuple(
    os.sep + os.path.join(*parts)
    for parts in (
        ("fastapi", "routing.py"),
        ("fastapi", "dependencies", "utils.py"),
        ("starlette", "routing.py"),
        ("starlette", "concurrency.py"),
        ("starlette", "background.py"),
        ("anyio", "to_thread.py"),
        ("anyio", "_backends", "_asyncio.py"),
        ("concurrent", "futures", "thread.py"),
        ("threading.py",),
    )
)
# filename -> _LIBRARY, _USER or _CALLER; a plain dict is cheaper than a cached function.
_KIND: dict[str, int] = {}
# greenlet.getcurrent once greenlet is imported
_getcurrent: list[Callable[[], Any]] = []
# Frames from the pool's first checkout frame (_ConnectionRecord.checkout) up to
# Engine.connect: 5 in SQLAlchemy 2.x, 6 in 1.4.
_CONNECT_OFFSETS = (5, 6)
_connect_code: list[CodeType | None] = []


def kind_of(filename: str) -> int:
    """Whether ``filename`` is library code, the user's, or framework code that calls it."""
    kind = _KIND.get(filename)
    if kind is None:
        if is_user_file(filename):
            kind = _USER
        elif filename.endswith(_CALLERS):
            kind = _CALLER
        else:
            kind = _LIBRARY
        _KIND[filename] = kind
    return kind


def capture_user_frames(skip: int = 1) -> tuple[tuple[str, int, str], ...]:
    """The first few user frames above the caller as (path, line, function), outermost first.

    Args:
        skip: frames to skip above this function (1: start at the caller).
    """
    frame: FrameType | None = None
    parent: FrameType | None = None
    getcurrent = _getcurrent[0] if _getcurrent else _find_getcurrent()
    if getcurrent is not None:
        current = getcurrent()
        above = current.parent  # None for a thread's main greenlet: the common sync case
        if above is not None and getattr(current, "__sqlalchemy_greenlet_provider__", False):
            parent = above.gr_frame
            if parent is not None and _runs_library_code(parent):
                frame, parent = parent, None  # the greenlet's own stack is SQLAlchemy's only
    if frame is None:
        frame = _past_engine_connect(skip + 1)
    found: list[tuple[str, int, str]] = []
    kinds = _KIND
    since_user = 0
    for _ in range(WALK_LIMIT):
        if frame is None:
            if parent is None:
                break
            frame, parent = parent, None
        code = frame.f_code
        filename = code.co_filename
        kind = kinds.get(filename)
        if kind is None:
            kind = kind_of(filename)
        if kind == _USER:
            found.append((filename, frame.f_lineno or 0, code.co_name))
            if len(found) >= MAX_FRAMES:
                break
            since_user = 0
        elif found:
            since_user += 1
            if kind == _CALLER or since_user > AFTER_LAST_USER:
                break
        frame = frame.f_back
    found.reverse()
    return tuple(found)


def _past_engine_connect(skip: int) -> FrameType | None:
    """The frame ``skip`` levels up, or the caller of ``Engine.connect`` when the checkout
    came through it (the pool's frames in between are SQLAlchemy's)."""
    if not _connect_code:
        from sqlalchemy.engine import Engine

        _connect_code.append(getattr(Engine.connect, "__code__", None))
    code = _connect_code[0]
    for offset in _CONNECT_OFFSETS:
        try:
            frame = sys._getframe(skip + offset)
        except ValueError:
            break  # the stack is shallower than that
        if frame.f_code is code:
            return frame.f_back
    return sys._getframe(skip)


def _find_getcurrent() -> Callable[[], Any] | None:
    # greenlet is imported by SQLAlchemy's asyncio support, maybe after the first checkout:
    # look again until it is there, then keep it.
    greenlet = sys.modules.get("greenlet")
    getcurrent = getattr(greenlet, "getcurrent", None)
    if getcurrent is not None:
        _getcurrent.append(getcurrent)
    return getcurrent


def _runs_library_code(spawn: FrameType) -> bool:
    """Whether the greenlet whose parent is suspended in ``spawn`` runs SQLAlchemy code only.

    ``spawn`` is ``greenlet_spawn``; who called it tells what the greenlet runs. SQLAlchemy's
    asyncio API (``AsyncSession.execute``, ``AsyncConnection.stream``...) hands it one of
    SQLAlchemy's own methods, except ``run_sync``, which hands it yours; a call from your
    code hands it anything. When unsure the answer is False: the walk then reads it all.
    """
    caller = spawn.f_back
    if caller is None:
        return False
    code = caller.f_code
    return code.co_name != "run_sync" and kind_of(code.co_filename) != _USER
