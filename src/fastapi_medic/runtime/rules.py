"""The runtime probe codes (MED7xx)."""

from __future__ import annotations
