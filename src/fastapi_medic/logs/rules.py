"""The log-triage codes (MED801-849)."""

from __future__ import annotations
