"""``# noqa`` parsing and the split of findings into kept and silenced."""

from __future__ import annotations

import textwrap
from typing import ClassVar

import pytest

from fastapi_medic import suppress
from fastapi_medic.config import Config
from fastapi_medic.findings import Finding, Location, Severity, Source
from fastapi_medic.suppress import Suppression, collect_noqa, parse_noqa, split_findings

ALL: frozenset[str] = frozenset()


def finding(
    code: str,
    path: str | None = "app/main.py",
    line: int = 1,
    *,
    end_line: int | None = None,
    severity: Severity = Severity.WARNING,
) -> Finding:
    location = None if path is None else Location(path, line, 0, end_line=end_line)
    return Finding(
        code=code,
        name="some-rule",
        severity=severity,
        message=f"{code} problem",
        location=location,
        subject=None if path else "GET /items",
        source=Source.STATIC if path else Source.ENV,
    )


# --- parse_noqa ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x = 1  # noqa", ALL),
        ("x = 1  #noqa", ALL),
        ("x = 1  # NOQA", ALL),
        ("x = 1  # NoQa", ALL),
        ("x = 1  # noqa: MED101", frozenset({"MED101"})),
        ("x = 1  #noqa:MED101,MED102", frozenset({"MED101", "MED102"})),
        ("x = 1  # noqa: MED101, MED2", frozenset({"MED101", "MED2"})),
        ("x = 1  # noqa:MED101 MED102", frozenset({"MED101", "MED102"})),
        ("x = 1  # noqa :  MED101 ,MED102", frozenset({"MED101", "MED102"})),
        ("x = 1  # NOQA: MED101", frozenset({"MED101"})),
        ("x = 1  # noqa: E501, MED101", frozenset({"E501", "MED101"})),
        ("x = 1  # noqa: E501", frozenset({"E501"})),
        ("x = 1  # noqa: MED101 - the call is fast here", frozenset({"MED101"})),
        ("x = 1  # type: ignore[misc]  # noqa: MED101", frozenset({"MED101"})),
        ("x = 1  # noqa MED101", ALL),
        ("    return x  # noqa: MED101", frozenset({"MED101"})),
    ],
)
def test_parse_noqa_returns_codes_when_line_has_directive(
    line: str, expected: frozenset[str]
) -> None:
    assert parse_noqa(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "x = 1",
        "",
        "x = 1  # a comment about noqa",
        "x = 1  # noqa-ish",
        "x = 1  # noqanope",
        "x = 1  # noqa:",
        "x = 1  # noqa: med101",
        'x = "# noqa"',
        "x = '# noqa: MED101'",
        'x = f"{y} # noqa"',
        'x = """ # noqa',
    ],
)
def test_parse_noqa_returns_none_when_line_has_no_real_directive(line: str) -> None:
    assert parse_noqa(line) is None


def test_parse_noqa_reads_real_comment_when_string_also_holds_noqa() -> None:
    assert parse_noqa('x = "# noqa"  # noqa: MED101') == frozenset({"MED101"})


def test_parse_noqa_reads_first_line_when_given_several() -> None:
    assert parse_noqa("x = 1  # noqa: MED101\ny = 2  # noqa\n") == frozenset({"MED101"})


# --- collect_noqa ----------------------------------------------------------------------------


def test_collect_noqa_maps_lines_to_codes_when_file_has_directives() -> None:
    source = textwrap.dedent(
        """\
        import time  # noqa: E401

        async def handler():
            time.sleep(1)  # noqa: MED101
            open("x")  # noqa
            return 1
        """
    )
    assert collect_noqa(source) == {1: frozenset({"E401"}), 4: frozenset({"MED101"}), 5: ALL}


def test_collect_noqa_ignores_noqa_when_inside_multiline_string() -> None:
    source = textwrap.dedent(
        '''\
        DOC = """
        time.sleep(1)  # noqa: MED101
        # noqa
        """
        x = 1  # noqa: MED102
        '''
    )
    assert collect_noqa(source) == {5: frozenset({"MED102"})}


def test_collect_noqa_keeps_earlier_comments_when_file_does_not_tokenize() -> None:
    source = "x = 1  # noqa: MED101\ny = (\n"
    assert collect_noqa(source) == {1: frozenset({"MED101"})}


def test_collect_noqa_returns_nothing_when_file_has_no_comments() -> None:
    assert collect_noqa("x = 1\n") == {}


# --- split_findings --------------------------------------------------------------------------


def test_bare_noqa_silences_every_code_when_on_finding_line() -> None:
    findings = [finding("MED101", line=3), finding("MED201", line=3), finding("MED101", line=4)]
    result = split_findings(findings, noqa_by_path={"app/main.py": {3: ALL}}, config=Config())
    assert result == Suppression(
        kept=(findings[2],), silenced=(findings[0], findings[1]), unused_noqa=()
    )


def test_coded_noqa_silences_only_its_codes_when_several_findings_share_line() -> None:
    findings = [finding("MED101", line=3), finding("MED102", line=3), finding("MED201", line=3)]
    noqa = {"app/main.py": {3: frozenset({"MED101", "MED201"})}}
    result = split_findings(findings, noqa_by_path=noqa, config=Config())
    assert result.kept == (findings[1],)
    assert result.silenced == (findings[0], findings[2])
    assert result.unused_noqa == ()


def test_noqa_does_not_silence_when_on_another_line_or_file() -> None:
    findings = [finding("MED101", line=3), finding("MED101", path="app/other.py", line=2)]
    noqa = {"app/main.py": {2: ALL}}
    result = split_findings(findings, noqa_by_path=noqa, config=Config())
    assert result.kept == tuple(findings)
    assert result.unused_noqa == (("app/main.py", 2, ""),)


