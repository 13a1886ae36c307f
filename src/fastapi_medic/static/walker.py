"""One traversal per module: builds its :class:`ModuleSummary` and runs the rules' AST hooks.

The traversal is iterative (no recursion per node) and visits each node once. Rules that
need the syntax tree implement ``visit_<NodeType>(node, ctx)`` hooks; everything the
project-wide phase needs is recorded in the summary, so the tree is dropped afterwards.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

from fastapi_medic.findings import Finding, Location
from fastapi_medic.registry import Rule
from fastapi_medic.static.log_facts import (
    LOG_CALLS,
    builds_text,
    derived_value,
    digests,
    mentions,
    read_key,
    root_handler,
    secret_reference,
)
from fastapi_medic.static.model import (
    AWAITED,
    LAZY,
    CallRef,
    CallSite,
    ClassInfo,
    Decorator,
    FunctionInfo,
    ImportInfo,
    ModuleSummary,
    Param,
    Ref,
    SimpleValue,
)
from fastapi_medic.static.names import dotted

if TYPE_CHECKING:
    from fastapi_medic.static.context import ProjectContext
    from fastapi_medic.static.project import Project

__all__ = ["StaticRule", "WalkContext", "dotted", "simple_value", "summarize"]

#: Method names whose calls wire a FastAPI application together; their arguments are kept.
WIRING = frozenset(
    {
        "include_router",
        "add_api_route",
        "add_api_websocket_route",
        "add_middleware",
        "add_exception_handler",
        "add_event_handler",
        "mount",
        "generate_and_include_versioned_routers",  # cadwyn's include_router
    }
)

Hook = Callable[[ast.AST, "WalkContext"], "Iterable[Finding] | None"]


class StaticRule(Rule):
    """A rule of ``fastapi-medic check``.

    Per-file rules implement ``visit_<NodeType>(self, node, ctx)`` hooks, called during the one
    traversal of each file; project-wide rules implement :meth:`check_project`, which runs once
    on the whole :class:`~fastapi_medic.static.project.Project`.
    """

    #: Set by subclasses that implement ``check_project``.
    project_wide: ClassVar[bool] = False

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Yield findings about the whole project (the default has none)."""
        return ()


def simple_value(node: ast.AST | None, depth: int = 0) -> SimpleValue:
    """Reduce an expression to literals, dotted names, calls and tuples (or None)."""
    if node is None or depth > 4:
        return None
    kind = type(node)
    if kind is ast.Constant:
        value = node.value  # type: ignore[attr-defined]
        return value if isinstance(value, (str, int, float, bool)) else None
    if kind is ast.Name or kind is ast.Attribute:
        name = dotted(node)
        return Ref(name) if name else None
    if kind is ast.Call:
        func = dotted(node.func)  # type: ignore[attr-defined]
        if func is None:
            return None
        return CallRef(
            func,
            tuple(simple_value(a, depth + 1) for a in node.args),  # type: ignore[attr-defined]
            tuple(
                (k.arg, simple_value(k.value, depth + 1))
                for k in node.keywords  # type: ignore[attr-defined]
                if k.arg
            ),
            node.lineno,  # type: ignore[attr-defined]
            node.col_offset,  # type: ignore[attr-defined]
        )
    if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
        return tuple(simple_value(e, depth + 1) for e in node.elts)  # type: ignore[attr-defined]
    if kind is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
        # "prefix + '/x'" reads like f"{prefix}/x": unknown parts become "{}"
        left = simple_value(node.left, depth + 1)  # type: ignore[attr-defined]
        right = simple_value(node.right, depth + 1)  # type: ignore[attr-defined]
        if isinstance(left, str) or isinstance(right, str):
            return (left if isinstance(left, str) else "{}") + (
                right if isinstance(right, str) else "{}"
            )
        return None
    if kind is ast.JoinedStr:
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values  # type: ignore[attr-defined]
        )
    return None


_UNWRAP = frozenset({"Optional", "typing.Optional", "Required", "NotRequired", "Final"})


def annotation_type(
    node: ast.AST | None, depth: int = 0
) -> tuple[str | None, tuple[SimpleValue, ...]]:
    """The dotted type of an annotation and its ``Annotated`` metadata.

    ``Annotated[Session, Depends(get_db)]`` -> (``Session``, (Depends(get_db),));
    ``Optional[X]`` and ``X | None`` -> ``X``; a string annotation is parsed when it is a name.
    """
    if node is None or depth > 8:
        return None, ()
    kind = type(node)
    if kind is ast.Subscript:
        base = dotted(node.value)  # type: ignore[attr-defined]
        inner = node.slice  # type: ignore[attr-defined]
        if base in ("Annotated", "typing.Annotated", "typing_extensions.Annotated"):
            if isinstance(inner, ast.Tuple) and inner.elts:
                first, _ = annotation_type(inner.elts[0], depth + 1)
                return first, tuple(simple_value(e) for e in inner.elts[1:])
            return annotation_type(inner, depth + 1)
        if base in _UNWRAP:
            return annotation_type(inner, depth + 1)
        return base, ()
    if kind is ast.BinOp and isinstance(node.op, ast.BitOr):  # type: ignore[attr-defined]
        for side in (node.left, node.right):  # type: ignore[attr-defined]
            if not (isinstance(side, ast.Constant) and side.value is None):
                return annotation_type(side, depth + 1)
        return None, ()
    if kind is ast.Constant and isinstance(node.value, str):  # type: ignore[attr-defined]
        text = node.value.strip()  # type: ignore[attr-defined]
        if text.replace(".", "").replace("_", "").isalnum():
            return text, ()
        try:
            return annotation_type(ast.parse(text, mode="eval").body, depth + 1)
        except SyntaxError:
            return None, ()
    return dotted(node), ()


