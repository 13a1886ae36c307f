"""Runtime probes for a running FastAPI app (MED7xx)."""

from __future__ import annotations