def test_noqa_on_first_line_silences_when_finding_spans_lines() -> None:
    first = finding("MED101", line=3, end_line=6)
    last_only = finding("MED102", line=3, end_line=6)
    noqa = {"app/main.py": {3: frozenset({"MED101"}), 6: frozenset({"MED102"})}}
    result = split_findings([first, last_only], noqa_by_path=noqa, config=Config())
    assert result.silenced == (first,)
    assert result.kept == (last_only,)
    assert result.unused_noqa == (("app/main.py", 6, "MED102"),)


def test_noqa_prefix_does_not_silence_when_code_is_longer() -> None:
    found = finding("MED101", line=2)
    noqa = {"app/main.py": {2: frozenset({"MED1"})}}
    result = split_findings([found], noqa_by_path=noqa, config=Config())
    assert result.kept == (found,)
    assert result.unused_noqa == (("app/main.py", 2, "MED1"),)


def test_unused_noqa_lists_med_codes_only_when_other_tools_share_comment() -> None:
    noqa = {
        "app/b.py": {9: frozenset({"E501", "MED101", "MED102"})},
        "app/a.py": {4: ALL, 1: frozenset({"PLR0913"})},
    }
    result = split_findings(
        [finding("MED102", path="app/b.py", line=9)], noqa_by_path=noqa, config=Config()
    )
    assert result.unused_noqa == (("app/a.py", 4, ""), ("app/b.py", 9, "MED101"))


def test_unused_noqa_skips_codes_when_selection_leaves_them_out() -> None:
    noqa = {"app/main.py": {2: frozenset({"MED201", "MED101", "MED102"})}}
    config = Config(select=("MED1",), ignore=("MED102",))
    result = split_findings([], noqa_by_path=noqa, config=config)
    assert result.unused_noqa == (("app/main.py", 2, "MED101"),)


def test_unused_noqa_skips_preview_rule_when_not_selected_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class PreviewRule:
        preview: ClassVar[bool] = True

    monkeypatch.setattr(
        suppress, "get_rule", lambda code: PreviewRule if code == "MED150" else None
    )
    noqa = {"app/main.py": {2: frozenset({"MED150", "MED101"})}}
    not_selected = split_findings([], noqa_by_path=noqa, config=Config())
    selected = split_findings([], noqa_by_path=noqa, config=Config(extend_select=("MED150",)))
    assert not_selected.unused_noqa == (("app/main.py", 2, "MED101"),)
    assert selected.unused_noqa == (("app/main.py", 2, "MED101"), ("app/main.py", 2, "MED150"))


def test_per_file_ignores_silence_when_glob_matches_finding_path() -> None:
    config = Config(per_file_ignores=(("tests/**", ("MED1",)),))
    in_tests = finding("MED101", path="tests/unit/test_api.py")
    other_code = finding("MED201", path="tests/unit/test_api.py")
    elsewhere = finding("MED101", path="app/main.py")
    result = split_findings([in_tests, other_code, elsewhere], noqa_by_path={}, config=config)
    assert result.silenced == (in_tests,)
    assert result.kept == (other_code, elsewhere)


def test_noqa_is_unused_when_per_file_ignores_already_silence_code() -> None:
    config = Config(per_file_ignores=(("tests/**", ("MED101",)),))
    found = finding("MED101", path="tests/test_a.py", line=5)
    noqa = {"tests/test_a.py": {5: frozenset({"MED101"})}}
    result = split_findings([found], noqa_by_path=noqa, config=config)
    assert result.silenced == (found,)
    assert result.unused_noqa == (("tests/test_a.py", 5, "MED101"),)


def test_finding_without_location_is_kept_when_only_noqa_and_path_globs_apply() -> None:
    env = finding("MED601", path=None)
    config = Config(per_file_ignores=(("**", ("ALL",)),))
    result = split_findings([env], noqa_by_path={"": {1: ALL}}, config=config)
    assert result.kept == (env,)
    assert result.silenced == ()


def test_finding_without_location_is_silenced_when_config_ignores_its_code() -> None:
    env = finding("MED601", path=None)
    other = finding("MED701", path=None)
    result = split_findings([env, other], noqa_by_path={}, config=Config(ignore=("MED6",)))
    assert result.silenced == (env,)
    assert result.kept == (other,)


def test_finding_is_silenced_when_select_leaves_its_code_out() -> None:
    kept = finding("MED101")
    dropped = finding("MED201")
    result = split_findings([kept, dropped], noqa_by_path={}, config=Config(select=("MED1",)))
    assert result.kept == (kept,)
    assert result.silenced == (dropped,)


def test_severity_override_applies_when_finding_is_kept() -> None:
    config = Config(severity=(("MED1", Severity.ERROR), ("MED102", Severity.INFO)))
    findings = [finding("MED101"), finding("MED102"), finding("MED201"), finding("MED103", line=2)]
    noqa = {"app/main.py": {2: ALL}}
    result = split_findings(findings, noqa_by_path=noqa, config=config)
    assert [(f.code, f.severity) for f in result.kept] == [
        ("MED101", Severity.ERROR),
        ("MED102", Severity.INFO),
        ("MED201", Severity.WARNING),
    ]
    assert result.silenced == (findings[3],)
    assert result.silenced[0].severity is Severity.WARNING


def test_result_is_empty_when_there_are_no_findings_or_comments() -> None:
    assert split_findings([], noqa_by_path={}, config=Config()) == Suppression()
