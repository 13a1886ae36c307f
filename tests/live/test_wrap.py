"""Dependency wrappers keep the kind and signature FastAPI reads; stubs follow annotations."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import BaseModel

from fastapi_medic.live._wrap import stub_value, timed


class User(BaseModel):
    id: int
    email: str


def returns_int() -> int:
    return 5


def returns_list() -> list[str]:
    return ["a"]


def returns_model() -> User:
    return User(id=1, email="a@b.c")


def yields_user() -> Iterator[User]:
    yield User(id=1, email="a@b.c")


def unannotated():  # type: ignore[no-untyped-def]  # what many dependencies look like
    return 1


def test_builds_stub_values_from_return_annotations() -> None:
    assert stub_value(returns_int) == 0
    assert stub_value(returns_list) == []
    assert stub_value(unannotated) is None
    model = stub_value(returns_model)
    assert isinstance(model, User)
    assert isinstance(stub_value(yields_user), User)


async def async_dep(token: str = "") -> str:
    return token


async def async_gen_dep() -> AsyncIterator[int]:
    yield 1


def sync_gen_dep(limit: int = 3) -> Iterator[int]:
    yield limit


@pytest.mark.parametrize(
    ("call", "check"),
    [
        (returns_int, inspect.isfunction),
        (async_dep, inspect.iscoroutinefunction),
        (async_gen_dep, inspect.isasyncgenfunction),
        (sync_gen_dep, inspect.isgeneratorfunction),
    ],
)
def test_wrappers_are_the_same_kind_with_the_same_signature(call: object, check: object) -> None:
    seen: list[str] = []

    wrapper = timed(call, lambda name, started, exc: seen.append(name))

    assert check(wrapper)  # type: ignore[operator]
    assert inspect.signature(wrapper) == inspect.signature(call)  # type: ignore[arg-type]
    assert wrapper.__wrapped__ is call


def test_reports_the_name_and_exception_when_the_wrapped_call_raises() -> None:
    seen: list[tuple[str, str]] = []

    def broken() -> int:
        raise KeyError("x")

    wrapper = timed(broken, lambda name, started, exc: seen.append((name, type(exc).__name__)))

    with pytest.raises(KeyError):
        wrapper()
    assert seen == [
        (
            "test_reports_the_name_and_exception_when_the_wrapped_call_raises.<locals>.broken",
            "KeyError",
        )
    ]


def test_returns_classes_unwrapped() -> None:
    assert timed(User, lambda *a: None) is User
