"""The per-module summary: everything the project-wide phase needs from one file.

A summary is built in one traversal of the file's syntax tree (see :mod:`.walker`), is small
and picklable (worker processes send it back, the cache stores it), and never holds the tree.
Expressions the project phase must resolve are kept as *dotted strings*: ``requests.get``,
``self.client.get``, ``httpx.Client().get`` (a trailing ``()`` means "an instance of").
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from fastapi_medic.findings import Finding

__all__ = [
    "AWAITED",
    "LAZY",
    "SUMMARY_FORMAT",
    "CallRef",
    "CallSite",
    "ClassInfo",
    "Decorator",
    "FunctionInfo",
    "ImportInfo",
    "ModuleSummary",
    "Param",
    "Ref",
    "SimpleValue",
]

#: CallSite.flags: the call's result is awaited directly.
AWAITED = 1
#: CallSite.flags: the call sits in a run-once guard (``if self._x is None:``).
LAZY = 2


class Ref(NamedTuple):
    """A dotted name as written in the source (``router``, ``deps.get_db``)."""

    dotted: str


class CallRef(NamedTuple):
    """A call whose callee is a dotted name, with its simple arguments."""

    func: str
    args: tuple[SimpleValue, ...]
    kwargs: tuple[tuple[str, SimpleValue], ...]
    line: int
    column: int = 0

    def kwarg(self, name: str) -> SimpleValue:
        """The value of keyword argument ``name``, or None."""
        for key, value in self.kwargs:
            if key == name:
                return value
        return None


SimpleValue = str | int | float | bool | None | Ref | CallRef | tuple["SimpleValue", ...]


class ImportInfo(NamedTuple):
    """One imported name.

    ``import a.b`` binds ``a`` (module ``a.b``, name None, alias ``a``, binds_top True);
    ``import a.b as c`` binds ``c`` to module ``a.b``; ``from .x import y as z`` is
    module ``x``, level 1, name ``y``, alias ``z``.
    """

    module: str
    name: str | None
    alias: str
    level: int
    line: int
    column: int
    scope: str  # "module", "function" or "type-checking"
    binds_top: bool = False


class CallSite(NamedTuple):
    """A call inside a function (or at module level), its callee as a dotted string."""

    callee: str
    line: int
    column: int
    end_line: int
    end_column: int
    flags: int = 0
    #: the type the callee's first name has at this call, when it is a local
    head: str | None = None


class Param(NamedTuple):
    """A parameter: annotation and default reduced to what dependency injection needs."""

    name: str
    annotation: str | None  # dotted type, the first argument of Annotated[...] unwrapped
    default: SimpleValue  # Depends(x) -> CallRef("Depends", (Ref("x"),), ...)
    metadata: tuple[SimpleValue, ...]  # Annotated[..., Depends(x)] metadata
    line: int
    column: int
    has_default: bool


class Decorator(NamedTuple):
    """A decorator: a dotted name (``staticmethod``) or a call (``router.get("/x")``)."""

    value: SimpleValue
    line: int


@dataclasses.dataclass(slots=True)
class FunctionInfo:
    """A function or method and what it calls."""

    qualname: str
    name: str
    line: int
    column: int
    end_line: int
    is_async: bool
    class_name: str | None
    parent: str | None
    decorators: list[Decorator] = dataclasses.field(default_factory=list)
    params: list[Param] = dataclasses.field(default_factory=list)
    calls: list[CallSite] = dataclasses.field(default_factory=list)
    local_types: dict[str, str] = dataclasses.field(default_factory=dict)
    is_generator: bool = False
    #: the body awaits (``await``, ``async for``, ``async with``) in its own scope
    awaits: bool = False
    #: the dotted return type (``Iterator[Session]`` -> ``Session``), if annotated
    returns: str | None = None
    #: the dotted expression of the first ``yield`` value, if it is a name or attribute
    yields: str | None = None
    #: what protects the first ``yield``: "finally", "with" (its own value), "with-other"
    yield_guard: str | None = None
    #: the dotted expression of the first ``return`` value
    returned: str | None = None
    #: receivers of ``close()``/``aclose()``/``remove()`` calls, inside and outside ``finally``
    closed_in_finally: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    #: names and expressions managed by a ``with`` / ``async with`` in this function
    managed: tuple[str, ...] = ()


@dataclasses.dataclass(slots=True)
class ClassInfo:
    """A class: bases, methods, and the types of attributes assigned in its methods."""

    qualname: str
    line: int
    bases: list[str] = dataclasses.field(default_factory=list)
    methods: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> qualname
    attr_types: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class ModuleSummary:
    """Everything about one file that the project phase uses."""

    path: str
    is_package: bool
    imports: list[ImportInfo] = dataclasses.field(default_factory=list)
    #: top-level name -> ("def"|"class", qualname) | ("import", index) | ("value", dotted|None)
    bindings: dict[str, tuple[str, object]] = dataclasses.field(default_factory=dict)
    functions: dict[str, FunctionInfo] = dataclasses.field(default_factory=dict)
    classes: dict[str, ClassInfo] = dataclasses.field(default_factory=dict)
    #: module-level assignments of calls: name -> the call (``app = FastAPI(...)``)
    assigned_calls: dict[str, CallRef] = dataclasses.field(default_factory=dict)
    #: calls of framework wiring anywhere in the file: include_router, add_api_route, ...,
    #: and calls that pass an app or router by name (``configure(app)``)
    wiring: list[tuple[str, CallRef, str | None]] = dataclasses.field(default_factory=list)
    #: literal lists and tuples assigned to a name (keys as in ``assigned_calls``)
    sequences: dict[str, tuple[SimpleValue, ...]] = dataclasses.field(default_factory=dict)
    #: ``for`` targets of loops that wire (``for r in routers: app.include_router(r)``):
    #: ``function:name`` or ``name`` -> the iterables
    loops: dict[str, tuple[SimpleValue, ...]] = dataclasses.field(default_factory=dict)
    #: calls whose arguments rules read: (enclosing function or None, the call)
    arg_calls: list[tuple[str | None, CallRef]] = dataclasses.field(default_factory=list)
    #: module-level ``os.environ[...]`` reads: (base, key, line, column)
    env_reads: list[tuple[str, str | None, int, int]] = dataclasses.field(default_factory=list)
    #: ``x.state.name = Call(...)`` anywhere: (function or None, target, callee, line, column)
    state_assigns: list[tuple[str | None, str, str, int, int]] = dataclasses.field(
        default_factory=list
    )
    #: logging and print calls: (function or None, callee, line, column, what the args show)
    log_calls: list[tuple[str | None, str, int, int, tuple[str, ...]]] = dataclasses.field(
        default_factory=list
    )
    #: messages built in a function: (function, local name, what the text shows)
    text_flows: list[tuple[str, str, tuple[str, ...]]] = dataclasses.field(default_factory=list)
    #: names that hold a masked value or the name of a secret: (function or "", name)
    derived_locals: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    #: locals read from a constant key: (function, local name, key) for ``x = d.get("k")``
    key_locals: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    #: fields and keys assigned a hashed or masked value (``Key(token=hash_token(raw))``)
    hashed_fields: list[str] = dataclasses.field(default_factory=list)
    #: module-level ``<logger>.addHandler(...)`` that may add to the root logger:
    #: ("getLogger", callee, line, column) or ("ref", receiver, line, column)
    module_handlers: list[tuple[str, str, int, int]] = dataclasses.field(default_factory=list)
    #: ``logger.propagate = False``: (logger expression, line, column)
    propagate_off: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)
    #: broad ``except`` handlers: (function, line, column, outcome, logged)
    handlers: list[tuple[str, int, int, str, str]] = dataclasses.field(default_factory=list)
    #: module-level ``if``/``try`` blocks (line spans): what they hold runs only sometimes
    conditional_blocks: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    #: ``if __name__ == "__main__":`` blocks: never run when the module is imported
    main_blocks: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    #: module-level names bound to a string or int literal
    constants: dict[str, str | int] = dataclasses.field(default_factory=dict)
    #: module-level ``Annotated`` aliases: name -> (type, metadata)
    aliases: dict[str, tuple[str | None, tuple[SimpleValue, ...]]] = dataclasses.field(
        default_factory=dict
    )
    module_calls: list[CallSite] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    noqa: dict[int, frozenset[str]] = dataclasses.field(default_factory=dict)
    lines: int = 0
    #: where a new top-level import goes: after the docstring and ``__future__`` imports
    import_line: int = 1
    #: the source mentions ``environ`` (module-level reads are looked for only then)
    mentions_environ: bool = True


def _format() -> str:
    """A digest of every summary class's fields: cached summaries of another shape are
    never loaded into this code."""
    import hashlib

    shapes = [
        (
            cls.__name__,
            tuple(getattr(cls, "_fields", ()))
            or (
                tuple(f.name for f in dataclasses.fields(cls))
                if dataclasses.is_dataclass(cls)
                else ()
            ),
        )
        for cls in (
            ImportInfo,
            CallSite,
            Param,
            Decorator,
            CallRef,
            FunctionInfo,
            ClassInfo,
            ModuleSummary,
        )
    ]
    return hashlib.blake2b(repr(shapes).encode(), digest_size=6).hexdigest()


#: Changes whenever the summary's shape changes; part of the cache key.
SUMMARY_FORMAT = _format()
