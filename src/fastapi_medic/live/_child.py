"""The child process that imports and serves the user's app for repro, probe and load.

Run as ``python -m fastapi_medic.live._child FD``: it reads one job (JSON) from stdin and writes
JSON lines to the file descriptor ``FD``: a ``hello`` with its main thread, a ``phase`` before
each step (so a hang is attributed), and finally one ``result`` or ``failed`` message. The app's
own output goes to stdout and stderr, which the parent keeps apart from this channel.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main"]


class Channel:
    """The JSON-lines pipe back to the parent."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: str, **data: Any) -> None:
        """Write one message and flush it."""
        line = json.dumps({"event": event, **data}, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def _import(job: dict[str, Any], channel: Channel) -> tuple[Any, str] | None:
    from fastapi_medic.errors import AppImportError
    from fastapi_medic.live._tb import describe
    from fastapi_medic.live.loader import AppTarget, import_app

    target = AppTarget(Path(job["target"]["root"]), job["target"]["module"], job["target"]["attr"])
    channel.send("phase", phase="import")
    try:
        return import_app(target)
    except AppImportError as exc:
        channel.send("failed", phase="import", message=str(exc), error=None)
    except BaseException as exc:  # the user's module raised while importing: report it
        channel.send("failed", phase="import", message="", error=describe(exc, job["root"]))
    return None


def _runner(kind: str) -> Callable[[Any, dict[str, Any], Channel], Any]:
    if kind == "repro":
        from fastapi_medic.live.repro import child_repro

        return child_repro
    if kind == "probe":
        from fastapi_medic.live._probe import child_probe

        return child_probe
    from fastapi_medic.live._loadgen import child_load

    return child_load


_LOOP: list[asyncio.AbstractEventLoop] = []


def _await_chain(coro: Any, limit: int = 60) -> list[Any]:
    """The frames of a suspended coroutine and of everything it awaits, outermost first."""
    frames: list[Any] = []
    while coro is not None and len(frames) < limit:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        frame = frame or getattr(coro, "ag_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = (
            getattr(coro, "cr_await", None)
            or getattr(coro, "gi_yieldfrom", None)
            or getattr(coro, "ag_await", None)
        )
    return frames


def _pending_tasks(channel: Channel, root: str) -> None:
    """Send the stacks of the loop's pending tasks (from the timer thread, before the kill)."""
    from fastapi_medic.live._tb import display_path, is_library_file, is_own_file

    if not _LOOP:
        return
    try:
        tasks = list(asyncio.all_tasks(_LOOP[0]))
    except RuntimeError:  # the set changed while we read it: nothing reliable to send
        return
    stacks = []
    for task in tasks[:50]:
        frames = [
            (
                display_path(f.f_code.co_filename, root),
                f.f_lineno,
                f.f_code.co_name,
                not is_library_file(f.f_code.co_filename, root),
            )
            for f in _await_chain(task.get_coro())
            if not is_own_file(f.f_code.co_filename)
        ]
        if any(user for *_, user in frames):
            stacks.append(frames)
    channel.send("tasks", tasks=stacks)


def run(job: dict[str, Any], channel: Channel) -> None:
    """Import the app and run the job's coroutine on a fresh event loop."""
    from fastapi_medic.live._harness import LifespanError

    imported = _import(job, channel)
    if imported is None:
        return
    app, spec = imported
    channel.send("phase", phase="startup", app=spec)
    runner = _runner(job["kind"])

    async def main() -> Any:
        _LOOP.append(asyncio.get_running_loop())
        return await runner(app, job, channel)

    timer = threading.Timer(float(job["deadline"]), _pending_tasks, (channel, job["root"]))
    timer.daemon = True
    timer.start()
    try:
        result = asyncio.run(main())
    except LifespanError as exc:
        channel.send("failed", phase="startup", message="", error=exc.error)
        return
    channel.send("result", app=spec, **result)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child process."""
    args = sys.argv[1:] if argv is None else argv
    fd = int(args[0])
    channel = Channel(os.fdopen(fd, "w", encoding="utf-8"))
    if hasattr(signal, "SIGUSR1"):
        # The parent sends SIGUSR1 before killing a hung child: every thread's stack, on stderr.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    channel.send("hello", thread=threading.get_ident(), pid=os.getpid())
    job = json.loads(sys.stdin.read())
    os.chdir(job.get("cwd") or os.getcwd())
    try:
        run(job, channel)
    except BaseException as exc:  # our own bug: say so rather than die silently
        from fastapi_medic.live._tb import describe

        channel.send("failed", phase="medic", message=str(exc), error=describe(exc, None))
    finally:
        sys.stdout.flush()
    # Leave at once: threads the app started (pools, clients) must not keep the child alive.
    os._exit(0)


if __name__ == "__main__":
    main()
