"""`fastapi-medic logs`."""

from __future__ import annotations

import click

from fastapi_medic.errors import UsageError

__all__ = ["logs"]


@click.command("logs")
def logs() -> None:
    """Not available in this build."""
    raise UsageError("`logs` is not available in this build")
