"""An app with a route that leaks connections and one that blocks the event loop.

The database is ``FASTAPI_MEDIC_TEST_DB_URL`` when set (PostgreSQL in the test suite), else a
SQLite file in the working directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

DATABASE_URL = os.environ.get("FASTAPI_MEDIC_TEST_DB_URL", "sqlite:///./leaky.db")
engine = create_engine(DATABASE_URL, pool_size=5, max_overflow=20, pool_timeout=5)
app = FastAPI()

_reports: list[Session] = []  # sessions kept "for later" and never closed


def get_db() -> Iterator[Session]:
    db = Session(engine)
    try:
        yield db
    finally:
        db.close()


@app.get("/items")
def items(db: Annotated[Session, Depends(get_db)]) -> dict[str, int]:
    return {"count": int(db.execute(text("SELECT 1")).scalar_one())}


@app.get("/report")
def report() -> dict[str, int]:
    db = Session(engine)
    value = int(db.execute(text("SELECT 2")).scalar_one())
    _reports.append(db)
    return {"value": value}


@app.get("/slow")
async def slow() -> dict[str, str]:
    time.sleep(0.3)  # noqa: ASYNC251 - the blocking route the load must find
    return {"status": "done"}
