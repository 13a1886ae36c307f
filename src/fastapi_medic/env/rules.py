"""The environment codes (MED6xx), declared next to their detectors."""

from __future__ import annotations