class WalkContext:
    """What a rule hook sees: the file, the summary so far, and the enclosing scopes."""

    __slots__ = ("function", "guard", "in_async", "path", "summary", "type_checking")

    def __init__(self, path: str, summary: ModuleSummary) -> None:
        self.path = path
        self.summary = summary
        self.function: FunctionInfo | None = None
        self.in_async = False
        self.type_checking = False
        #: (try-with-finally depth, inside a finally block, names managed by enclosing `with`)
        self.guard: Guard = _NO_GUARD

    def location(self, node: ast.AST) -> Location:
        """The location of ``node`` in this file."""
        return Location(
            self.path,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0),
            getattr(node, "end_lineno", None),
            getattr(node, "end_col_offset", None),
        )

    def resolve(self, name: str) -> str:
        """Resolve the head of a dotted name through this module's imports.

        ``sleep`` after ``from time import sleep`` -> ``time.sleep``; names that are not
        imports come back unchanged.
        """
        head, _, rest = name.partition(".")
        local = self.function.local_types.get(head) if self.function else None
        index: object = None
        if local is not None and local.startswith("import:"):
            index = int(local[7:])
        else:
            binding = self.summary.bindings.get(head)
            if binding is not None and binding[0] == "import":
                index = binding[1]
        if not isinstance(index, int):
            return name
        imp = self.summary.imports[index]
        if imp.level:
            return name
        target = imp.module if imp.name is None else f"{imp.module}.{imp.name}"
        if imp.binds_top:
            target = imp.module.split(".", 1)[0]
        return f"{target}.{rest}" if rest else target


#: (try-with-finally depth, in a finally block, names managed by `with`, in a lazy-init `if`)
Guard = tuple[int, bool, tuple[str, ...], bool]
_NO_GUARD: Guard = (0, False, (), False)


class _Exit:
    """Marks the end of a scope on the traversal stack, with the state to restore."""

    __slots__ = ("function", "guard", "in_async", "owner", "type_checking")

    def __init__(
        self,
        function: FunctionInfo | None,
        in_async: bool,
        owner: str | None,
        type_checking: bool,
        guard: Guard = _NO_GUARD,
    ) -> None:
        self.function = function
        self.in_async = in_async
        self.owner = owner
        self.type_checking = type_checking
        self.guard = guard


NoneType = type(None)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY_STAR = getattr(ast, "TryStar", ast.Try)
#: Method names that release a resource (sessions, connections, clients, scoped sessions).
_CLOSERS = frozenset({"close", "aclose", "remove", "dispose"})
#: Calls whose arguments some rule reads (tasks, loops, engines, session factories).
ARG_CALLS = frozenset(
    {
        "add_task",
        "create_task",
        "ensure_future",
        "next",
        "anext",
        "Depends",
        "create_engine",
        "create_async_engine",
        "sessionmaker",
        "async_sessionmaker",
        "scoped_session",
        "Session",
        "AsyncSession",
        "waitpid",
        "wait3",
        "wait4",
        "run",
        "Config",  # uvicorn.Config(app, log_config=...)
        "disable",
        "setLevel",
    }
)
_MODULE_ARG_CALLS = frozenset({"getenv", "get"})
#: Grammar fields that never hold child nodes worth visiting (names, flags, contexts).
_LEAF_FIELDS = frozenset(
    {
        "ctx",
        "id",
        "attr",
        "arg",
        "name",
        "asname",
        "module",
        "level",
        "kind",
        "conversion",
        "is_async",
        "simple",
        "names",
        "kwd_attrs",
        "rest",
        "type_comment",
        "type_ignores",
    }
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: (), ast.Name: ()}
_STATEMENT_LISTS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_APP_FACTORIES = ("FastAPI", "Router", "Starlette")
_TYPE_CHECKING = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING"})
#: Bare qualifiers that say nothing about the type: ``x: Final = Client()``.
_QUALIFIERS = frozenset({"Final", "typing.Final", "ClassVar", "typing.ClassVar"})
#: Iterables of a ``for`` loop, and the longest literal list or tuple kept in a summary.
_SEQUENCE_NODES = (ast.List, ast.Tuple, ast.Set, ast.Name, ast.Attribute)
_MAX_SEQUENCE = 64
#: Types of a name passed to a function that may register routes on it (``setup(app)``).
_APP_TYPES = ("FastAPI()", "Router()", "Starlette()", "app()", "App()", "router()")


def _wires_in(body: list[ast.stmt]) -> bool:
    """Whether a loop body calls a wiring method directly (``app.include_router(r)``)."""
    for statement in body:
        call = statement.value if type(statement) is ast.Expr else None
        if type(call) is ast.Call and type(call.func) is ast.Attribute and call.func.attr in WIRING:
            return True
    return False


