"""Imports one app the way a server would, in a child process; prints one JSON line.

Run as ``python _import_probe.py '<json: [paths, module, attr]>'``. Stdlib only: it runs in
the interpreter of the app being checked.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import traceback
from typing import Any

MARKER = "__fastapi_medic_import__"


def _user_frame(exc: BaseException, paths: list[str]) -> tuple[str | None, int | None]:
    frames = traceback.extract_tb(exc.__traceback__)
    roots = [os.path.abspath(p) for p in paths]
    for frame in reversed(frames):
        name = os.path.abspath(frame.filename)
        if any(name.startswith(r + os.sep) for r in roots) and "site-packages" not in name:
            return name, frame.lineno
    return None, None


def probe(paths: list[str], module: str, attr: str | None) -> dict[str, Any]:
    """What importing ``module`` and loading ``attr`` gives."""
    sys.path[:0] = paths
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        own = exc.name is not None and (module == exc.name or module.startswith(exc.name + "."))
        file, line = _user_frame(exc, paths)
        return {
            "status": "module-not-found" if own else "dependency-missing",
            "name": exc.name,
            "file": file,
            "line": line,
        }
    except BaseException as exc:  # the app's own import-time failure is the finding
        file, line = _user_frame(exc, paths)
        return {
            "status": "raised",
            "type": type(exc).__name__,
            "message": str(exc)[:300],
            "file": file,
            "line": line,
        }
    if not attr:
        return {"status": "ok", "kind": "module"}
    obj: Any = loaded
    try:
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        return {"status": "attr-missing"}
    kind = type(obj).__name__
    if inspect.isfunction(obj) and not inspect.iscoroutinefunction(obj):
        try:
            inspect.signature(obj).bind()
        except TypeError:
            pass
        else:
            return {"status": "factory", "kind": kind}
    if not callable(obj):
        return {"status": "not-callable", "kind": kind}
    return {"status": "ok", "kind": kind}


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    result = probe(*args)
    sys.stdout.flush()
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # do not run the app's atexit hooks or wait for its threads
