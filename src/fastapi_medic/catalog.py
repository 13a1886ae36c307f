"""Imports every rule family, so the registry is complete (``rules``, SARIF, docs)."""

from __future__ import annotations

from fastapi_medic.registry import Rule, all_rules

__all__ = ["load_catalog"]


def load_catalog() -> list[type[Rule]]:
    """Import every family module and return all registered rules, ordered by code."""
    import fastapi_medic.env.rules
    import fastapi_medic.live.rules
    import fastapi_medic.logs.rules
    import fastapi_medic.runtime.rules
    import fastapi_medic.static.rules  # noqa: F401 - these imports register the families

    return all_rules()