def _passes_app(node: ast.Call, ctx: WalkContext) -> bool:
    """Whether a call passes an app or router by name (``configure_routes(app)``)."""
    fn = ctx.function
    for arg in (*node.args, *(k.value for k in node.keywords)):
        if type(arg) is not ast.Name:
            continue
        kind: object = fn.local_types.get(arg.id) if fn is not None else None
        if kind is None:
            binding = ctx.summary.bindings.get(arg.id)
            kind = binding[1] if binding is not None and binding[0] == "value" else None
        if isinstance(kind, str) and kind.endswith(_APP_TYPES):
            return True
    return False


_WRAPPERS = frozenset(
    {
        "Iterator",
        "Generator",
        "AsyncIterator",
        "AsyncGenerator",
        "Iterable",
        "AsyncIterable",
        "Awaitable",
        "Coroutine",
        "ContextManager",
        "AsyncContextManager",
    }
)


def _return_type(node: ast.expr | None, depth: int = 0) -> str | None:
    """The type a function hands out: ``Iterator[Session]`` and friends unwrapped."""
    if node is None or depth > 8:
        return None
    if type(node) is ast.Subscript:
        base = dotted(node.value)
        if base is not None and base.rpartition(".")[2] in _WRAPPERS:
            inner = node.slice
            if type(inner) is ast.Tuple and inner.elts:
                inner = inner.elts[0] if base.rpartition(".")[2] != "Coroutine" else inner.elts[-1]
            return _return_type(inner, depth + 1)
    return annotation_type(node)[0]


def _is_lazy_test(test: ast.expr, fn: FunctionInfo) -> bool:
    """``self._x is None``, ``not _CLIENT``, ``key not in CACHE``: a run-once guard.

    Only state that outlives the call counts (attributes, module globals, their items); a
    guard on a parameter or local (``if client is None:``) runs on every call.
    """

    def lasting(node: ast.expr) -> bool:
        if isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute):
            return True
        if isinstance(node, ast.Name):
            local = fn.local_types.get(node.id)
            if local is not None and local.endswith(".get()"):
                # engine = CACHE.get(key); if engine is None: ... memoized in CACHE
                return is_global(local.partition(".")[0])
            return is_global(node.id)
        return False

    def is_global(name: str) -> bool:
        if name in ("self", "cls"):
            return True
        return name not in fn.local_types and all(p.name != name for p in fn.params)

    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return lasting(test.operand)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value is None:
            return lasting(test.left)
        if isinstance(op, ast.NotIn):
            return lasting(right)
    return False


