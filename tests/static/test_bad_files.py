"""Files that cannot be read or parsed become MED901/MED902 findings, never a crash."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from checking import check, codes, write

from fastapi_medic.findings import Finding, Location


def _only(findings: tuple[Finding, ...]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_syntax_error_is_reported_at_its_line_and_column(project: Path) -> None:
    write(project, {"app.py": "x = 1\n\n\ndef handler(:\n    return 1\n"})

    finding = _only(check(project).findings)

    assert finding.code == "MED901"
    assert finding.location == Location("app.py", 4, 12)
    assert finding.message.startswith("Cannot parse file: ")
    assert len(finding.message) < 80


def test_a_broken_file_does_not_stop_the_others_from_being_checked(project: Path) -> None:
    write(
        project,
        {
            "broken.py": "def (\n",
            "app.py": "import time\n\n\nasync def handler() -> None:\n    time.sleep(1)\n",
        },
    )

    report = check(project)

    assert {(f.code, f.location.path if f.location else "") for f in report.findings} >= {
        ("MED901", "broken.py"),
        ("MED101", "app.py"),
    }
    assert report.files == 2


@pytest.mark.parametrize(
    ("content", "line"),
    [
        pytest.param(b"x = 1\x00\n", 1, id="nul-byte"),
        pytest.param(b"# comment \x00\nx = 1\n", 1, id="nul-in-comment"),
        pytest.param(b"\x00" * 64, 1, id="only-nul-bytes"),
        pytest.param("x = 1\n".encode("utf-16"), 1, id="utf-16"),
        pytest.param(
            b"# -*- coding: utf-8 -*-\nname = '\xe9t\xe9'\n", 2, id="latin-1-under-utf-8-cookie"
        ),
        pytest.param(b"name = '\xe9t\xe9'\n", 1, id="latin-1-without-cookie"),
        pytest.param(b"# -*- coding: klingon -*-\nx = 1\n", 1, id="unknown-encoding"),
        pytest.param(b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", 1, id="bom-and-other-cookie"),
        pytest.param(b"x = 1\x01\n", 1, id="control-character"),
        pytest.param(b'x = """\n', 1, id="unterminated-string"),
        pytest.param(b"x = (\n", 1, id="unclosed-parenthesis"),
        pytest.param(b"if x:\n\tif y:\n        pass\n", 3, id="tabs-and-spaces"),
        pytest.param(b"x = " + b"(" * 2000 + b"1" + b")" * 2000 + b"\n", 1, id="2000-parentheses"),
        pytest.param(b"x = a" + b".b" * 5000 + b"\n", 1, id="5000-attributes"),
        pytest.param(b"x = 1" + b" + 1" * 100_000 + b"\n", 1, id="100000-additions"),
        pytest.param(b"x = " + b"-" * 3000 + b"1\n", 1, id="3000-unary-minus"),
    ],
)
def test_unparsable_content_is_med901(project: Path, content: bytes, line: int) -> None:
    write(project, {"app.py": content})

    finding = _only(check(project).findings)

    assert finding.code == "MED901"
    assert finding.location is not None
    assert (finding.location.path, finding.location.line) == ("app.py", line)
    assert "\n" not in finding.message


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name = '\xe9t\xe9'\n", id="undecodable"),
        pytest.param(b'x = """\n', id="unterminated-string"),
        pytest.param(b"x = 1\x00\n", id="nul-byte"),
    ],
)
def test_unparsable_message_is_one_short_line(project: Path, content: bytes) -> None:
    write(project, {"app.py": content})

    message = _only(check(project).findings).message

    assert "\n" not in message
    assert len(message) < 80, message


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"x = " + b"not " * 10_000 + b"1\n", id="10000-not"),
        pytest.param(b"x = " + b"-" * 100_000 + b"1\n", id="100000-unary-minus"),
        pytest.param(b"(0=" + b"(" * 199 + b"1", id="199-parentheses-after-a-syntax-error"),
        pytest.param(b"x = a" + b"()" * 1_200 + b"\n", id="1200-chained-calls"),
        pytest.param(
            b"async def handler():\n    a" + b"()" * 1_200 + b"\n", id="1200-chained-calls-in-async"
        ),
    ],
)
def test_pathological_nesting_is_a_finding_not_a_crash(project: Path, content: bytes) -> None:
    write(project, {"app.py": content})

    report = check(project)

    assert codes(report.findings) <= {"MED901"}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xef\xbb\xbf", id="only-bom"),
        pytest.param(b"\xef\xbb\xbfx = 1\n", id="bom"),
        pytest.param(b"x = 1\ry = 2\r", id="old-mac-newlines"),
        pytest.param(b"x = 1\r\ny = 2\r\n", id="windows-newlines"),
        pytest.param(b"\x0cx = 1\n", id="form-feed"),
        pytest.param(b"x = 1", id="no-final-newline"),
        pytest.param(b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n", id="latin-1-with-cookie"),
        pytest.param(b"x = '\\ud800'\n", id="lone-surrogate-escape"),
        pytest.param(b"x = '" + b"a" * 2_000_000 + b"'\n", id="2-MB-line"),
        pytest.param(b"x = " + b"(" * 150 + b"1" + b")" * 150 + b"\n", id="150-parentheses"),
        pytest.param(
            b"".join(b" " * i + b"if x:\n" for i in range(99)) + b" " * 99 + b"pass\n",
            id="99-nested-ifs",
        ),
    ],
)
def test_odd_but_valid_files_are_clean(project: Path, content: bytes) -> None:
    write(project, {"app.py": content})

    assert check(project).findings == ()


