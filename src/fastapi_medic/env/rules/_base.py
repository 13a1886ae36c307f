"""The bases the environment rules share."""

from __future__ import annotations

from fastapi_medic.findings import Cause, Source
from fastapi_medic.registry import Rule

__all__ = ["EnvRule", "StartRule"]


class EnvRule(Rule):
    """Base of every environment rule: source env, cause config."""

    source = Source.ENV
    cause = Cause.CONFIG
    tags = frozenset({"env"})


class StartRule(EnvRule):
    """Base of the start-command rules."""

    tags = frozenset({"env", "start-command"})
