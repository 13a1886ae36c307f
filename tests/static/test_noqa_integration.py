"""``# noqa`` comments and configured ignores, end to end through ``check_paths``."""

from __future__ import annotations

from pathlib import Path

from checking import check, lines, write

from fastapi_medic.config import load_config
from fastapi_medic.static import check_paths

SLEEPS = """\
    import time


    async def handler() -> None:
        time.sleep(1){comment}
"""


def _sleeps(project: Path, comment: str) -> Path:
    return write(project, {"app.py": SLEEPS.replace("{comment}", comment)})


def test_noqa_with_the_code_silences_and_is_counted(project: Path) -> None:
    _sleeps(project, "  # noqa: MED101")

    report = check(project)

    assert lines(report.findings, "MED101") == set()
    assert report.silenced == 1


def test_bare_noqa_silences_every_code(project: Path) -> None:
    _sleeps(project, "  # noqa")

    report = check(project)

    assert lines(report.findings, "MED101") == set()
    assert report.silenced == 1


def test_noqa_for_another_code_does_not_silence(project: Path) -> None:
    _sleeps(project, "  # noqa: MED105")

    report = check(project)

    assert lines(report.findings, "MED101") == {("MED101", "app.py", 5)}
    assert report.silenced == 0


def test_noqa_of_another_tool_does_not_silence(project: Path) -> None:
    _sleeps(project, "  # noqa: E501")

    assert lines(check(project).findings, "MED101") == {("MED101", "app.py", 5)}


def test_noqa_inside_a_string_does_not_silence(project: Path) -> None:
    write(
        project,
        {
            "app.py": """\
                import time


                async def handler() -> None:
                    note = "# noqa"; time.sleep(1)
                    text = '''
                    # noqa
                    '''; time.sleep(2)
                    print(note, text)
            """
        },
    )

    report = check(project)

    assert lines(report.findings, "MED101") == {("MED101", "app.py", 5), ("MED101", "app.py", 8)}
    assert report.silenced == 0


def test_noqa_text_on_the_closing_line_of_a_string_does_not_silence(project: Path) -> None:
    write(
        project,
        {
            "app.py": """\
                import time


                async def handler() -> None:
                    text = '''
                    # noqa'''; time.sleep(1)
                    print(text)
            """
        },
    )

    report = check(project)

    assert lines(report.findings, "MED101") == {("MED101", "app.py", 6)}
    assert report.silenced == 0


def test_noqa_on_the_first_line_of_a_multiline_call_silences_it(project: Path) -> None:
    write(
        project,
        {
            "app.py": """\
                import time


                async def handler() -> None:
                    time.sleep(  # noqa: MED101
                        1
                    )
                    time.sleep(
                        1
                    )  # noqa: MED101
            """
        },
    )

    report = check(project)

    assert lines(report.findings, "MED101") == {("MED101", "app.py", 8)}
    assert report.silenced == 1


def test_per_file_ignores_from_pyproject_silence_and_count(project: Path) -> None:
    write(
        project,
        {
            "pyproject.toml": """\
                [tool.fastapi-medic]
                select = ["ALL"]

                [tool.fastapi-medic.per-file-ignores]
                "scripts/**" = ["MED101"]
                "app/legacy.py" = ["MED1"]
            """,
            "app/main.py": SLEEPS.replace("{comment}", ""),
            "app/legacy.py": SLEEPS.replace("{comment}", ""),
            "scripts/seed.py": SLEEPS.replace("{comment}", ""),
        },
    )
    config = load_config(project)
    report = check_paths([project], config, use_cache=False)

    assert lines(report.findings, "MED101") == {("MED101", "app/main.py", 5)}
    assert report.silenced == 2


def test_ignore_silences_a_code_everywhere(project: Path) -> None:
    _sleeps(project, "")

    report = check(project, ignore=("MED101",))

    assert lines(report.findings, "MED101") == set()


def test_unused_noqa_is_reported_when_med903_is_selected(project: Path) -> None:
    write(
        project,
        {
            "app.py": """\
                import time


                async def handler() -> None:
                    time.sleep(1)  # noqa: MED101
                    print("fine")  # noqa: MED101
                    print("fine")  # noqa
                    print("fine")  # noqa: E501
            """
        },
    )

    report = check(project, "ALL", "MED903")

    assert lines(report.findings, "MED903") == {("MED903", "app.py", 6), ("MED903", "app.py", 7)}
    assert report.silenced == 1


def test_unused_noqa_is_not_reported_unless_selected(project: Path) -> None:
    _sleeps(project, "")
    write(project, {"other.py": "x = 1  # noqa: MED101\n"})

    assert lines(check(project).findings, "MED903") == set()


def test_noqa_for_a_deselected_code_is_not_unused(project: Path) -> None:
    # Narrowing the selection must not turn every other suppression into a finding.
    _sleeps(project, "  # noqa: MED101")

    report = check(project, "MED105", "MED903")

    assert lines(report.findings) == set()


def test_noqa_can_silence_med903_itself(project: Path) -> None:
    write(project, {"app.py": "x = 1  # noqa: MED101, MED903\n"})

    report = check(project, "ALL", "MED903")

    assert lines(report.findings, "MED903") == set()