def _is_main_guard(test: ast.expr) -> bool:
    """``if __name__ == "__main__":``, or ``if STATICA_HACK:``: blocks that never run when the
    module is imported (celery's idiom rebinds the flag to False through ``globals()``, so
    the block exists only for static analysers)."""
    if isinstance(test, ast.Name) and test.id == "STATICA_HACK":
        return True
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _import_line(tree: ast.Module) -> int:
    """The line before which a new import goes: after the docstring and ``__future__``."""
    line = 1
    for index, stmt in enumerate(tree.body):
        is_doc = index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if is_doc or (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            line = (stmt.end_lineno or stmt.lineno) + 1
            continue
        break
    return line


def _params(args: ast.arguments) -> list[Param]:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs: list[tuple[ast.arg, ast.expr | None]] = list(zip(positional, defaults, strict=True))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    out = []
    for arg, default in pairs:
        annotation, metadata = annotation_type(arg.annotation)
        out.append(
            Param(
                arg.arg,
                annotation,
                simple_value(default),
                metadata,
                arg.lineno,
                arg.col_offset,
                default is not None,
            )
        )
    return out


_HOOK_CACHE: dict[tuple[int, ...], dict[type, list[Hook]]] = {}


def _hooks(rules: Sequence[StaticRule]) -> dict[type, list[Hook]]:
    """Node type -> the rules' ``visit_<NodeType>`` methods (computed once per rule set)."""
    key = tuple(id(rule) for rule in rules)
    cached = _HOOK_CACHE.get(key)
    if cached is not None:
        return cached
    hooks: dict[type, list[Hook]] = {}
    for rule in rules:
        for attr in dir(rule):
            if attr.startswith("visit_"):
                node_type = getattr(ast, attr[6:], None)
                if isinstance(node_type, type):
                    hooks.setdefault(node_type, []).append(getattr(rule, attr))
    _HOOK_CACHE.clear()  # rules live as long as a run; keep only the current set
    _HOOK_CACHE[key] = hooks
    return hooks


def summarize(  # noqa: PLR0915 - one flat dispatch loop over the tree keeps the walk fast
    path: str,
    tree: ast.Module,
    rules: Sequence[StaticRule] = (),
    *,
    is_package: bool = False,
    string_spans: list[tuple[int, int, int]] | None = None,
    mentions_environ: bool = True,
) -> ModuleSummary:
    """Traverse ``tree`` once: build the module's summary and collect the rules' findings.

    When ``string_spans`` is a list, the line spans of multi-line string literals are
    appended to it (``# noqa`` inside them is text, not a comment).
    """
    summary = ModuleSummary(path=path, is_package=is_package, import_line=_import_line(tree))
    summary.mentions_environ = mentions_environ
    ctx = WalkContext(path, summary)
    hooks = _hooks(rules)

    findings = summary.findings
    bindings = summary.bindings
    functions = summary.functions
    classes = summary.classes
    awaited: set[int] = set()
    owner: str | None = None  # qualname of the enclosing class or function
    owner_is_class = False
    module_calls = summary.module_calls
    calls = module_calls
    stack: list[object] = list(reversed(tree.body))
    Call, Await, Name, Store = ast.Call, ast.Await, ast.Name, ast.Store

    child_fields = _CHILD_FIELDS
    Constant = ast.Constant
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is NoneType:
            continue  # a missing key of a dict display: {**x}
        if kind is _Exit:
            ctx.function = node.function  # type: ignore[attr-defined]
            ctx.in_async = node.in_async  # type: ignore[attr-defined]
            ctx.type_checking = node.type_checking  # type: ignore[attr-defined]
            ctx.guard = node.guard  # type: ignore[attr-defined]
            owner = node.owner  # type: ignore[attr-defined]
            owner_is_class = owner is not None and owner in classes
            calls = ctx.function.calls if ctx.function is not None else module_calls
            continue
        node_hooks = hooks.get(kind) if hooks else None
        if node_hooks:
            for hook in node_hooks:
                result = hook(node, ctx)  # type: ignore[arg-type]
                if result:
                    findings.extend(result)

        if kind is Name:
            if node.ctx.__class__ is Store:  # type: ignore[attr-defined]
                fn_now = ctx.function
                if fn_now is not None:
                    # any other binding makes the name local, of unknown type
                    fn_now.local_types.setdefault(node.id, "")  # type: ignore[attr-defined]
            continue
        if kind is Call:
            callee = dotted(node.func)  # type: ignore[attr-defined]
            if callee is not None:
                fn_now = ctx.function
                head_type = None
                if fn_now is not None and fn_now.local_types:
                    # the type the first name has here; a later rebinding must not change it
                    head_type = fn_now.local_types.get(callee.partition(".")[0])
                calls.append(
                    CallSite(
                        callee,
                        node.lineno,  # type: ignore[attr-defined]
                        node.col_offset,  # type: ignore[attr-defined]
                        node.end_lineno,  # type: ignore[attr-defined]
                        node.end_col_offset,  # type: ignore[attr-defined]
                        (AWAITED if id(node) in awaited else 0) | (LAZY if ctx.guard[3] else 0),
                        head_type,
                    )
                )
                method = callee.rpartition(".")[2]
                fn_now = ctx.function
                if fn_now is not None and method in _CLOSERS:
                    receiver = callee.rpartition(".")[0]
                    if ctx.guard[1]:
                        fn_now.closed_in_finally += (receiver,)
                    else:
                        fn_now.closed += (receiver,)
                if method in LOG_CALLS or callee == "print":
                    shown = mentions(node)  # type: ignore[arg-type]
                    if shown:
                        summary.log_calls.append(
                            (
                                fn_now.qualname if fn_now else None,
                                callee,
                                node.lineno,  # type: ignore[attr-defined]
                                node.col_offset,  # type: ignore[attr-defined]
                                shown,
                            )
                        )
                _record_secret_facts(node, callee, method, ctx)  # type: ignore[arg-type]
                if method in ARG_CALLS or (fn_now is None and method in _MODULE_ARG_CALLS):
                    ref = simple_value(node)  # type: ignore[arg-type]
                    if isinstance(ref, CallRef):
                        summary.arg_calls.append((fn_now.qualname if fn_now else None, ref))
                if method in WIRING or ((node.args or node.keywords) and _passes_app(node, ctx)):  # type: ignore[attr-defined, arg-type]
                    ref = simple_value(node)  # type: ignore[arg-type]
                    if isinstance(ref, CallRef):
                        where = ctx.function.qualname if ctx.function else None
                        summary.wiring.append((callee, ref, where))
        elif kind is Await:
            value = node.value  # type: ignore[attr-defined]
            if type(value) is Call:
                awaited.add(id(value))
            if ctx.function is not None:
                ctx.function.awaits = True
        elif kind is ast.AsyncFor:
            if ctx.function is not None:
                ctx.function.awaits = True
        elif kind in _FUNCS:
            fn = node
            parent = ctx.function.qualname if ctx.function else None
            qualname = f"{owner}.{fn.name}" if owner else fn.name  # type: ignore[attr-defined]
            info = FunctionInfo(
                qualname=qualname,
                name=fn.name,  # type: ignore[attr-defined]
                line=fn.lineno,  # type: ignore[attr-defined]
                column=fn.col_offset,  # type: ignore[attr-defined]
                end_line=fn.end_lineno or fn.lineno,  # type: ignore[attr-defined]
                is_async=kind is ast.AsyncFunctionDef,
                class_name=owner if owner_is_class else None,
                parent=parent,
                decorators=[
                    Decorator(simple_value(d), d.lineno)
                    for d in fn.decorator_list  # type: ignore[attr-defined]
                ],
                params=_params(fn.args),  # type: ignore[attr-defined]
                returns=_return_type(fn.returns),  # type: ignore[attr-defined]
            )
            for param in info.params:
                if param.annotation:
                    info.local_types[param.name] = param.annotation + "()"
            functions.setdefault(qualname, info)
            if owner is None:
                bindings[info.name] = ("def", qualname)
            elif owner_is_class:
                classes[owner].methods.setdefault(info.name, qualname)
            stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
            stack.extend(reversed(fn.body))  # type: ignore[attr-defined]
            ctx.function, ctx.in_async, owner, owner_is_class = info, info.is_async, qualname, False
            ctx.guard = _NO_GUARD
            calls = info.calls
            continue
        elif kind is ast.ClassDef:
            cls = node
            qualname = f"{owner}.{cls.name}" if owner else cls.name  # type: ignore[attr-defined]
            classes[qualname] = ClassInfo(
                qualname,
                cls.lineno,  # type: ignore[attr-defined]
                [b for b in map(dotted, cls.bases) if b],  # type: ignore[attr-defined]
            )
            if owner is None:
                bindings[cls.name] = ("class", qualname)  # type: ignore[attr-defined]
            stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
            stack.extend(reversed(cls.body))  # type: ignore[attr-defined]
            owner, owner_is_class = qualname, True
            continue
        elif kind is ast.Lambda:
            # A lambda is its own (sync) scope: what it calls runs when it is called.
            stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
            stack.append(node.body)  # type: ignore[attr-defined]
            lam_line = node.lineno  # type: ignore[attr-defined]
            lam = FunctionInfo("<lambda>", "<lambda>", lam_line, 0, lam_line, False, None, None)
            ctx.function, ctx.in_async, calls = lam, False, lam.calls
            continue
        elif kind is ast.Import or kind is ast.ImportFrom:
            _record_import(node, ctx, owner is None)  # type: ignore[arg-type]
            continue
        elif kind is ast.Assign or kind is ast.AnnAssign:
            _record_assign(node, ctx, owner, owner_is_class)  # type: ignore[arg-type]
        elif kind is ast.If:
            test = dotted(node.test)  # type: ignore[attr-defined]
            if (
                ctx.function is not None
                and not ctx.guard[3]
                and _is_lazy_test(node.test, ctx.function)  # type: ignore[attr-defined]
            ):
                # `if self._x is None:` runs its body once: lazy initialisation
                stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
                stack.extend(reversed(node.orelse))  # type: ignore[attr-defined]
                stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
                stack.extend(reversed(node.body))  # type: ignore[attr-defined]
                stack.append(node.test)  # type: ignore[attr-defined]
                ctx.guard = (*ctx.guard[:3], True)
                continue
            if ctx.function is None and test not in _TYPE_CHECKING and not ctx.guard[3]:
                # module level: code under `if` runs only in some environments
                span = (node.lineno, node.end_lineno or node.lineno)  # type: ignore[attr-defined]
                summary.conditional_blocks.append(span)
                if _is_main_guard(node.test):  # type: ignore[attr-defined]
                    summary.main_blocks.append(span)
                stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
                stack.extend(reversed(node.orelse))  # type: ignore[attr-defined]
                stack.extend(reversed(node.body))  # type: ignore[attr-defined]
                stack.append(node.test)  # type: ignore[attr-defined]
                ctx.guard = (*ctx.guard[:3], True)
                continue
            if test in _TYPE_CHECKING:
                stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
                stack.extend(reversed(node.orelse))  # type: ignore[attr-defined]
                stack.append(_Exit(ctx.function, ctx.in_async, owner, True, ctx.guard))
                stack.extend(reversed(node.body))  # type: ignore[attr-defined]
                ctx.type_checking = True
                continue
        elif kind is ast.With or kind is ast.AsyncWith:
            if ctx.function is not None:
                if kind is ast.AsyncWith:
                    ctx.function.awaits = True
                managed: list[str] = []
                for item in node.items:  # type: ignore[attr-defined]
                    value = dotted(item.context_expr)
                    if value is not None:
                        managed.append(value)
                    if type(item.optional_vars) is Name:
                        managed.append(item.optional_vars.id)
                        if value is not None and value.endswith("()"):
                            ctx.function.local_types[item.optional_vars.id] = value
                ctx.function.managed += tuple(managed)
                # the body runs with these names managed; the items themselves do not
                stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
                stack.extend(reversed(node.body))  # type: ignore[attr-defined]
                stack.append(
                    _Exit(
                        ctx.function,
                        ctx.in_async,
                        owner,
                        ctx.type_checking,
                        (ctx.guard[0], ctx.guard[1], (*ctx.guard[2], *managed), ctx.guard[3]),
                    )
                )
                for item in node.items:  # type: ignore[attr-defined]
                    stack.append(item.context_expr)
                    if item.optional_vars is not None:
                        stack.append(item.optional_vars)
                continue
        elif (kind is ast.Try or kind is _TRY_STAR) and ctx.function is not None:
            if node.finalbody:  # type: ignore[attr-defined]
                depth, _, managed_names, lazy = ctx.guard
                stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
                stack.extend(reversed(node.finalbody))  # type: ignore[attr-defined]
                stack.append(
                    _Exit(
                        ctx.function,
                        ctx.in_async,
                        owner,
                        ctx.type_checking,
                        (depth, True, managed_names, lazy),
                    )
                )
                stack.extend(reversed(node.orelse))  # type: ignore[attr-defined]
                stack.extend(reversed(node.handlers))  # type: ignore[attr-defined]
                stack.extend(reversed(node.body))  # type: ignore[attr-defined]
                ctx.guard = (depth + 1, False, managed_names, lazy)
                continue
        elif kind is ast.Return:
            fn_now = ctx.function
            value = node.value  # type: ignore[attr-defined]
            if fn_now is not None and fn_now.returned is None and value is not None:
                fn_now.returned = dotted(value) or (
                    "<lambda>" if type(value) is ast.Lambda else "<expr>"
                )
        elif (kind is ast.Try or kind is _TRY_STAR) and ctx.function is None and not ctx.guard[3]:
            # module level: what a `try` guards may fail on purpose
            summary.conditional_blocks.append((node.lineno, node.end_lineno or node.lineno))  # type: ignore[attr-defined]
            stack.append(_Exit(ctx.function, ctx.in_async, owner, ctx.type_checking, ctx.guard))
            stack.extend(reversed(node.finalbody))  # type: ignore[attr-defined]
            stack.extend(reversed(node.orelse))  # type: ignore[attr-defined]
            stack.extend(reversed(node.handlers))  # type: ignore[attr-defined]
            stack.extend(reversed(node.body))  # type: ignore[attr-defined]
            ctx.guard = (*ctx.guard[:3], True)
            continue
        elif kind is ast.ExceptHandler:
            if ctx.function is not None:
                facts = _handler_facts(node)  # type: ignore[arg-type]
                if facts is not None:
                    summary.handlers.append((ctx.function.qualname, *facts))
        elif kind is ast.comprehension:
            loop_target = node.target  # type: ignore[attr-defined]
            if ctx.function is not None and type(loop_target) is Name:
                ctx.function.local_types[loop_target.id] = ""  # bound by the loop: unknown
        elif kind is ast.For or kind is ast.AsyncFor:
            loop_target = node.target  # type: ignore[attr-defined]
            if ctx.function is not None and type(loop_target) is Name:
                ctx.function.local_types[loop_target.id] = ""  # rebound by the loop: unknown
            iterated = node.iter  # type: ignore[attr-defined]
            if ctx.function is not None and type(iterated) is Call:
                name = dotted(iterated)
                if name is not None:
                    # iterating a generator runs its body here, as `with` does
                    ctx.function.managed += (name,)
            target = node.target  # type: ignore[attr-defined]
            if (
                type(target) is Name
                and type(node.iter) in _SEQUENCE_NODES  # type: ignore[attr-defined]
                and _wires_in(node.body)  # type: ignore[attr-defined]
            ):
                where = ctx.function.qualname if ctx.function else None
                key = f"{where}:{target.id}" if where else target.id
                loops = summary.loops
                loops[key] = (*loops.get(key, ()), simple_value(node.iter))  # type: ignore[attr-defined]
        elif kind is ast.Yield or kind is ast.YieldFrom:
            if ctx.function is not None:
                fn_info = ctx.function
                if not fn_info.is_generator:
                    fn_info.is_generator = True
                    if node.value is not None:  # type: ignore[attr-defined]
                        fn_info.yields = dotted(node.value)  # type: ignore[attr-defined]
                    depth, _, managed_names, _ = ctx.guard
                    if depth:
                        fn_info.yield_guard = "finally"
                    elif fn_info.yields is not None and fn_info.yields in managed_names:
                        fn_info.yield_guard = "with"
                    elif managed_names:
                        fn_info.yield_guard = "with-other"

        elif kind is Constant or kind is ast.JoinedStr:
            if string_spans is not None and node.end_lineno != node.lineno:  # type: ignore[attr-defined]
                string_spans.append((node.lineno, node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]
            if kind is Constant:
                continue

        fields = child_fields.get(kind)
        if fields is None:
            # not every grammar field holds nodes (MatchSingleton.value is a bool)
            fields = child_fields[kind] = tuple(
                reversed([f for f in getattr(kind, "_fields", ()) if f not in _LEAF_FIELDS])
            )
        # fields come reversed, and statement lists are pushed reversed, so statements are
        # visited in source order; the order inside an expression does not matter
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                stack += reversed(value) if field in _STATEMENT_LISTS else value
            elif value is not None:
                stack.append(value)
    return summary


_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_TRACEBACK_CALLS = frozenset(
    {
        "exception",
        "aexception",
        "print_exc",
        "print_exception",
        "format_exc",
        "capture_exception",
        "opt",
    }
)
_LOG_METHODS = frozenset(
    {
        "error",
        "critical",
        "warning",
        "warn",
        "info",
        "debug",
        "log",
        "fatal",
        "aerror",
        "acritical",
        "awarning",
        "ainfo",
        "adebug",
    }
)


#: Calls that only turn the exception into text or a new error: they report nothing.
_FORMATTERS = frozenset({"str", "repr", "format", "type", "len", "isinstance", "getattr", "print"})
_RAISED = ("Response", "Exception", "Error")


def _handler_facts(handler: ast.ExceptHandler) -> tuple[int, int, str, str] | None:
    """What a broad ``except`` does: (line, column, outcome, logged), or None if not broad.

    outcome is "pass" (the error vanishes), "500" (a 500 response or HTTPException replaces
    it) or "other"; logged is "traceback", "message" or "none".
    """
    caught = handler.type
    if caught is not None:
        names = list(caught.elts) if isinstance(caught, ast.Tuple) else [caught]
        if not any((dotted(n) or "") in _BROAD for n in names):
            return None
    body = handler.body
    if all(
        isinstance(s, (ast.Pass, ast.Continue))
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in body
    ):
        outcome = "pass"
    else:
        outcome = "other"
    logged = "none"
    name = handler.name
    for node in (n for s in body for n in ast.walk(s)):
        if isinstance(node, ast.Raise) and node.exc is None:
            return None  # re-raised: somebody else reports it
        if isinstance(node, ast.Call):
            func = dotted(node.func) or ""
            tail = func.rpartition(".")[2]
            hands_over = name is not None and any(
                isinstance(a, ast.Name) and a.id == name for a in node.args
            )
            if tail in _TRACEBACK_CALLS or (
                tail in _LOG_METHODS and any(k.arg == "exc_info" for k in node.keywords)
            ):
                logged = "traceback"
            elif tail in _LOG_METHODS and logged == "none" and "." in func:
                logged = "message"
            elif (
                hands_over
                and tail not in _LOG_METHODS
                and func not in _FORMATTERS
                and not func.endswith(_RAISED)
            ):
                logged = "traceback"  # report_failure(exc): the helper may well log it
            elif outcome != "pass" and _is_server_error(node):
                outcome = "500"
    return handler.lineno, handler.col_offset, outcome, logged


def _is_server_error(call: ast.Call) -> bool:
    """``JSONResponse(status_code=500, ...)``, ``HTTPException(500, ...)`` and the like."""
    func = dotted(call.func) or ""
    if not func.endswith(("Response", "HTTPException")):
        return False
    values = [*call.args[:1], *(k.value for k in call.keywords if k.arg == "status_code")]
    for value in values:
        # 500 only: 502-504 name an upstream's failure, on purpose
        if isinstance(value, ast.Constant) and isinstance(value.value, int):
            return bool(value.value == 500)
        name = dotted(value) or ""
        if name.endswith("HTTP_500_INTERNAL_SERVER_ERROR"):
            return True
    return False


def _record_env_reads(value: ast.expr, summary: ModuleSummary) -> None:
    """Unconditional ``os.environ["X"]`` loads in a module-level assignment."""
    pending: list[ast.AST] = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.IfExp, ast.BoolOp, ast.Lambda, ast.comprehension)):
            continue  # evaluated only in some cases
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            base = dotted(node.value)
            if base is not None and base.endswith("environ"):
                key = simple_value(node.slice)
                summary.env_reads.append(
                    (base, key if isinstance(key, str) else None, node.lineno, node.col_offset)
                )
        pending.extend(ast.iter_child_nodes(node))


