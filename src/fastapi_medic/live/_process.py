"""Runs a job in a child process with a deadline: the app never runs in fastapi-medic itself.

An app that hangs (at import, at startup, in a request) is reported, not inherited: when the
deadline passes, the child is asked for every thread's stack (``SIGUSR1``, see ``_child``),
then killed, and :class:`ChildOutcome` says which phase it was in and where it hung.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from fastapi_medic.live._tb import TbFrame, parse_stack_dump
from fastapi_medic.live.loader import AppTarget
from fastapi_medic.redact import redact_text

__all__ = ["ChildOutcome", "run_job"]

_OUTPUT_TAIL = 4000
_DUMP_START = re.compile(r"^(?:Current thread|Thread) 0x", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class ChildOutcome:
    """What the child reported.

    Attributes:
        result: the ``result`` message, or None.
        failed: the ``failed`` message (import or startup failure), or None.
        timed_out: the deadline passed; ``phase`` is where the child was.
        phase: the last phase the child announced.
        stack: on a timeout, the hung thread's frames (outermost first), or those of the
            coroutine waiting forever when no thread was busy in your code.
        output: the tail of the app's own stdout and stderr (redacted).
        app: the ``module:attr`` that was served, once known.
        returncode: the child's exit status.
    """

    result: dict[str, Any] | None
    failed: dict[str, Any] | None
    timed_out: bool
    phase: str
    stack: tuple[TbFrame, ...]
    output: str
    app: str | None
    returncode: int | None


def _reader(fd: int, messages: list[dict[str, Any]]) -> None:
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                messages.append(json.loads(line))
            except ValueError:
                continue


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    if hasattr(signal, "SIGUSR1"):
        try:
            proc.send_signal(signal.SIGUSR1)
            time.sleep(0.5)  # let faulthandler write the stacks
        except OSError:
            pass
    _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()
    proc.wait(timeout=10)


def run_job(
    kind: str,
    target: AppTarget,
    project: Path,
    timeout: float,
    **job: Any,
) -> ChildOutcome:
    """Run job ``kind`` against ``target`` in a child process, within ``timeout`` seconds.

    Args:
        kind: ``repro``, ``probe`` or ``load``.
        target: the app to import.
        project: the project directory: the child's working directory, and frame paths are
            shown relative to it.
        timeout: seconds for the whole job, import included.
        job: the job's own parameters (JSON-ready).
    """
    payload = {
        "kind": kind,
        "target": {"root": str(target.root), "module": target.module, "attr": target.attr},
        "root": str(project.resolve()),
        "cwd": str(project.resolve()),
        # the child lists its pending coroutines shortly before the deadline
        "deadline": max(0.2, timeout - 0.8),
        **job,
    }
    read_fd, write_fd = os.pipe()
    messages: list[dict[str, Any]] = []
    with tempfile.TemporaryFile() as output:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "fastapi_medic.live._child", str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=output,
            pass_fds=(write_fd,),
            cwd=str(project.resolve()),
            env=env,
            start_new_session=True,  # its own process group: killing it takes its children too
        )
        os.close(write_fd)
        reader = threading.Thread(target=_reader, args=(read_fd, messages), daemon=True)
        reader.start()
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(payload).encode())
        proc.stdin.close()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc)
        finally:
            # Interrupted (Ctrl-C): the child has its own session and would outlive us.
            if proc.poll() is None:
                _kill(proc)
        reader.join(timeout=5)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    return _outcome(messages, text, timed_out, proc.returncode, str(project.resolve()))


def _outcome(
    messages: list[dict[str, Any]], text: str, timed_out: bool, code: int | None, root: str
) -> ChildOutcome:
    phase, app, thread = "start", None, None
    result = failed = None
    tasks: list[tuple[TbFrame, ...]] = []
    for message in messages:
        event = message.get("event")
        if event == "hello":
            thread = message.get("thread")
        elif event == "phase":
            phase = str(message.get("phase", phase))
            app = message.get("app", app)
        elif event == "result":
            result = message
            app = message.get("app", app)
        elif event == "failed":
            failed = message
        elif event == "tasks":
            tasks = [
                tuple(TbFrame(p, int(n), fn, "", bool(u)) for p, n, fn, u in frames)
                for frames in message.get("tasks", ())
            ]
    stack = parse_stack_dump(text, root, thread) if timed_out else ()
    if timed_out and not any(f.user for f in stack):
        # The loop thread was idle: the hang is a coroutine waiting forever, not a blocked
        # thread. The child listed its pending tasks just before the deadline.
        stack = next((t for t in tasks if any(f.user for f in t)), stack)
    # The stack dump is for us; the app's own output is what the user may need to read.
    dump = _DUMP_START.search(text) if timed_out else None
    own = text[: dump.start()] if dump is not None else text
    return ChildOutcome(
        result=result,
        failed=failed,
        timed_out=timed_out and result is None,
        phase=phase,
        stack=stack,
        output=redact_text(own[-_OUTPUT_TAIL:]),
        app=app,
        returncode=code,
    )
