"""Finds the SQLAlchemy engines of the user's app among the modules it imported (child side)."""

from __future__ import annotations

import sys
from typing import Any

from fastapi_medic.live._tb import is_library_file

__all__ = ["find_engines"]


def find_engines(root: str | None = None, limit: int = 8) -> list[Any]:
    """Engines and async engines held in module globals of the user's own modules.

    Library modules are skipped, so an engine is found where the app defines it (``db.py``,
    ``database.py``) and not in a package that happens to keep one. Each engine comes once.
    """
    try:
        from sqlalchemy.engine import Engine
        from sqlalchemy.ext.asyncio import AsyncEngine
    except ImportError:
        return []
    found: dict[int, Any] = {}
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename or is_library_file(filename, root):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, AsyncEngine):
                found.setdefault(id(value.sync_engine), value)
            elif isinstance(value, Engine):
                found.setdefault(id(value), value)
            if len(found) >= limit:
                return list(found.values())
    return list(found.values())
