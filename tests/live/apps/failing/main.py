"""An app with one failure in a dependency, one in an endpoint body and one in a response model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

engine = create_engine("sqlite://")
app = FastAPI()

TOKENS = {"alice-token": "alice"}


class UserOut(BaseModel):
    id: int
    email: str


class Total(BaseModel):
    total: int


def get_db() -> Iterator[Session]:
    db = Session(engine)
    try:
        yield db
    finally:
        db.close()


def get_current_user(
    db: Annotated[Session, Depends(get_db)],
    authorization: Annotated[str, Header()] = "",
) -> UserOut:
    db.execute(text("SELECT 1"))
    name = TOKENS[authorization.removeprefix("Bearer ")]  # KeyError for an unknown token
    return UserOut(id=1, email=f"{name}@example.com")


@app.get("/users/me", response_model=UserOut)
def read_me(user: Annotated[UserOut, Depends(get_current_user)]) -> UserOut:
    return user


@app.post("/orders/average", response_model=Total)
def average(items: list[int], db: Annotated[Session, Depends(get_db)]) -> dict[str, int]:
    db.execute(text("SELECT 2"))
    return {"total": sum(items) // len(items)}  # ZeroDivisionError for an empty list


@app.get("/profile", response_model=UserOut)
def profile(db: Annotated[Session, Depends(get_db)]) -> dict[str, object]:
    row = db.execute(text("SELECT 7 AS id, NULL AS email")).one()
    return {"id": row.id, "email": row.email}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/login")
def login(payload: dict[str, str]) -> dict[str, str]:
    return {"token": "tok-" + payload.get("password", ""), "user": payload.get("user", "")}


class OutOfStock(Exception):
    pass


@app.exception_handler(OutOfStock)
async def out_of_stock(request: object, exc: OutOfStock) -> JSONResponse:
    return JSONResponse({"detail": "out of stock"}, status_code=409)


@app.post("/reserve")
def reserve() -> dict[str, str]:
    raise OutOfStock("sku-1")
