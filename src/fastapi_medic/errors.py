"""Typed exceptions whose text is the message shown to the user."""

from __future__ import annotations

__all__ = ["AppImportError", "ConfigError", "MedicError", "UsageError"]


class MedicError(Exception):
    """Base class for every error fastapi-medic raises on purpose.

    ``str(error)`` is a complete, user-facing sentence; the CLI prints it and exits with 2.
    """


class UsageError(MedicError):
    """The command line asks for something that cannot be done (unknown rule, missing path)."""


class ConfigError(MedicError):
    """``[tool.fastapi-medic]`` holds a value that cannot be used."""


class AppImportError(MedicError):
    """The user's application could not be imported."""
