"""The writer table and the ``write`` entry point."""

from __future__ import annotations

import io

import pytest

from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Report
from fastapi_medic.output import WRITERS, WriteOptions, write

OPTIONS = WriteOptions(tool_version="0.1.0")


def test_every_format_is_listed_when_writers_are_looked_up() -> None:
    assert list(WRITERS) == ["text", "json", "sarif", "github", "html"]


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_report_is_written_when_the_format_is_known(fmt: str) -> None:
    stream = io.StringIO()

    write(Report(command="check", root=".", files=1), fmt, stream, OPTIONS)

    # a clean report gives GitHub nothing to annotate; every other format says so
    expected_empty = fmt == "github"
    assert (stream.getvalue() == "") is expected_empty


def test_usage_error_lists_the_formats_when_the_format_is_unknown() -> None:
    with pytest.raises(UsageError) as caught:
        write(Report(command="check", root="."), "xml", io.StringIO(), OPTIONS)

    assert (
        str(caught.value)
        == "unknown output format 'xml'; use one of: text, json, sarif, github, html"
    )
