"""Fixtures for the runtime probes: a real FastAPI app, real engines, a real uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, WebSocket
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from fastapi_medic.runtime import Instrumentation, instrument
from fastapi_medic.runtime.context import current_request

AppFactory = Callable[..., FastAPI]


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("INSERT OR IGNORE INTO items VALUES (1, 'apple'), (2, 'pear')"))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A sync SQLite engine on a file, with an ``items`` table (QueuePool)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'sync.db'}")
    _seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def aiosqlite_engine(tmp_path: Path) -> Iterator[AsyncEngine]:
    """An aiosqlite engine on a file with an ``items`` table; use it inside one event loop."""
    path = tmp_path / "async.db"
    _seed(create_engine(f"sqlite:///{path}"))
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    yield engine
    engine.sync_engine.dispose()


class Seen:
    """What the app's routes observed, for assertions."""

    def __init__(self) -> None:
        self.background_ids: list[str | None] = []


def build_app(
    engine: Engine | None = None, async_engine: AsyncEngine | None = None, seen: Seen | None = None
) -> FastAPI:
    """A FastAPI app with one route per behaviour the probes look at."""
    app = FastAPI()
    seen = seen if seen is not None else Seen()
    app.state.seen = seen

    def _record_id() -> None:
        state = current_request.get()
        seen.background_ids.append(state.request_id if state else None)

    async def _record_id_async() -> None:
        _record_id()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/boom")
    async def boom() -> dict[str, str]:
        prices: dict[str, int] = {}
        return {"price": str(prices["missing"])}

    @app.get("/http500")
    async def http500() -> dict[str, str]:
        raise HTTPException(status_code=500, detail="down")

    @app.get("/notfound")
    async def notfound() -> dict[str, str]:
        raise HTTPException(status_code=404, detail="no")

    @app.get("/slow")
    async def slow(seconds: float = 0.05) -> dict[str, float]:
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    @app.get("/background")
    async def background(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(_record_id_async)
        tasks.add_task(_record_id)  # a sync task runs in a worker thread
        return {"queued": "2"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        state = current_request.get()
        await websocket.send_text(state.request_id if state else "none")
        await websocket.close()

    if engine is not None:

        @app.get("/db/{item_id}")
        def db_item(item_id: int) -> dict[str, str | None]:
            with engine.connect() as conn:
                name = conn.execute(
                    text("SELECT name FROM items WHERE id = :id"), {"id": item_id}
                ).scalar()
            return {"name": name}

        @app.get("/db-boom")
        def db_boom() -> dict[str, str]:
            with engine.connect() as conn:
                conn.execute(text("SELECT name FROM items WHERE name = 'secret-literal'"))
            raise RuntimeError("after the query")

    if async_engine is not None:

        async def session() -> AsyncIterator[AsyncSession]:
            async with AsyncSession(async_engine) as s:
                yield s

        @app.get("/adb/{item_id}")
        async def adb_item(
            item_id: int,
            # A default, not Annotated: the string annotation could not name this closure.
            s: AsyncSession = Depends(session),  # noqa: B008, FAST002
        ) -> dict[str, str | None]:
            result = await s.execute(text("SELECT name FROM items WHERE id = :id"), {"id": item_id})
            return {"name": result.scalar()}

    return app


@pytest.fixture
def make_app() -> AppFactory:
    """``make_app(engine=None, async_engine=None)`` builds a fresh app."""
    return build_app


@pytest.fixture
def instrumented() -> Iterator[Callable[..., Instrumentation]]:
    """``instrumented(app, **options)``: instrument() closed after the test."""
    made: list[Instrumentation] = []

    def make(app: Any, engine: Any = None, **options: Any) -> Instrumentation:
        options.setdefault("startup_report", False)
        inst = instrument(app, engine, **options)
        made.append(inst)
        return inst

    yield make
    for inst in made:
        inst.close()


def _asgi_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def asgi_client() -> Callable[[FastAPI], httpx.AsyncClient]:
    """``asgi_client(app)``: an httpx client calling ``app`` in-process (no lifespan)."""
    return _asgi_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def uvicorn_server() -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``with uvicorn_server(directory, source) as base_url:`` a real server on 127.0.0.1."""
    return _uvicorn_server


@contextlib.contextmanager
def _uvicorn_server(module_dir: Path, source: str, *, app: str = "app:app") -> Iterator[str]:
    """Run ``source`` (written as ``app.py`` in ``module_dir``) under uvicorn on 127.0.0.1.

    Yields the base URL; the server is stopped (SIGTERM, then killed) afterwards.
    """
    (module_dir / app.split(":", maxsplit=1)[0].replace(".", "/")).with_suffix(".py").write_text(
        textwrap.dedent(source)
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)),
            *("--no-access-log", "--log-level", "warning"),
        ],
        cwd=module_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise RuntimeError(f"uvicorn did not start:\n{out}") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


# --- runtime-probes: PostgreSQL engines (psycopg, asyncpg) on the throwaway server ------------


@pytest.fixture
def pg_sync_engine(pg_url: str) -> Iterator[Engine]:
    """A psycopg engine on the throwaway server (pool_size=2, max_overflow=0, timeout 1 s)."""
    from .pg import psycopg_url

    engine = create_engine(psycopg_url(pg_url), pool_size=2, max_overflow=0, pool_timeout=1)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_async_engine(pg_url: str) -> Iterator[AsyncEngine]:
    """An asyncpg engine on the throwaway server; use it inside one event loop."""
    from .pg import asyncpg_url

    engine = create_async_engine(asyncpg_url(pg_url), pool_size=2, max_overflow=0, pool_timeout=1)
    yield engine
    engine.sync_engine.dispose(close=False)
