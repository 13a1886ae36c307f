"""Reads ``[tool.fastapi-medic]`` from pyproject.toml into a :class:`Config`."""
# PLACEHOLDER: replaced by the full implementation.
from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi_medic.findings import Severity


@dataclasses.dataclass(frozen=True)
class Config:
    root: Path = Path(".")
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    fail_level: Severity = Severity.WARNING
    max_file_bytes: int = 10_000_000
    blocking_extend: tuple[str, ...] = ()
    blocking_remove: tuple[str, ...] = ()
