"""The static rule families, imported explicitly so registration is deterministic."""

from __future__ import annotations

from fastapi_medic.static.rules import (
    architecture,
    blocking,
    dependencies,
    engine,
    event_loop,
    import_contracts,
    logging,
    logging_setup,
    secret_logs,
    sessions,
    settings,
    tool,
)

#: Every family module; a test checks that no rule module is missing from this list.
FAMILIES = (
    architecture,
    blocking,
    dependencies,
    engine,
    event_loop,
    import_contracts,
    logging,
    logging_setup,
    sessions,
    secret_logs,
    settings,
    tool,
)

__all__ = ["FAMILIES"]
