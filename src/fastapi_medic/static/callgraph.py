"""Follows calls from async functions through the project's own sync code to blocking calls.

Each sync function is analysed once (memoized), with a bounded depth and a guard against
recursion, so a large project stays fast. A chain reads like a stack, from the async function
that is on the event loop to the call that blocks it::

    get_user routes/users.py:12 -> ProfileService.fetch services/profile.py:40
      -> requests.get services/profile.py:44
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi_medic.findings import Frame
from fastapi_medic.static.catalog_blocking import (
    FILE,
    FILE_METADATA,
    BlockingCatalogue,
    BlockingKind,
)
from fastapi_medic.static.model import AWAITED, LAZY, CallRef, CallSite, FunctionInfo, Ref
from fastapi_medic.static.project import Project, Symbol

__all__ = ["AsyncCall", "BlockingPath", "CallGraph", "decorator_names", "reachable"]

#: Sync functions followed below an async function. On real code, chains through one or two
#: helpers are right more than nine times in ten; longer ones mostly end in branches that
#: the caller's arguments never take.
MAX_DEPTH = 2
#: Calls followed to find what runs during a request (for rules about sessions and engines).
REACH_DEPTH = 5

#: Calls that return at once with the right arguments (``WNOHANG``).
_POLLS = frozenset({"os.waitpid", "os.wait3", "os.wait4"})
#: Local disk work: reported where it is written, not followed through helpers.
_LOCAL_KINDS = (FILE, FILE_METADATA)
#: Blocking only briefly where they are written; not followed through helpers.
_NOT_FOLLOWED = frozenset({"subprocess.Popen"})

#: Decorators after which a sync function costs its I/O once, not per request.
_ONCE = frozenset({"lru_cache", "cache", "cached", "cached_property", "cachedmethod", "alru_cache"})


@dataclass(frozen=True, slots=True)
class BlockingPath:
    """How a sync function ends up blocking: the kind of call and the frames to reach it."""

    kind: BlockingKind
    call: str  # the canonical blocking call
    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class AsyncCall:
    """A call inside an async function that blocks, directly or through project code."""

    rel: str
    function: FunctionInfo
    call: CallSite
    path: BlockingPath
    direct: bool


def decorator_names(fn: FunctionInfo) -> Iterator[str]:
    """The last names of a function's decorators (``functools.lru_cache(...)`` -> ``lru_cache``)."""
    for decorator in fn.decorators:
        value = decorator.value
        if isinstance(value, Ref):
            yield value.dotted.rpartition(".")[2]
        elif isinstance(value, CallRef):
            yield value.func.rpartition(".")[2]


