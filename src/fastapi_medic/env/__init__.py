"""Environment checks: start commands, Python versions, packages and variables (MED6xx).

>>> report = check(Path("."), environ={})  # doctest: +SKIP
>>> data = snapshot(Path("."))  # doctest: +SKIP
>>> local = load_snapshot(Path("local.json"))  # doctest: +SKIP
>>> prod = load_snapshot(Path("prod.json"))  # doctest: +SKIP
>>> changes = diff(local, prod)  # doctest: +SKIP
"""

from __future__ import annotations

from fastapi_medic.env.check import check
from fastapi_medic.env.diff import DiffEntry, EnvDiff, diff
from fastapi_medic.env.snapshot import load_snapshot, snapshot

__all__ = ["DiffEntry", "EnvDiff", "check", "diff", "load_snapshot", "snapshot"]
