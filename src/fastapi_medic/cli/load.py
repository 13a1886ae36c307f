"""`fastapi-medic load`."""

from __future__ import annotations

import click

from fastapi_medic.errors import UsageError

__all__ = ["load"]


@click.command("load")
def load() -> None:
    """Not available in this build."""
    raise UsageError("`load` is not available in this build")