def _record_import(node: ast.Import | ast.ImportFrom, ctx: WalkContext, module_level: bool) -> None:
    summary = ctx.summary
    if ctx.function is not None:
        scope = "function"
    elif ctx.type_checking:
        scope = "type-checking"
    else:
        scope = "module"
    entries: list[ImportInfo] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                entries.append(
                    ImportInfo(
                        alias.name, None, alias.asname, 0, node.lineno, node.col_offset, scope
                    )
                )
            else:
                top = alias.name.split(".", 1)[0]
                entries.append(
                    ImportInfo(alias.name, None, top, 0, node.lineno, node.col_offset, scope, True)
                )
    else:
        module = node.module or ""
        for alias in node.names:
            entries.append(
                ImportInfo(
                    module,
                    alias.name,
                    alias.asname or alias.name,
                    node.level,
                    node.lineno,
                    node.col_offset,
                    scope,
                )
            )
    for entry in entries:
        index = len(summary.imports)
        summary.imports.append(entry)
        if entry.alias == "*":
            continue
        if ctx.function is not None:
            ctx.function.local_types[entry.alias] = f"import:{index}"
        elif module_level:
            summary.bindings[entry.alias] = ("import", index)


def _record_assign(  # noqa: PLR0915 - every assignment shape is recorded in one pass
    node: ast.Assign | ast.AnnAssign, ctx: WalkContext, owner: str | None, owner_is_class: bool
) -> None:
    value = node.value
    if isinstance(node, ast.Assign):
        targets = node.targets
        annotated: str | None = None
    else:
        targets = [node.target]
        annotated, _ = annotation_type(node.annotation)
        if annotated in _QUALIFIERS:
            annotated = None
    if (
        type(value) is ast.Subscript
        and ctx.function is None
        and owner is None
        and isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and type(node.targets[0]) is ast.Name
    ):
        alias_type, metadata = annotation_type(value)
        if metadata:  # DbSession = Annotated[Session, Depends(get_db)]
            ctx.summary.aliases[node.targets[0].id] = (alias_type, metadata)
    func = dotted(value.func) if type(value) is ast.Call else None
    instance = func + "()" if func is not None else None
    if type(value) is ast.Name and ctx.function is not None:
        aliased = ctx.function.local_types.get(value.id)  # f = ff: the same object
        instance = aliased if aliased and not aliased.startswith("import:") else None
    call: SimpleValue = None
    if func is not None and (ctx.function is None or func.endswith(_APP_FACTORIES)):
        call = simple_value(value)  # kept whole only where the project phase reads arguments
    if annotated:
        instance = annotated + "()"
    summary = ctx.summary
    if type(value) is ast.Call and digests(func.rpartition(".")[2] if func else ""):
        _record_hashed_targets(targets, summary)
    sequence: SimpleValue = None
    if type(value) in (ast.List, ast.Tuple) and len(value.elts) <= _MAX_SEQUENCE:  # type: ignore[union-attr]
        sequence = simple_value(value)  # routers to include in a loop, methods, dependencies
    for target in targets:
        kind = type(target)
        if kind is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            if isinstance(sequence, tuple) and (ctx.function is not None or owner is None):
                key = f"{ctx.function.qualname}:{name}" if ctx.function is not None else name
                summary.sequences[key] = sequence
            if ctx.function is not None:
                if value is not None and builds_text(value):
                    # msg = f"... {password}"; logger.info(msg): follow the message
                    shown = mentions(ast.Call(func=ast.Name("_"), args=[value], keywords=[]))
                    if shown:
                        summary.text_flows.append((ctx.function.qualname, name, shown))
                if value is not None and derived_value(value):
                    summary.derived_locals.append((ctx.function.qualname, name))
                key = read_key(value) if value is not None else None
                if key is not None:  # token = data.get("token"): as the project stores it
                    summary.key_locals.append((ctx.function.qualname, name, key))
                if instance:
                    ctx.function.local_types[name] = instance
                else:
                    ctx.function.local_types[name] = ""  # rebound to something untyped
                if isinstance(call, CallRef) and call.func.endswith(_APP_FACTORIES):
                    # an app or router built inside a factory function
                    summary.assigned_calls[f"{ctx.function.qualname}:{name}"] = call
            elif owner is None:
                if not ctx.guard[3] and value is not None and summary.mentions_environ:
                    _record_env_reads(value, summary)
                if value is not None and derived_value(value):
                    summary.derived_locals.append(("", name))  # "": module level
                summary.bindings[name] = ("value", instance)
                if isinstance(call, CallRef):
                    summary.assigned_calls[name] = call
                elif type(value) is ast.Constant and isinstance(value.value, (str, int)):
                    summary.constants[name] = value.value
            elif owner_is_class and instance:
                summary.classes[owner].attr_types.setdefault(name, instance)
        elif kind is ast.Attribute and target.attr == "propagate":  # type: ignore[attr-defined]
            if isinstance(value, ast.Constant) and value.value is False:
                owner_name = dotted(target.value)  # type: ignore[attr-defined]
                if owner_name is not None:
                    summary.propagate_off.append((owner_name, target.lineno, target.col_offset))
        elif kind is ast.Attribute and func is not None and ".state." in f"{dotted(target)}.":
            # app.state.db = SessionLocal(): an object shared by every request
            where = ctx.function.qualname if ctx.function is not None else None
            summary.state_assigns.append(
                (where, dotted(target) or "", func, target.lineno, target.col_offset)
            )
        elif kind is ast.Attribute and instance and ctx.function is not None:
            base = target.value  # type: ignore[attr-defined]
            cls = ctx.function.class_name
            if cls and type(base) is ast.Name and base.id in ("self", "cls"):
                summary.classes[cls].attr_types[target.attr] = instance  # type: ignore[attr-defined]
        elif kind is ast.Tuple:
            for elt in target.elts:  # type: ignore[attr-defined]
                if type(elt) is ast.Name and ctx.function is None and owner is None:
                    summary.bindings.setdefault(elt.id, ("value", None))


