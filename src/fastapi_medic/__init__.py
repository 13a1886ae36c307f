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
    from fastapi_medic.doctor import doctor
    from fastapi_medic.env import check as check_env
    from fastapi_medic.env import diff, load_snapshot, snapshot
    from fastapi_medic.logs import triage
    from fastapi_medic.runtime import instrument
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
    "check_env",
    "check_paths",
    "diff",
    "doctor",
    "instrument",
    "load_config",
    "load_snapshot",
    "snapshot",
    "triage",
]

# Public name -> (module, attribute), imported on first use.
_LAZY: dict[str, tuple[str, str]] = {
    "Config": ("fastapi_medic.config", "Config"),
    "load_config": ("fastapi_medic.config", "load_config"),
    "check_paths": ("fastapi_medic.static", "check_paths"),
    "check_env": ("fastapi_medic.env", "check"),
    "snapshot": ("fastapi_medic.env", "snapshot"),
    "load_snapshot": ("fastapi_medic.env", "load_snapshot"),
    "diff": ("fastapi_medic.env", "diff"),
    "triage": ("fastapi_medic.logs", "triage"),
    "doctor": ("fastapi_medic.doctor", "doctor"),
    "instrument": ("fastapi_medic.runtime", "instrument"),
}


def __getattr__(name: str) -> Any:
    # Entry points load lazily so `import fastapi_medic` stays cheap and dependency-free.
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'fastapi_medic' has no attribute {name!r}")
