"""The live-check codes (MED850-899)."""

from __future__ import annotations
