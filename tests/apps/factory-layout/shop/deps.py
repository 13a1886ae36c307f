from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header


class Session:
    def close(self) -> None: ...


def get_db() -> Iterator[Session]:
    session = Session()
    try:
        yield session
    finally:
        session.close()


def require_token(x_token: str = Header()) -> str:
    return x_token


DbSession = Annotated[Session, Depends(get_db)]