INVALID_ESCAPE = 'import re\n\nPATTERN = re.compile("\\d+")\n'


def test_invalid_escape_sequence_is_not_an_unparsable_file(project: Path) -> None:
    # The suite runs with warnings as errors, as a user with PYTHONWARNINGS=error does: the
    # parser's DeprecationWarning (SyntaxWarning from 3.12) must not turn into MED901.
    write(project, {"app.py": INVALID_ESCAPE})

    assert check(project).findings == ()


def test_parsing_a_file_emits_no_warnings(project: Path) -> None:
    # The library never prints: Python shows a SyntaxWarning on stderr by default (3.12+).
    write(project, {"app.py": INVALID_ESCAPE})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = check(project)

    assert report.findings == ()
    assert [str(w.message) for w in caught] == []


def test_file_over_max_file_bytes_is_med902_and_not_parsed(project: Path) -> None:
    write(project, {"big.py": "def broken(:\n" + "# padding\n" * 200, "small.py": "x = 1\n"})

    report = check(project, max_file_bytes=1000)

    finding = _only(report.findings)
    assert finding.code == "MED902"
    assert finding.location is not None
    assert finding.location.path == "big.py"
    assert len(finding.message) < 80


def test_file_of_exactly_max_file_bytes_is_analysed(project: Path) -> None:
    write(project, {"app.py": "x = 1\n"})

    assert check(project, max_file_bytes=6).findings == ()


def test_dangling_symlink_is_med902(project: Path) -> None:
    (project / "gone.py").symlink_to(project / "missing-target.py")
    write(project, {"app.py": "x = 1\n"})

    report = check(project)

    finding = _only(report.findings)
    assert finding.code == "MED902"
    assert finding.location is not None
    assert finding.location.path == "gone.py"


def test_dangling_symlink_with_the_cache_on(project: Path) -> None:
    (project / "gone.py").symlink_to(project / "missing-target.py")

    first = check(project, use_cache=True)
    second = check(project, use_cache=True)

    assert codes(first.findings) == codes(second.findings) == {"MED902"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission_is_med902(project: Path) -> None:
    path = project / "secret.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    try:
        finding = _only(check(project).findings)
    finally:
        path.chmod(0o644)

    assert finding.code == "MED902"


def test_med9xx_can_be_ignored_like_any_code(project: Path) -> None:
    write(project, {"app.py": "def (\n"})

    report = check(project, ignore=("MED901",))

    assert report.findings == ()


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {"app.py": "session = session()\nsession.get('x')\n"}, id="rebound-to-its-call"
        ),
        pytest.param({"app.py": "a = b()\nb = a()\na.get('x')\n"}, id="two-names"),
        pytest.param(
            {
                "app.py": "from helpers import b\n\na = b()\na.get('x')\n",
                "helpers.py": "from app import a\n\nb = a()\n",
            },
            id="across-modules",
        ),
    ],
)
def test_bindings_that_refer_to_themselves_do_not_crash(
    project: Path, files: dict[str, str]
) -> None:
    # Valid Python (it fails only when run); found by test_fuzz.py.
    write(project, files)

    report = check(project)

    # the across-modules case is also a real import cycle (MED501)
    assert codes(report.findings) <= {"MED101", "MED102", "MED501"}
