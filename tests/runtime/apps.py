"""Small FastAPI apps that leak or keep their connections, shared by the runtime tests."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import Connection, Engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


def line_of(fn: Callable[..., Any], needle: str) -> int:
    """The line of ``fn``'s source that contains ``needle``."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if needle in line)


def leaky_sync_app(
    engine: Engine, kept: list[Connection], *, blocking_sql: str | None = None
) -> FastAPI:
    """``/leak`` keeps its connection, ``/ok`` returns it; with ``blocking_sql``, an async
    ``/sleep`` runs that statement on the event loop's thread."""
    app = FastAPI()

    @app.get("/leak")
    def leak() -> dict[str, int]:
        conn = engine.connect()
        kept.append(conn)
        return {"n": conn.execute(text("SELECT 1")).scalar_one()}

    @app.get("/ok")
    def ok() -> dict[str, int]:
        with engine.connect() as conn:
            return {"n": conn.execute(text("SELECT 1")).scalar_one()}

    if blocking_sql is not None:

        @app.get("/sleep")
        async def sleep() -> dict[str, str]:
            with engine.connect() as conn:
                conn.execute(text(blocking_sql))  # the driver blocks the loop in C
            return {"slept": "yes"}

        app.state.sleep = sleep
    app.state.leak = leak
    return app


def leaky_async_app(engine: AsyncEngine, kept: list[AsyncSession]) -> FastAPI:
    """``/aleak`` keeps its ``AsyncSession`` open, ``/aok`` gets one from a dependency."""
    app = FastAPI()

    async def session() -> AsyncIterator[AsyncSession]:
        async with AsyncSession(engine) as s:
            yield s

    @app.get("/aleak")
    async def aleak() -> dict[str, int]:
        s = AsyncSession(engine)
        kept.append(s)
        result = await s.execute(text("SELECT 1"))
        return {"n": result.scalar_one()}

    @app.get("/aok")
    async def aok(
        s: AsyncSession = Depends(session),  # noqa: B008, FAST002 - a local dependency
    ) -> dict[str, int]:
        result = await s.execute(text("SELECT 1"))
        return {"n": result.scalar_one()}

    app.state.aleak = aleak
    return app
