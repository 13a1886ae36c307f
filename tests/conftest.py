"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory (a child of ``tmp_path``, so siblings stay outside it)."""
    root = tmp_path / "project"
    root.mkdir()
    return root
