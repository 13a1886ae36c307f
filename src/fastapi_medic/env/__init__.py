"""Environment checks: start commands, Python versions, packages and variables (MED6xx)."""

from __future__ import annotations
