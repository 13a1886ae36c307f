"""fastapi-medic: diagnoses and prevents the production failures of FastAPI applications.

The library never prints: each entry point returns a :class:`Report` of :class:`Finding`
objects that the CLI (or your own code) renders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi_medic._version import __version__
from fastapi_medic.errors import ConfigError, MedicError, UsageError
from fastapi_medic.findings import Cause, Finding, Location, Report, Severity, Source

if TYPE_CHECKING:
    from fastapi_medic.config import Config, load_config
    from fastapi_medic.static import check_paths

__all__ = [
    "Cause",
    "Config",
    "ConfigError",
    "Finding",
    "Location",
    "MedicError",
    "Report",
    "Severity",
    "Source",
    "UsageError",
    "__version__",
    "check_paths",
    "load_config",
]


def __getattr__(name: str) -> Any:
    # Entry points load lazily so `import fastapi_medic` stays cheap and dependency-free.
    if name == "check_paths":
        from fastapi_medic.static import check_paths

        return check_paths
    if name in ("Config", "load_config"):
        from fastapi_medic import config

        return getattr(config, name)
    raise AttributeError(f"module 'fastapi_medic' has no attribute {name!r}")
