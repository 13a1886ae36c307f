"""The session shapes MED2xx flags really leak connections on a real engine; the shapes
they accept do not.

Each app is checked statically (the rule must flag exactly the leaking variant), then
served by FastAPI's TestClient over a real SQLAlchemy engine on a SQLite file, and the
pool's checked-out connections are counted after N requests.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from checking import check, write

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

from fastapi.testclient import TestClient

REQUESTS = 12

APP = """
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("sqlite:///{db}", pool_size=20, max_overflow=0)
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()

{provider}


@app.get("/count")
def count(db: Session = Depends(get_db)):
    return {{"n": db.execute(text("select 1")).scalar_one()}}
"""

RETURNS = """
def get_db():
    db = SessionLocal()
    return db
"""

YIELDS_WITHOUT_FINALLY = """
def get_db():
    db = SessionLocal()
    yield db
    db.close()
"""

YIELDS_WITH_FINALLY = """
def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
"""

WITH_BLOCK = """
def get_db():
    with SessionLocal() as db:
        yield db
"""

FAILING_ROUTE = """

@app.get("/boom")
def boom(db: Session = Depends(get_db)):
    db.execute(text("select 1"))
    raise RuntimeError("the endpoint fails after using the session")
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load(tmp_path: Path) -> Iterator[list[ModuleType]]:
    loaded: list[ModuleType] = []
    yield loaded
    for module in loaded:
        module.engine.dispose()
        sys.modules.pop(module.__name__, None)


def _app(project: Path, provider: str, *, failing: bool = False) -> str:
    source = textwrap.dedent(APP).format(db=(project / "app.db").as_posix(), provider=provider)
    if failing:
        source += FAILING_ROUTE
    write(project, {"app.py": source})
    return source


def _checked_out_after(project: Path, load: list[ModuleType], path: str) -> int:
    module = _load(project / "app.py", f"leak_app_{id(project)}")
    load.append(module)
    # A session sits in a reference cycle with its transaction, so an unclosed one keeps its
    # connection until the cyclic collector happens to run: between two collections, which
    # is where a busy server lives, the connections stay checked out.
    gc.collect()
    gc.disable()
    try:
        with TestClient(module.app, raise_server_exceptions=False) as client:
            for _ in range(REQUESTS):
                client.get(path)
        return int(module.engine.pool.checkedout())
    finally:
        gc.enable()
        gc.collect()


def _flagged(project: Path) -> set[str]:
    return {f.code for f in check(project).findings if f.code.startswith("MED2")}


def test_returned_session_is_flagged_and_leaks_one_connection_per_request(
    project: Path, load: list[ModuleType]
) -> None:
    _app(project, RETURNS)

    assert "MED202" in _flagged(project)
    assert _checked_out_after(project, load, "/count") == REQUESTS


def test_yield_without_finally_is_flagged_and_leaks_when_the_endpoint_fails(
    project: Path, load: list[ModuleType]
) -> None:
    _app(project, YIELDS_WITHOUT_FINALLY, failing=True)

    assert "MED202" in _flagged(project)
    assert _checked_out_after(project, load, "/boom") == REQUESTS


@pytest.mark.parametrize("provider", [YIELDS_WITH_FINALLY, WITH_BLOCK], ids=["finally", "with"])
def test_guarded_dependency_is_clean_and_returns_every_connection_even_on_errors(
    project: Path, load: list[ModuleType], provider: str
) -> None:
    _app(project, provider, failing=True)

    assert "MED202" not in _flagged(project)
    assert _checked_out_after(project, load, "/count") == 0
    assert _checked_out_after(project, load, "/boom") == 0
