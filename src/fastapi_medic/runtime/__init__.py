"""Runtime probes for a running FastAPI app (MED7xx): one call turns them on.

```python
instrumentation = fastapi_medic.instrument(app, engine=engine)
```

Importing this package imports neither FastAPI nor SQLAlchemy; :func:`instrument` does, and
each integration (engines, watchdog, exporters, sink) is wired only when asked for, so a
request pays only for what is on.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi_medic.errors import UsageError
from fastapi_medic.runtime._instrumentation import Instrumentation

if TYPE_CHECKING:
    from logging import Logger

__all__ = ["Instrumentation", "instrument"]


def _engines(engine: Any) -> list[Any]:
    if engine is None:
        return []
    items = list(engine) if isinstance(engine, (list, tuple)) else [engine]
    out = []
    for item in items:
        sync = getattr(item, "sync_engine", item)  # AsyncEngine -> its Engine
        if not hasattr(sync, "pool") or not hasattr(sync, "dialect"):
            raise UsageError(f"engine= takes SQLAlchemy engines; got {type(item).__name__}")
        out.append(sync)
    return out


def _caller_root(depth: int) -> Path | None:
    # The file that called instrument(): its package directory holds the app's source.
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    path = Path(frame.f_code.co_filename)
    if not path.is_file():
        return None
    # The top package containing that file, else the file's own directory (a flat project).
    root = path.parent
    while (root / "__init__.py").is_file() and (root.parent / "__init__.py").is_file():
        root = root.parent
    return root


def instrument(
    app: Any,
    engine: Any = None,
    *,
    stall_threshold: float = 0.1,
    strict: bool = False,
    slow_request: float = 1.0,
    json_logs: bool = False,
    sink: str | Path | None = None,
    logger: Logger | None = None,
    prometheus: bool = False,
    otel: bool = False,
    watchdog: bool = True,
    startup_report: bool = True,
    env_vars: Sequence[str] = (),
) -> Instrumentation:
    """Turn the runtime probes on for ``app`` (a FastAPI or Starlette application).

    Args:
        app: the application; it is changed in place (the object you hold stays the same).
        engine: a SQLAlchemy ``Engine`` or ``AsyncEngine``, or a sequence of them: statement
            breadcrumbs, checkouts per request, leaks and pool use.
        stall_threshold: seconds without a loop iteration that count as a stall.
        strict: also make known blocking calls raise on the loop thread (for tests).
        slow_request: seconds after which a request is reported as slow.
        json_logs: give the root logger's handlers a JSON formatter.
        sink: a JSON-lines file for ``fastapi-medic logs``.
        logger: where flagged requests are logged (default ``fastapi_medic.requests``).
        prometheus: export the figures through ``prometheus_client``.
        otel: export the figures through OpenTelemetry metrics.
        watchdog: run the event-loop watchdog.
        startup_report: log the redacted startup report once and check it.
        env_vars: environment variable names to report besides those found in your source.

    Returns:
        The :class:`Instrumentation`: findings, metrics, pool samples and ``close()``.

    Raises:
        UsageError: ``app`` is not a Starlette application, it is already instrumented, or
            ``engine`` holds something that is not an engine.
    """
    if not hasattr(app, "build_middleware_stack"):
        raise UsageError(f"instrument() needs a FastAPI or Starlette app; got {type(app).__name__}")
    if getattr(app, "_fastapi_medic", None) is not None:
        raise UsageError("this app is already instrumented; call close() on the first one")
    return Instrumentation(
        app,
        _engines(engine),
        stall_threshold=stall_threshold,
        strict=strict,
        slow_request=slow_request,
        json_logs=json_logs,
        sink=sink,
        logger=logger,
        prometheus=prometheus,
        otel=otel,
        watchdog=watchdog,
        startup_report=startup_report,
        env_vars=tuple(env_vars),
        source_root=_caller_root(2),
    )
