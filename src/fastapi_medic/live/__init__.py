"""Live checks on the user's app: repro, bisect and load (MED850-899)."""

from __future__ import annotations
