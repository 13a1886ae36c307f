"""Log triage: reads server logs as a stream and classifies every failure (MED8xx).

>>> report = triage(["logs/*.log"], since="2h")  # doctest: +SKIP
"""

from __future__ import annotations

from fastapi_medic.logs.group import Group, ServerErrors
from fastapi_medic.logs.run import TriageResult, parse_when, scan, triage

__all__ = ["Group", "ServerErrors", "TriageResult", "parse_when", "scan", "triage"]
