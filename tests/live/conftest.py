"""Fixtures of the live tests: the small apps under ``apps/``, copied so runs leave no files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

APPS = Path(__file__).parent / "apps"


@pytest.fixture
def app_dir(tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of the app ``apps/<name>``."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(APPS / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        return target

    return copy
