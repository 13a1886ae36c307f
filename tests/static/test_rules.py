"""Each rule against its fixture: the findings must be exactly the ``# expect:`` lines.

A fixture is ``fixtures/MEDnnn.py``, or a directory ``fixtures/MEDnnn_<what>/`` holding a
small project; a project named ``MEDnnn_clean`` must give no finding of that code (for rules
that judge a whole project, where flagged and clean cases cannot share one).

A line that must be flagged ends with ``# expect: MEDnnn`` or, to pin the column too,
``# expect: MEDnnn:col``; several findings on one line are written
``# expect: MED101, MED101``. Every other line, clean look-alikes included, must stay clean.
Only the fixture's own code and the codes named in its markers are compared, so a new rule
does not break the fixtures of the others.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
from checking import TEST_CODES, check, lines, write

from fastapi_medic.catalog import load_catalog
from fastapi_medic.findings import Finding
from fastapi_medic.registry import get_rule
from fastapi_medic.static.walker import StaticRule

FIXTURES = Path(__file__).parent / "fixtures"
_FIXTURE = re.compile(r"^(?P<code>MED\d{3})(?:_[A-Za-z0-9_]+)?(?:\.py)?$")
_EXPECT = re.compile(r"#\s*expect:(?P<marks>.*)$")
_MARK = re.compile(r"\b(?P<code>MED\d{3})(?::(?P<column>\d+))?")
#: Rules whose inputs cannot be fixture files; test_bad_files.py covers them.
_NO_FIXTURE = frozenset({"MED901", "MED902", "MED904"})

Key = tuple[str, str, int, int]  # code, path, line, column (-1: any column)


def _fixtures() -> list[Path]:
    return sorted(
        path
        for path in FIXTURES.iterdir()
        if _FIXTURE.match(path.name) and (path.is_dir() or path.suffix == ".py")
    )


def _code_of(fixture: Path) -> str:
    match = _FIXTURE.match(fixture.name)
    assert match is not None
    return match.group("code")


def _expected(root: Path) -> Counter[Key]:
    expected: Counter[Key] = Counter()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(text)
            if match is None:
                continue
            marks = list(_MARK.finditer(match.group("marks")))
            assert marks, f"{rel}:{number}: `# expect:` names no code"
            for mark in marks:
                column = mark.group("column")
                expected[
                    (mark.group("code"), rel, number, -1 if column is None else int(column))
                ] += 1
    pinned = {key[:3] for key in expected if key[3] >= 0}
    loose = {key[:3] for key in expected if key[3] < 0}
    assert not pinned & loose, (
        f"pin the column of every marker of a line, or none: {pinned & loose}"
    )
    return expected


def _actual(findings: Iterable[Finding], expected: Counter[Key], codes: set[str]) -> Counter[Key]:
    pinned = {key[:3] for key in expected if key[3] >= 0}
    actual: Counter[Key] = Counter()
    for finding in findings:
        if finding.code not in codes:
            continue
        assert finding.location is not None, finding
        loc = finding.location
        column = loc.column if (finding.code, loc.path, loc.line) in pinned else -1
        actual[(finding.code, loc.path, loc.line, column)] += 1
    return actual


def _copy(fixture: Path, root: Path) -> None:
    if fixture.is_dir():
        shutil.copytree(
            fixture, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        shutil.copy(fixture, root / fixture.name)


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda path: path.name)
def test_findings_are_exactly_the_expect_lines_of_the_fixture(fixture: Path, project: Path) -> None:
    code = _code_of(fixture)
    rule = get_rule(code)
    assert rule is not None, f"{fixture.name}: no rule {code} is registered"
    _copy(fixture, project)
    expected = _expected(project)
    if fixture.name.endswith("_clean"):
        assert not expected, f"{fixture.name} is a clean project: it has no expect lines"
    else:
        assert expected, f"{fixture.name} has no `# expect: {code}` line"
    codes = {code} | {key[0] for key in expected}
    # Preview rules run only when named, so every compared code is named.
    report = check(project, "ALL", *sorted(codes))

    actual = _actual(report.findings, expected, codes)

    missing = sorted((expected - actual).elements())
    unexpected = sorted((actual - expected).elements())
    assert (missing, unexpected) == ([], [])
    if any(f.autofix is not None for f in report.findings if f.code == code):
        assert "Fix safety" in rule.doc().sections, f"{code} has an autofix: document its safety"


def test_every_static_rule_has_a_fixture() -> None:
    have = {_code_of(path) for path in _fixtures()}
    static = {
        rule.code
        for rule in load_catalog()
        if issubclass(rule, StaticRule) and rule.code not in TEST_CODES | _NO_FIXTURE
    }

    assert sorted(static - have) == []


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda path: path.name)
def test_fixture_lines_carry_no_noqa_unless_it_is_the_subject(fixture: Path) -> None:
    # A stray suppression comment in a fixture would hide the finding the fixture is about.
    # MED903 is about noqa comments; MED404 honours a Ruff T201 suppression for the same pattern.
    if _code_of(fixture) in ("MED903", "MED404"):
        return
    files = sorted(fixture.rglob("*.py")) if fixture.is_dir() else [fixture]
    for path in files:
        assert "noqa" not in path.read_text(encoding="utf-8").lower(), path.name


# --- MED101 configuration ---------------------------------------------------------------------


CUSTOM = """\
    import mylib


    async def handler(path: str) -> None:
        mylib.fetch(path)
        mylib.Client().download(path)
        mylib.other(path)
        with open(path) as fh:
            print(fh)
