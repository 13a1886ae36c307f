"""MED3xx, dependencies: objects built once in parameter defaults, and `Depends` misuse."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Applicability, Cause, Edit, Finding, Fix, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import CallRef, FunctionInfo, Param
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["CallInDependencyDefault", "DependencyCalledNotPassed", "ParameterTypeNotInjectable"]

#: FastAPI's parameter markers: a call of one of these as a default is how FastAPI is used.
MARKERS = frozenset(
    {
        "Depends",
        "Security",
        "Query",
        "Path",
        "Body",
        "Header",
        "Cookie",
        "Form",
        "File",
        "Param",
        "Field",
    }
)
#: Calls whose result is immutable or cheap: evaluating them once is harmless.
IMMUTABLE = frozenset(
    {
        "frozenset",
        "tuple",
        "int",
        "float",
        "str",
        "bytes",
        "bool",
        "complex",
        "range",
        "Decimal",
        "Fraction",
        "UUID",
        "timedelta",
        "date",
        "time",
        "datetime",
        "PurePath",
        "PurePosixPath",
        "re.compile",
        "compile",
        "getenv",
        "object",
        "Enum",
        "IntEnum",
    }
)


def _is_marker(ctx: ProjectContext, rel: str, fn: FunctionInfo, func: str) -> bool:
    """A FastAPI marker, or a project function that returns one (``LimitBody()``)."""
    tail = func.rpartition(".")[2]
    if tail in MARKERS:
        return True
    symbol = ctx.project.resolve(rel, fn, func)
    if symbol is None:
        return False
    if symbol.kind == "external":
        return symbol.external.startswith(("fastapi.", "starlette.", "pydantic."))
    if symbol.kind == "function":
        provider = ctx.project.function(symbol.rel, symbol.qualname)
        returned = provider.returned if provider is not None else None
        if returned is not None and returned.endswith("()"):
            return returned[:-2].rpartition(".")[2] in MARKERS
    return False


def _is_immutable(ctx: ProjectContext, rel: str, fn: FunctionInfo, func: str) -> bool:
    if func in IMMUTABLE or func.rpartition(".")[2] in IMMUTABLE:
        return True
    symbol = ctx.project.resolve(rel, fn, func)
    if symbol is None or symbol.kind != "class":
        return False
    # an Enum member lookup by value (Color("red")) is immutable too
    for _owner, info in ctx.project.mro(symbol.rel, symbol.qualname):
        if any(base.rpartition(".")[2] in ("Enum", "IntEnum", "StrEnum") for base in info.bases):
            return True
    return False


class CallInDependencyDefault(StaticRule):
    """An object built once in a parameter default of a route or dependency.

    ## What it does
    Checks for calls in the parameter defaults of route endpoints and dependencies
    (`repo: Repo = Repo()`, `client=httpx.Client()`, `settings=Settings()`). FastAPI's own
    markers (`Depends`, `Security`, `Query`, `Path`, `Body`, `Header`, `Cookie`, `Form`,
    `File`), `Annotated[...]` metadata, literals and immutable values (`frozenset()`,
    `timedelta(...)`, enum members) are never reported, so unlike Ruff's B008 this rule is
    silent on correct FastAPI code.

    ## Why it matters
    Python evaluates a default once, at import. FastAPI does not inject such a parameter:
    it treats it as a query or body field with a strange default, deep-copies that default
    for each request, or shares one object between all requests, so state leaks between
    users, clients are bound to the first event loop, and settings are frozen before the
    environment is read. A typical symptom is `TypeError: missing argument` or a 500 from
    `cannot pickle` when FastAPI copies the default.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()


    class PricingService:
        def quote(self, sku: str) -> float:
            return 9.99


    @app.get("/quote/{sku}")
    def quote(sku: str, pricing=PricingService()):
        return {"price": pricing.quote(sku)}
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI

    app = FastAPI()


    class PricingService:
        def quote(self, sku: str) -> float:
            return 9.99


    @app.get("/quote/{sku}")
    def quote(sku: str, pricing: PricingService = Depends(PricingService)):
        return {"price": pricing.quote(sku)}
    ```

    ## Fix safety
    `param=Cls()` becomes `param=Depends(Cls)` (with `Depends` imported when missing) when
    the call has no arguments. The fix is unsafe: each request now gets its own instance
    where all requests shared one before.
    """

    code = "MED301"
    name = "call-in-dependency-default"
    severity = Severity.ERROR
    cause = Cause.DEPENDENCY_SIGNATURE
    tags = frozenset({"fastapi", "dependencies"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report non-marker calls in the defaults of endpoints and dependencies."""
        for rel, qualname in sorted(ctx.endpoints | ctx.dependency_functions):
            fn = ctx.project.function(rel, qualname)
            if fn is None:
                continue
            for param in fn.params:
                default = param.default
                if not isinstance(default, CallRef):
                    continue
                if _is_marker(ctx, rel, fn, default.func) or _is_immutable(
                    ctx, rel, fn, default.func
                ):
                    continue
                role = "route" if (rel, qualname) in ctx.endpoints else "dependency"
                yield self.finding(
                    f"`{param.name}={default.func}()` is built once at import, not per request",
                    location=Location(rel, param.line, param.column),
                    fix=f"Use `{param.name}: Annotated[{default.func}, Depends({default.func})]` "
                    "or a provider function",
                    subject=ctx.route_label(rel, fn) or f"{role} {fn.qualname}",
                    autofix=_depends_fix(ctx, rel, param, default),
                )


def _depends_fix(ctx: ProjectContext, rel: str, param: Param, default: CallRef) -> Fix | None:
    if default.args or default.kwargs:
        return None
    summary = ctx.project.modules[rel]
    source_line = default.line
    if source_line != param.line:
        return None
    edits = []
    depends = ctx.project.resolve(rel, None, "Depends")
    if depends is None or depends.external != "fastapi.Depends":
        if "Depends" in summary.bindings:
            return None
        edits.append(
            Edit(
                rel, summary.import_line, 0, summary.import_line, 0, "from fastapi import Depends\n"
            )
        )
    text = f"{default.func}()"
    # The default sits after `name=` or `name: T = ` on the parameter's line; the fixer
    # checks the exact text before it edits anything.
    return _with_default_edit(rel, param, text, f"Depends({default.func})", edits)


def _with_default_edit(rel: str, param: Param, old: str, new: str, edits: list[Edit]) -> Fix | None:
    # The column of the default is not recorded; the fixer locates `old` on the line.
    edits.append(Edit(rel, param.line, -1, param.line, -1, new, original=old))
    return Fix(tuple(edits), Applicability.UNSAFE)


class DependencyCalledNotPassed(StaticRule):
    """A dependency called where it should be passed, or driven by hand.

    ## What it does
    Checks for `Depends(get_db())` (the provider called instead of passed) and for
    `next(get_db())` on a generator dependency.

    ## Why it matters
    `Depends(get_db())` calls the provider once at import and hands FastAPI its result: a
    generator object or a session shared by every request, and FastAPI then fails with
    `TypeError` or injects the same object each time. `next(get_db())` takes the session out
    of the generator and never resumes it, so its `finally` block (the `close()`) never
    runs: one connection leaks per call.

    ## Example
    ```python
    from fastapi import Depends, FastAPI

    app = FastAPI()


    def get_settings() -> dict:
        return {"region": "eu"}


    @app.get("/region")
    def region(settings: dict = Depends(get_settings())):
        return settings
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI

    app = FastAPI()


    def get_settings() -> dict:
        return {"region": "eu"}


    @app.get("/region")
    def region(settings: dict = Depends(get_settings)):
        return settings
    ```
    """

    code = "MED302"
    name = "dependency-called-not-passed"
    severity = Severity.ERROR
    cause = Cause.DEPENDENCY_SIGNATURE
    tags = frozenset({"fastapi", "dependencies"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report ``Depends(provider())`` and ``next(generator_dependency())``."""
        model = ctx.project
        seen: set[tuple[str, int]] = set()
        for rel, where, call in _depends_calls(ctx):
            if (rel, call.line) in seen:
                continue
            summary = model.modules[rel]
            fn = summary.functions.get(where) if where else None
            tail = call.func.rpartition(".")[2]
            inner = call.args[0] if call.args else None
            if not isinstance(inner, CallRef):
                continue
            target = model.resolve(rel, fn, inner.func)
            if target is None or target.kind != "function":
                continue  # Depends(Checker(scope="admin")): a callable instance is fine
            if tail in ("Depends", "Security"):
                provider = model.function(target.rel, target.qualname)
                if provider is None or not _called_provider_is_wrong(
                    model, target.rel, provider, inner
                ):
                    continue
                seen.add((rel, call.line))
                yield self.finding(
                    f"`{tail}({inner.func}())` calls the provider once at import",
                    location=Location(rel, call.line, call.column),
                    fix=f"Pass the provider itself: `{tail}({inner.func})`",
                )
            else:
                provider = model.function(target.rel, target.qualname)
                if provider is None or not provider.is_generator:
                    continue
                if (target.rel, target.qualname) not in ctx.dependency_functions:
                    continue
                seen.add((rel, call.line))
                yield self.finding(
                    f"`{tail}({inner.func}())` never resumes the dependency; it leaks",
                    location=Location(rel, call.line, call.column),
                    fix="Inject it with `Depends`, or use the generator in a `with` block",
                )


def _depends_calls(ctx: ProjectContext) -> Iterable[tuple[str, str | None, CallRef]]:
    """``Depends(...)``/``Security(...)``/``next(...)`` calls: in code, and in parameters."""
    for rel, summary in ctx.project.modules.items():
        for where, call in summary.arg_calls:
            if call.func.rpartition(".")[2] in ("Depends", "Security", "next", "anext"):
                yield rel, where, call
        for fn in summary.functions.values():
            for param in fn.params:
                for value in (param.default, *param.metadata):
                    if isinstance(value, CallRef) and value.func.rpartition(".")[2] in (
                        "Depends",
                        "Security",
                    ):
                        yield rel, fn.parent, value


def _called_provider_is_wrong(
    model: object, rel: str, provider: FunctionInfo, inner: CallRef
) -> bool:
    """True when ``Depends(provider())`` hands FastAPI a value instead of a callable.

    A generator provider always is; a factory that returns a nested function or lambda
    (``Depends(filter_param_factory(...))``) is the intended pattern.
    """
    from fastapi_medic.static.project import Project

    if provider.is_generator:
        return True
    if inner.args or inner.kwargs or not isinstance(model, Project):
        return False
    returned = provider.returned
    if returned is None:
        return False
    summary = model.modules.get(rel)
    nested = summary is not None and f"{provider.qualname}.{returned}" in summary.functions
    return not nested and returned != "<lambda>" and not returned.endswith("()")


#: Types FastAPI cannot build from a request: a parameter of one of them needs `Depends`.
UNINJECTABLE = {
    "sqlalchemy.orm.Session": "a SQLAlchemy session",
    "sqlalchemy.ext.asyncio.AsyncSession": "a SQLAlchemy session",
    "sqlalchemy.engine.Engine": "a SQLAlchemy engine",
    "sqlalchemy.ext.asyncio.AsyncEngine": "a SQLAlchemy engine",
    "httpx.Client": "an HTTP client",
    "httpx.AsyncClient": "an HTTP client",
    "requests.Session": "an HTTP client",
    "redis.Redis": "a Redis client",
    "redis.asyncio.Redis": "a Redis client",
}


class ParameterTypeNotInjectable(StaticRule):
    """A route or dependency parameter whose type FastAPI cannot provide.

    ## What it does
    Checks for parameters of endpoints and dependencies annotated with a resource type,
    such as a SQLAlchemy `Session`, an engine or an HTTP client, with no `Depends(...)`
    default and no `Annotated[..., Depends(...)]` marker.

    ## Why it matters
    FastAPI reads such a parameter as a request field and cannot build a schema for it:
    the app fails at import with `FastAPIError: Invalid args for response field`, or, for
    a dependency called by hand, with `TypeError: missing argument`. The annotation alone
    never injects anything; the provider has to be named.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    app = FastAPI()


    @app.get("/count")
    def count(db: Session):
        return db.execute(text("select 1")).scalar_one()
    ```

    Use instead:
    ```python
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    SessionLocal = sessionmaker(bind=create_engine("sqlite:///app.db"))
    app = FastAPI()


    def get_db():
        with SessionLocal() as db:
            yield db


    @app.get("/count")
    def count(db: Annotated[Session, Depends(get_db)]):
        return db.execute(text("select 1")).scalar_one()
    ```
    """

    code = "MED305"
    name = "parameter-type-not-injectable"
    severity = Severity.ERROR
    cause = Cause.DEPENDENCY_SIGNATURE
    tags = frozenset({"fastapi", "dependencies"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report resource-typed parameters that nothing injects."""
        for rel, qualname in sorted(ctx.endpoints | ctx.dependency_functions):
            fn = ctx.project.function(rel, qualname)
            if fn is None:
                continue
            for param in fn.params:
                if not param.annotation or param.metadata or param.has_default:
                    continue
                if param.name in ("self", "cls"):
                    continue
                symbol = ctx.project.resolve(rel, None, param.annotation)
                if symbol is None or symbol.kind != "external":
                    continue
                what = UNINJECTABLE.get(symbol.external)
                if what is None:
                    continue
                _, metadata = ctx.project.alias_metadata(rel, fn, param.annotation)
                if metadata:
                    continue
                yield self.finding(
                    f"`{param.name}: {param.annotation}` is {what}; FastAPI cannot inject it",
                    location=Location(rel, param.line, param.column),
                    fix=f"Use `Annotated[{param.annotation}, Depends(provider)]`",
                    subject=ctx.route_label(rel, fn),
                )