def _record_secret_facts(node: ast.Call, callee: str, method: str, ctx: WalkContext) -> None:
    """Facts the secret and logging rules need about one call."""
    summary = ctx.summary
    fn_now = ctx.function
    for keyword in node.keywords:
        # Key(token=hash_token(raw)): the project keeps hashes in fields named `token`
        value = keyword.value
        if keyword.arg and type(value) is ast.Call:
            func = dotted(value.func)
            if func is not None and digests(func.rpartition(".")[2]):
                summary.hashed_fields.append(keyword.arg)
    if fn_now is not None:
        reference = secret_reference(callee, node)
        if reference is not None:
            summary.derived_locals.append((fn_now.qualname, reference))
    elif method == "addHandler":
        receiver = root_handler(node)
        if receiver is not None:
            kind, name = receiver
            summary.module_handlers.append((kind, name, node.lineno, node.col_offset))


def _record_hashed_targets(targets: Sequence[ast.expr], summary: ModuleSummary) -> None:
    """``key.token = hash_token(raw)`` and ``data["token"] = hash_token(raw)``."""
    for target in targets:
        if type(target) is ast.Attribute:
            summary.hashed_fields.append(target.attr)
        elif type(target) is ast.Subscript:
            key = target.slice
            if type(key) is ast.Constant and isinstance(key.value, str):
                summary.hashed_fields.append(key.value.lower().replace("-", "_"))
