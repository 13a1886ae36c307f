"""The pytest plugin of the runtime probes."""

from __future__ import annotations
