"""Fixtures of the command-line tests: throw-away projects in a temporary directory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from ._projects import MakeProject, write_project


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """A factory writing files into a fresh project directory, which it returns."""

    def make(files: Mapping[str, str]) -> Path:
        return write_project(tmp_path / "project", files)

    return make
