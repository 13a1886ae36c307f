"""Generated Python, and junk that is not Python, never crash the analyzer.

The source generator composes modules from the constructs the walker and the resolver treat
specially: imports and aliases (relative ones and cycles between the generated modules
included), nested sync and async functions, classes and ``self`` attributes, lambdas,
comprehensions, ``with``, ``try``, ``match``, decorators, awaited calls and task creation,
with names the blocking catalogue knows. Every module compiles.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from checking import check, write
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fastapi_medic.findings import Report
from fastapi_medic.registry import get_rule

NAMES = [
    "time",
    "requests",
    "httpx",
    "asyncio",
    "subprocess",
    "os",
    "pathlib",
    "sqlite3",
    "boto3",
    "client",
    "session",
    "loop",
    "tg",
    "sleep",
    "open",
    "app",
    "router",
    "helpers",
    "models",
    "x",
    "y",
    "Service",
    "db",
    "task",
    "background",
    "Path",
    "print",
    "self",
    "cls",
    "pkg",
]
ATTRS = [
    "get",
    "post",
    "sleep",
    "run",
    "system",
    "create_task",
    "ensure_future",
    "Client",
    "AsyncClient",
    "Session",
    "read_text",
    "execute",
    "client",
    "loop",
    "get_running_loop",
    "add",
    "state",
    "headers",
    "update",
    "cursor",
    "connect",
    "include_router",
    "add_api_route",
    "Depends",
    "APIRouter",
    "FastAPI",
    "TaskGroup",
    "to_thread",
    "app",
    "mod",
    "helpers",
]
MODULES = [
    "app",
    "helpers",
    "pkg",
    "pkg.mod",
    "pkg.sub.deep",
    "time",
    "requests",
    "httpx",
    "asyncio",
    "subprocess",
    "fastapi",
    "sqlalchemy.orm",
    "os.path",
    "typing",
]
FILES = ["app.py", "helpers.py", "pkg/__init__.py", "pkg/mod.py", "pkg/sub/deep.py", "src/lib.py"]
ANNOTATIONS = [
    "",
    ": httpx.Client",
    ": Annotated[Session, Depends(get_db)]",
    ": 'httpx.AsyncClient'",
    ": int | None",
    ": object",
]
DEFAULTS = ["", " = None", " = Depends(get_db)", " = requests.Session()"]
PARAMS = ["a", "b", "c", "request", "client", "session", "requests", "time", "db", "tg"]

names = st.sampled_from(NAMES)
attrs = st.sampled_from(ATTRS)


@dataclass(frozen=True)
class Scope:
    """Where the generated code goes: what is legal there."""

    function: bool = False
    is_async: bool = False
    generator: bool = False
    klass: bool = False


MODULE = Scope()


@st.composite
def dotted(draw: st.DrawFn) -> str:
    return ".".join([draw(names), *draw(st.lists(attrs, max_size=3))])


literals = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.text(st.characters(codec="utf-8"), max_size=8).map(repr),
    st.sampled_from(["None", "True", "...", "b'\\x00'", "1.5", "3j", "'''a\nb # noqa'''"]),
)


@st.composite
def expressions(draw: st.DrawFn, depth: int, scope: Scope) -> str:
    if depth <= 0:
        return draw(st.one_of(names, dotted(), literals))
    sub = expressions(depth - 1, scope)
    sync = expressions(depth - 1, replace(scope, is_async=False))
    kind = draw(st.integers(0, 13))
    if kind == 0:
        return draw(st.one_of(names, dotted(), literals))
    if kind in (1, 2, 3):  # calls: the most interesting node
        func = draw(st.one_of(dotted(), sub.map(lambda e: f"({e})")))
        args = draw(st.lists(sub, max_size=3))
        kwargs = draw(
            st.lists(
                st.tuples(st.sampled_from(PARAMS), sub), max_size=2, unique_by=lambda kv: kv[0]
            )
        )
        return f"{func}({', '.join([*args, *(f'{k}={v}' for k, v in kwargs)])})"
    if kind == 4:
        return f"({draw(sub)}).{draw(attrs)}"
    if kind == 5:
        return f"({draw(sub)})[{draw(sub)}]"
    if kind == 6:
        op = draw(st.sampled_from(["+", "-", "*", "and", "or", "==", "is not", "in", "|", "@"]))
        return f"({draw(sub)} {op} {draw(sub)})"
    if kind == 7:
        params = ", ".join(draw(st.lists(st.sampled_from(PARAMS), max_size=2, unique=True)))
        return f"(lambda {params}: {draw(sync)})"
    if kind == 8:
        comp = draw(
            st.sampled_from(
                [
                    "[{e} for {v} in {i}]",
                    "{{{e} for {v} in {i} if {v}}}",
                    "({e} for {v} in {i})",
                    "{{{v}: {e} for {v} in {i}}}",
                ]
            )
        )
        return comp.format(e=draw(sub), v=draw(st.sampled_from(PARAMS)), i=draw(sub))
    if kind == 9:
        return "(" + ", ".join(draw(st.lists(sub, min_size=2, max_size=3))) + ")"
    if kind == 10:
        return (
            "{"
            + ", ".join(f"{draw(sub)}: {draw(sub)}" for _ in range(draw(st.integers(0, 2))))
            + "}"
        )
    if kind == 11:  # only names inside: before 3.12 a quote in a replacement field ends it
        return f"f'{{{draw(dotted())}!r}} text {{{draw(dotted())}({draw(names)})}}'"
    if kind == 12 and scope.is_async:
        return f"(await {draw(sub)})"
    return f"({draw(sub)} if {draw(sub)} else {draw(sub)})"


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def imports(draw: st.DrawFn, scope: Scope) -> str:
    module = draw(st.sampled_from(MODULES))
    alias = draw(st.sampled_from(NAMES[:-3]))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return f"import {module}"
    if kind == 1:
        return f"import {module} as {alias}"
    if kind == 2:
        return f"from {module} import {draw(attrs)} as {alias}"
    if kind == 3:
        dots = "." * draw(st.integers(1, 2))
        tail = draw(st.sampled_from(["", "mod", "sub", "helpers"]))
        return f"from {dots}{tail} import {alias}"
    if scope.function or scope.klass:
        return f"from {module} import {alias}"
    return f"from {module} import *"


@st.composite
def blocks(draw: st.DrawFn, depth: int, scope: Scope) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 2 if depth < 3 else 4))):
        out += draw(statements(depth, scope))
    return out


@st.composite
def functions(draw: st.DrawFn, depth: int, scope: Scope) -> list[str]:
    is_async = draw(st.booleans())
    generator = not is_async and draw(st.booleans())
    inner = Scope(function=True, is_async=is_async, generator=generator)
    decorators = [
        f"@{d}" for d in draw(st.lists(st.one_of(dotted(), expressions(1, scope)), max_size=2))
    ]
    params = draw(st.lists(st.sampled_from(PARAMS), max_size=3, unique=True))
    if scope.klass:
        params = ["self", *params]
    rendered: list[str] = []
    defaulted = False  # after a parameter with a default, every one needs one
    for name in params:
        annotation = draw(st.sampled_from(ANNOTATIONS))
        default = draw(st.sampled_from(DEFAULTS))
        if name == "self":
            annotation = default = ""
        elif defaulted and not default:
            default = " = None"
        defaulted = defaulted or bool(default)
        rendered.append(f"{name}{annotation}{default}")
    keyword = "async def" if is_async else "def"
    name = draw(st.sampled_from(["handler", "fetch", "sleep", "open", "get", "__init__", "run"]))
    body = draw(blocks(depth - 1, inner))
    if generator:
        body.append(f"yield {draw(expressions(1, inner))}")
    return [*decorators, f"{keyword} {name}({', '.join(rendered)}):", *_indent(body)]


@st.composite
def statements(draw: st.DrawFn, depth: int, scope: Scope) -> list[str]:
    kind = draw(st.integers(0, 16 if depth > 0 else 6))
    expr = expressions(2 if kind < 5 else 1, scope)
    comment = draw(
        st.sampled_from(["", "", "", "  # noqa", "  # noqa: MED101", "  # noqa: MED105, E501"])
    )
    if kind == 0:
        return [draw(expr) + comment]
    if kind == 1:
        target = draw(
            st.sampled_from(["x", "client", "session", "self.client", "a, b", "time", "loop", "tg"])
        )
        if target.startswith("self.") and not scope.function:
            target = "client"
        return [f"{target} = {draw(expr)}{comment}"]
    if kind == 2:
        return [draw(imports(scope)) + comment]
    if kind == 3:
        return [f"{draw(st.sampled_from(['x', 'client']))}: {draw(dotted())} = {draw(expr)}"]
    if kind == 4:
        factory = draw(
            st.sampled_from(
                [
                    "asyncio.create_task",
                    "asyncio.ensure_future",
                    "loop.create_task",
                    "tg.create_task",
                    "create_task",
                ]
            )
        )
        return [f"{factory}({draw(expr)}){comment}"]
    if kind == 5:
        return (
            ["pass"]
            if not scope.function
            else [f"return {draw(expr)}" if not (scope.is_async and scope.generator) else "return"]
        )
    if kind == 6:
        return (
            [f"del {draw(st.sampled_from(['x', 'client']))}"] if draw(st.booleans()) else ["pass"]
        )
    if kind in (7, 8):
        return draw(functions(depth, scope))
    if kind == 9:
        bases = ", ".join(draw(st.lists(dotted(), max_size=2)))
        body = draw(blocks(depth - 1, Scope(klass=True)))
        return [
            f"class {draw(st.sampled_from(['Service', 'Client', 'Base']))}({bases}):",
            *_indent(body),
        ]
    if kind == 10:
        keyword = "async with" if scope.is_async and draw(st.booleans()) else "with"
        target = draw(st.sampled_from(["", " as c", " as client", " as tg", " as time"]))
        return [f"{keyword} {draw(expr)}{target}:", *_indent(draw(blocks(depth - 1, scope)))]
    if kind == 11:
        return [
            "try:",
            *_indent(draw(blocks(depth - 1, scope))),
            "except (OSError, ValueError) as requests:",
            *_indent(draw(blocks(depth - 1, scope))),
            "finally:",
            *_indent(draw(blocks(depth - 1, scope))),
        ]
    if kind == 12:
        return [
            f"if {draw(expr)}:",
            *_indent(draw(blocks(depth - 1, scope))),
            "else:",
            *_indent(draw(blocks(depth - 1, scope))),
        ]
    if kind == 13:
        keyword = "async for" if scope.is_async and draw(st.booleans()) else "for"
        target = draw(st.sampled_from(["x", "client", "requests", "(a, b)"]))
        return [f"{keyword} {target} in {draw(expr)}:", *_indent(draw(blocks(depth - 1, scope)))]
    if kind == 14:
        return [
            f"match {draw(expr)}:",
            "    case [x, *rest] if x:",
            *_indent(_indent(draw(blocks(depth - 1, scope)))),
            "    case {'k': client}:",
            *_indent(_indent(draw(blocks(depth - 1, scope)))),
            "    case Service(a=1) | None:",
            "        pass",
            "    case _:",
            "        pass",
        ]
    if kind == 15:
        return [f"while {draw(expr)}:", *_indent(draw(blocks(depth - 1, scope))), "    break"]
    return [f"if (x := {draw(expr)}):", *_indent(draw(blocks(depth - 1, scope)))]


@st.composite
def modules(draw: st.DrawFn) -> str:
    lines = draw(blocks(3, MODULE))
    source = "\n".join(lines) + "\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # `"text"(1)` compiles, with a warning
        try:
            compile(source, "generated.py", "exec", dont_inherit=True)
        except SyntaxError:
            assume(False)
    return source


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    paths = draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=4, unique=True))
    return {path: draw(modules()) for path in paths}


def _fresh(base: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=base))


def _assert_sane(report: Report, files: dict[str, bytes | str]) -> None:
    assert report.files == len(files)
    for finding in report.findings:
        assert get_rule(finding.code) is not None, finding.code
        assert "\n" not in finding.message
        location = finding.location
        assert location is not None, finding
        assert location.path in files, location.path
        content = files[location.path]
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        # splitlines() knows more line breaks than Python does: an upper bound
        assert 1 <= location.line <= len(text.splitlines()) + 1, finding
        assert location.column >= 0, finding
        if location.end_line is not None:
            assert location.end_line >= location.line, finding


FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,  # a failure prints its example; nothing is replayed from disk
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(files=projects())
def test_generated_python_never_crashes(base: Path, files: dict[str, str]) -> None:
    root = write(_fresh(base), files)

    report = check(root, "ALL", "MED903")

    _assert_sane(report, dict(files))
    assert [f for f in report.findings if f.code in ("MED901", "MED902")] == []


@settings(FUZZ, max_examples=20)
@given(files=projects())
def test_generated_python_gives_the_same_findings_from_the_cache(
    base: Path, files: dict[str, str]
) -> None:
    root = write(_fresh(base), files)

    cold = check(root, "ALL", "MED903", use_cache=True)
    warm = check(root, "ALL", "MED903", use_cache=True)

    assert warm.findings == cold.findings
    assert warm.silenced == cold.silenced


JUNK = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from(
        [
            b"\x00",
            b"\xff\xfe",
            b"\xef\xbb\xbf",
            b"# -*- coding: latin-1 -*-\n",
            b"# coding: utf-8\n",
            b"\xe9",
            b"\r",
            b"\t",
            b"\x0c",
            b"(",
            b")",
            b"'''",
            b"\\\n",
            b"async ",
            b"def f(",
            b"):\n",
            b"    ",
            b"lambda: ",
            b"await ",
            b"f'{",
            b"}'",
            b"# noqa: MED101\n",
            b"import time\n",
            b"time.sleep(1)\n",
        ]
    ),
    st.integers(1, 3000).map(lambda n: b"x = " + b"(" * n + b"1" + b")" * n + b"\n"),
    st.integers(1, 3000).map(lambda n: b"x = " + b"[" * n + b"]" * n + b"\n"),
    st.integers(1, 200_000).map(lambda n: b"x = '" + b"a" * n + b"'\n"),
    st.integers(1, 2000).map(lambda n: b"x = a" + b".b" * n + b"\n"),
    st.integers(1, 900).map(lambda n: b"async def f():\n    " + b"a()" + b".b()" * n + b"\n"),
)


@settings(FUZZ, max_examples=150)
@given(parts=st.lists(JUNK, min_size=1, max_size=6))
def test_junk_bytes_are_a_finding_or_clean(base: Path, parts: list[bytes]) -> None:
    content = b"".join(parts)
    root = write(_fresh(base), {"junk.py": content})

    report = check(root, "ALL", "MED903")

    _assert_sane(report, {"junk.py": content})


@settings(FUZZ, max_examples=50)
@given(
    source=modules(),
    position=st.floats(0, 1),
    insert=st.sampled_from([b"\x00", b"\xff", b"(", b"'''", b"\n    ", b"\\", b"\xe9t\xe9", b":"]),
)
def test_damaged_python_is_a_finding_or_clean(
    base: Path, source: str, position: float, insert: bytes
) -> None:
    data = source.encode()
    at = int(len(data) * position)
    content = data[:at] + insert + data[at:]
    root = write(_fresh(base), {"app.py": content})

    report = check(root, "ALL", "MED903")

    _assert_sane(report, {"app.py": content})
