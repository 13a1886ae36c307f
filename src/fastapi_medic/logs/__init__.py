"""Log triage: reads server logs and classifies every failure (MED8xx)."""

from __future__ import annotations
