"""`fastapi-medic env`."""

from __future__ import annotations

import click

from fastapi_medic.errors import UsageError

__all__ = ["env"]


@click.command("env")
def env() -> None:
    """Not available in this build."""
    raise UsageError("`env` is not available in this build")
