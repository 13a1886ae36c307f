"""Wrappers and stubs for dependency callables, of the same kind as what they replace.

FastAPI decides how to call a dependency (awaited, in a thread, as a context manager) from the
callable itself, so a wrapper must be the same kind of function as the original and expose the
original's signature through ``__wrapped__``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

__all__ = ["dependency_calls", "label", "make_stub", "stub_value", "timed"]


def label(call: Any) -> str:
    """A readable name for a dependency or endpoint callable."""
    name = getattr(call, "__qualname__", None) or getattr(call, "__name__", None)
    if name is None:
        name = type(call).__qualname__
    return str(name)


def dependency_calls(dependant: Any) -> list[Any]:
    """Every dependency callable of ``dependant``'s tree, each once, sub-dependencies first."""
    seen: dict[int, Any] = {}

    def walk(node: Any) -> None:
        for sub in getattr(node, "dependencies", ()) or ():
            walk(sub)
            call = getattr(sub, "call", None)
            if call is not None and id(call) not in seen:
                seen[id(call)] = call

    walk(dependant)
    return list(seen.values())


def _kind(call: Any) -> str:
    # Only plain functions are wrapped: classes, partials and callable instances (security
    # schemes) keep FastAPI's own handling.
    if not inspect.isfunction(call):
        return "other"
    if inspect.isasyncgenfunction(call):
        return "asyncgen"
    if inspect.isgeneratorfunction(call):
        return "gen"
    if inspect.iscoroutinefunction(call):
        return "async"
    return "sync"


_wrappers: dict[int, tuple[Any, Callable[..., Any]]] = {}

#: Called when a wrapped dependency finished: (name, started, exception or None).
Done = Callable[[str, float, "BaseException | None"], None]


def _wrap_async(call: Any, name: str, done: Done) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = await call(*args, **kwargs)
        except BaseException as exc:
            done(name, started, exc)
            raise
        done(name, started, None)
        return result

    return wrapper


def _wrap_sync(call: Any, name: str, done: Done) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = call(*args, **kwargs)
        except BaseException as exc:
            done(name, started, exc)
            raise
        done(name, started, None)
        return result

    return wrapper


def _wrap_gen(call: Any, name: str, done: Done) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        started = time.perf_counter()
        gen = call(*args, **kwargs)
        try:
            value = next(gen)
        except BaseException as exc:
            done(name, started, exc)
            raise
        done(name, started, None)
        try:
            yield value
        except GeneratorExit:
            gen.close()
            raise
        except BaseException as exc:
            # the request failed after the dependency yielded: let its own handler see it
            with contextlib.suppress(StopIteration):
                gen.throw(exc)
            return
        with contextlib.suppress(StopIteration):
            next(gen)

    return wrapper


def _wrap_asyncgen(call: Any, name: str, done: Done) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        started = time.perf_counter()
        agen = call(*args, **kwargs)
        try:
            value = await agen.__anext__()
        except BaseException as exc:
            done(name, started, exc)
            raise
        done(name, started, None)
        try:
            yield value
        except GeneratorExit:
            await agen.aclose()
            raise
        except BaseException as exc:
            with contextlib.suppress(StopAsyncIteration):
                await agen.athrow(exc)
            return
        with contextlib.suppress(StopAsyncIteration):
            await agen.__anext__()

    return wrapper


_FACTORIES = {
    "async": _wrap_async,
    "sync": _wrap_sync,
    "gen": _wrap_gen,
    "asyncgen": _wrap_asyncgen,
}


def timed(call: Any, done: Done) -> Any:
    """A wrapper of the same kind as ``call`` (sync, async, generator) reporting to ``done``.

    Wrappers are cached per callable, so FastAPI's per-request dependency cache keeps working.
    Anything but a plain function (classes, partials, security schemes) is returned as is.
    """
    cached = _wrappers.get(id(call))
    if cached is not None and cached[0] is call:  # an id can be reused once call is gone
        return cached[1]
    factory = _FACTORIES.get(_kind(call))
    if factory is None:
        return call
    wrapper = factory(call, label(call), done)
    # FastAPI reads the signature and the annotations' module through __wrapped__
    functools.update_wrapper(wrapper, call)
    _wrappers[id(call)] = (call, wrapper)
    return wrapper


def stub_value(call: Any) -> Any:
    """A stand-in for what ``call`` returns, built from its return annotation (or None)."""
    try:
        hints = typing.get_type_hints(call if inspect.isroutine(call) else call.__call__)
    except Exception:  # unresolvable annotations: the stub returns None
        return None
    annotation = hints.get("return")
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is not None and args and getattr(origin, "__name__", "") in {
        "Iterator", "Generator", "AsyncIterator", "AsyncGenerator", "Iterable", "AsyncIterable",
    }:  # fmt: skip
        annotation, origin = args[0], typing.get_origin(args[0])
    simple: dict[Any, Any] = {int: 0, float: 0.0, str: "", bool: False, bytes: b""}
    if annotation in simple:
        return simple[annotation]
    container: Any = origin or annotation
    if container in (list, set, tuple, frozenset):
        return container()
    if origin is dict or annotation is dict:
        return {}
    construct = getattr(annotation, "model_construct", None)
    if callable(construct):
        return construct()
    return None


def make_stub(call: Any, note: Callable[[str], None]) -> Callable[[], Any]:
    """A parameterless stand-in for ``call`` returning :func:`stub_value`; calls ``note``."""
    value = stub_value(call)
    name = label(call)

    def stub() -> Any:
        note(name)
        return value

    stub.__name__ = stub.__qualname__ = f"stub_{getattr(call, '__name__', 'dependency')}"
    return stub