"""


def test_blocking_extend_adds_calls_and_instance_prefixes(project: Path) -> None:
    write(project, {"app.py": CUSTOM})

    report = check(project, blocking_extend=("mylib.fetch", "mylib.Client()."))

    assert lines(report.findings, "MED101") == {
        ("MED101", "app.py", 5),
        ("MED101", "app.py", 6),
        ("MED101", "app.py", 8),
    }


def test_blocking_remove_takes_calls_out_of_the_catalogue(project: Path) -> None:
    write(project, {"app.py": CUSTOM})

    report = check(project, blocking_remove=("open",))

    assert lines(report.findings, "MED101") == set()


# --- MED101: no false positives ---------------------------------------------------------------
# A name bound inside the function hides the module's import or global of the same name.

SHADOWED = """\
    import httpx
    from fastapi import Request

    client = httpx.Client()


    async def handler(request: Request, clients: list[httpx.AsyncClient], pair: tuple) -> None:
        {body}
"""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            "client = request.app.state.client\n        client.build_request('GET', '/')",
            id="assigned-from-attribute",
        ),
        pytest.param(
            "for client in clients:\n            client.build_request('GET', '/')",
            id="loop-variable",
        ),
        pytest.param(
            "print([client.build_request('GET', '/') for client in clients])",
            id="comprehension-variable",
        ),
        pytest.param(
            "client, other = pair\n        client.build_request('GET', '/')",
            id="unpacked",
        ),
        pytest.param(
            "if (client := request.app.state.client):\n"
            "            client.build_request('GET', '/')",
            id="walrus",
        ),
        pytest.param(
            "async with request.app.state.pool as client:\n"
            "            client.build_request('GET', '/')",
            id="with-target",
        ),
    ],
)
def test_local_binding_shadows_a_module_level_client(project: Path, body: str) -> None:
    write(project, {"app.py": SHADOWED.replace("{body}", body)})

    report = check(project)

    assert lines(report.findings, "MED101") == set()


@pytest.mark.parametrize(
    "call",
    [
        "session.headers.update({'Authorization': token})",
        "session.cookies.get('csrftoken')",
        "client.headers.get('user-agent')",
    ],
)
def test_attribute_of_a_sync_client_is_not_a_blocking_call(project: Path, call: str) -> None:
    # `requests.Session().` covers the session's methods, not its data attributes.
    write(
        project,
        {
            "app.py": f"""\
                import httpx
                import requests

                session = requests.Session()
                client = httpx.Client()


                async def handler(token: str) -> None:
                    {call}
            """
        },
    )

    report = check(project)

    assert lines(report.findings, "MED101") == set()


@pytest.mark.parametrize(
    "call",
    [
        "s3.generate_presigned_url('get_object', Params={'Bucket': 'b', 'Key': key})",
        "s3.generate_presigned_post('b', key)",
        "s3.get_paginator('list_objects_v2')",
    ],
)
def test_local_methods_of_a_cloud_client_are_not_blocking_calls(project: Path, call: str) -> None:
    # Presigning is computed locally from credentials the client already holds.
    write(
        project,
        {
            "app.py": f"""\
                import boto3

                s3 = boto3.client("s3")


                async def upload_url(key: str) -> object:
                    return {call}
            """
        },
    )

    report = check(project)

    assert lines(report.findings, "MED101") == set()
