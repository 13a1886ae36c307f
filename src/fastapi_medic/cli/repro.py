"""`fastapi-medic repro`."""

from __future__ import annotations

import click

from fastapi_medic.errors import UsageError

__all__ = ["repro"]


@click.command("repro")
def repro() -> None:
    """Not available in this build."""
    raise UsageError("`repro` is not available in this build")
