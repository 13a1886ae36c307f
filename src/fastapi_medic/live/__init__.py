"""Live checks on the user's app: repro, bisect, load and the probe ``doctor`` runs (MED850-899).

Every entry point runs the app in a child process with a deadline; nothing of the app runs in
the calling process. ``repro`` and ``load`` live in their modules
(:func:`fastapi_medic.live.repro.repro`, :func:`fastapi_medic.live.load.load`).
"""

from __future__ import annotations

from fastapi_medic.live._probe import probe

__all__ = ["probe"]
