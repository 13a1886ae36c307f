"""What every writer shares: the writer seam, its options and the small text helpers."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable
from typing import Protocol, TextIO

from fastapi_medic.findings import Evidence, EvidenceValue, Finding, Report, Severity
from fastapi_medic.registry import Rule

__all__ = [
    "TOOL_NAME",
    "TOOL_URI",
    "WriteOptions",
    "Writer",
    "count_noun",
    "fix_sentence",
    "json_figures",
    "severity_counts",
    "severity_label",
]

TOOL_NAME = "fastapi-medic"
TOOL_URI = "https://github.com/fastapi-medic/fastapi-medic"


@dataclasses.dataclass(frozen=True, kw_only=True)
class WriteOptions:
    """How a writer renders a report.

    Attributes:
        tool_version: the fastapi-medic version named in JSON and SARIF output.
        color: colour the text report (the CLI decides from the terminal and ``NO_COLOR``).
        show_fixes: include each finding's one-line fix (text, SARIF and GitHub output;
            JSON always carries every field).
        statistics: the text report prints one line per code with its count instead of
            every finding.
        rules: the rules whose metadata SARIF lists; ``None`` means every registered rule,
            so the caller must have imported the catalog first.
    """

    tool_version: str
    color: bool = False
    show_fixes: bool = True
    statistics: bool = False
    rules: tuple[type[Rule], ...] | None = None


class Writer(Protocol):
    """Renders a report onto a text stream in one output format."""

    def __call__(self, report: Report, stream: TextIO, /, *, options: WriteOptions) -> None:
        """Write ``report`` to ``stream``."""


def severity_label(severity: Severity) -> str:
    """The lowercase name of a severity, as shown to users and written to JSON."""
    return severity.name.lower()


def count_noun(count: int, word: str) -> str:
    """``count`` followed by ``word``, with a plural "s" unless ``count`` is 1."""
    # "info" and "critical" are adjectives used as nouns: they take no plural "s".
    if count == 1 or word in {"info", "critical"}:
        return f"{count} {word}"
    return f"{count} {word}s"


def severity_counts(findings: Iterable[Finding]) -> str:
    """Count findings per severity, worst first: ``"1 error, 2 warnings"``."""
    counts = Counter(f.severity for f in findings)
    return ", ".join(
        count_noun(counts[level], severity_label(level)) for level in sorted(counts, reverse=True)
    )


def fix_sentence(finding: Finding) -> str:
    """The message followed by the fix, for formats with a single message field."""
    if finding.fix is None:
        return finding.message
    message = finding.message.rstrip()
    if not message.endswith((".", "!", "?")):
        message += "."
    return f"{message} Fix: {finding.fix}"


def json_figures(figures: Evidence) -> dict[str, EvidenceValue]:
    """Evidence or summary figures ready for JSON: keys sorted, non-finite floats as text."""
    return {key: _finite(figures[key]) for key in sorted(figures)}


def _finite(value: EvidenceValue) -> EvidenceValue:
    # JSON has no NaN or infinity; their names survive as strings rather than breaking parsers.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