class CallGraph:
    """Blocking analysis over the project's call graph."""

    def __init__(self, project: Project, catalogue: BlockingCatalogue) -> None:
        self.project = project
        self.catalogue = catalogue
        self._memo: dict[tuple[str, str, int], BlockingPath | None] = {}
        self._calls: dict[tuple[str, str, CallSite], Symbol | None] = {}

    def _symbol(self, rel: str, fn: FunctionInfo, call: CallSite) -> Symbol | None:
        """What a call names (memoized per call: direct() and target() both ask)."""
        key = (rel, fn.qualname, call)
        if key in self._calls:
            return self._calls[key]
        symbol = self.project.resolve_call(rel, fn, call)
        self._calls[key] = symbol
        return symbol

    def direct(self, rel: str, fn: FunctionInfo, call: CallSite) -> tuple[BlockingKind, str] | None:
        """The catalogue entry a call matches, with its canonical name."""
        if call.flags & AWAITED:
            return None
        symbol = self._symbol(rel, fn, call)
        if symbol is None or symbol.kind != "external":
            return None
        kind = self.catalogue.match(symbol.external)
        if kind is None:
            return None
        if symbol.external in _POLLS and self._non_blocking_poll(rel, call):
            return None
        return kind, symbol.external

    def _non_blocking_poll(self, rel: str, call: CallSite) -> bool:
        """``os.waitpid(pid, os.WNOHANG)`` returns at once."""
        summary = self.project.modules[rel]
        for _, recorded in summary.arg_calls:
            if recorded.line == call.line and recorded.func.endswith(
                call.callee.rpartition(".")[2]
            ):
                flags = [*recorded.args, *(v for _, v in recorded.kwargs)]
                if any(isinstance(v, Ref) and v.dotted.endswith("WNOHANG") for v in flags):
                    return True
        return False

    def target(self, rel: str, fn: FunctionInfo, call: CallSite) -> tuple[str, FunctionInfo] | None:
        """The project's sync function a call runs on this thread, if any.

        Awaited calls, async functions and functions cached with ``lru_cache`` are skipped;
        calling a class runs its ``__init__``.
        """
        if call.flags & AWAITED:
            return None
        symbol = self._symbol(rel, fn, call)
        if symbol is None:
            return None
        target: tuple[str, FunctionInfo] | None = None
        if symbol.kind == "function":
            info = self.project.function(symbol.rel, symbol.qualname)
            if info is not None:
                target = (symbol.rel, info)
        elif symbol.kind == "class" and not symbol.instance:
            target = self._constructor(symbol)
        if target is None or target[1].is_async:
            return None
        if target[1].is_generator and f"{call.callee}()" not in fn.managed:
            return None  # calling a generator function runs none of its body
        if any(name in _ONCE for name in decorator_names(target[1])):
            return None
        return target

    def _constructor(self, symbol: Symbol) -> tuple[str, FunctionInfo] | None:
        for owner, info in self.project.mro(symbol.rel, symbol.qualname):
            init = info.methods.get("__init__")
            if init is not None:
                fn = self.project.function(owner, init)
                return (owner, fn) if fn is not None else None
        return None

    def blocking_path(self, rel: str, fn: FunctionInfo) -> BlockingPath | None:
        """How the sync function ``fn`` blocks, or None (memoized).

        Local file I/O is not followed through helpers: reading a small file once in a
        while rarely hurts, and through several calls it is mostly a cold branch.
        """
        return self._blocks(rel, fn, 0, set())

    def _blocks(
        self, rel: str, fn: FunctionInfo, depth: int, visiting: set[tuple[str, str]]
    ) -> BlockingPath | None:
        # memoized per remaining depth, so a chain found from deep down is never reported
        # longer than MAX_DEPTH from a shallower start
        key = (rel, fn.qualname, depth)
        if key in self._memo:
            return self._memo[key]
        if (rel, fn.qualname) in visiting or depth >= MAX_DEPTH:
            return None
        visiting.add((rel, fn.qualname))
        result: BlockingPath | None = None
        for call in fn.calls:  # a direct blocking call is the shortest explanation
            if call.flags & LAZY:
                continue  # run-once initialisation
            hit = self.direct(rel, fn, call)
            if hit is not None and hit[0] not in _LOCAL_KINDS and hit[1] not in _NOT_FOLLOWED:
                result = BlockingPath(hit[0], hit[1], (Frame(hit[1], rel, call.line),))
                break
        if result is None:
            for call in fn.calls:
                if call.flags & LAZY:
                    continue
                target = self.target(rel, fn, call)
                if target is None:
                    continue
                sub = self._blocks(target[0], target[1], depth + 1, visiting)
                if sub is not None:
                    head = Frame(target[1].qualname, target[0], target[1].line)
                    result = BlockingPath(sub.kind, sub.call, (head, *sub.frames))
                    break
        visiting.discard((rel, fn.qualname))
        self._memo[key] = result
        return result

    def async_calls(self) -> list[AsyncCall]:
        """Every blocking call made on the event loop, direct or through sync project code."""
        out = []
        for rel, summary in self.project.modules.items():
            for fn in summary.functions.values():
                if not fn.is_async:
                    continue
                for call in fn.calls:
                    hit = self.direct(rel, fn, call)
                    if hit is not None:
                        path = BlockingPath(hit[0], hit[1], (Frame(hit[1], rel, call.line),))
                        out.append(AsyncCall(rel, fn, call, path, direct=True))
                        continue
                    target = self.target(rel, fn, call)
                    if target is None:
                        continue
                    sub = self.blocking_path(*target)
                    if sub is not None:
                        head = Frame(target[1].qualname, target[0], target[1].line)
                        path = BlockingPath(sub.kind, sub.call, (head, *sub.frames))
                        out.append(AsyncCall(rel, fn, call, path, direct=False))
        return out


def reachable(
    project: Project, roots: Iterable[tuple[str, str]], depth: int = REACH_DEPTH
) -> frozenset[tuple[str, str]]:
    """``roots`` and the project functions they call, sync or async, up to ``depth`` calls."""
    seen = set(roots)
    frontier = list(seen)
    for _ in range(depth):
        following = []
        for rel, qualname in frontier:
            fn = project.function(rel, qualname)
            if fn is None:
                continue
            for call in fn.calls:
                symbol = project.resolve_call(rel, fn, call)
                if symbol is None or symbol.kind != "function":
                    continue
                key = (symbol.rel, symbol.qualname)
                if key not in seen:
                    seen.add(key)
                    following.append(key)
        frontier = following
    return frozenset(seen)
