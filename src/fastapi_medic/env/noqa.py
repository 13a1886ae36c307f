"""``# noqa: MED6xx`` in the files env findings point at: Python, YAML, TOML, requirements
files, Procfiles and Dockerfiles.

A directive counts on the finding's own line, or alone on the line just above it: a
Dockerfile has no trailing comments, and a JSON-array ``CMD`` cannot carry one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi_medic.findings import Finding
from fastapi_medic.suppress import collect_noqa, parse_noqa

__all__ = ["noqa_for"]


def noqa_for(root: Path, findings: Iterable[Finding]) -> dict[str, dict[int, frozenset[str]]]:
    """Path -> {line -> codes} for every file a finding points at, as ``split_findings`` wants."""
    result: dict[str, dict[int, frozenset[str]]] = {}
    wanted: dict[str, set[int]] = {}
    for finding in findings:
        if finding.location is not None:
            wanted.setdefault(finding.location.path, set()).add(finding.location.line)
    for rel, lines in wanted.items():
        try:
            text = (root / rel).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        if rel.endswith(".py"):
            result[rel] = collect_noqa(text)
            continue
        source = text.splitlines()
        directives: dict[int, frozenset[str]] = {}
        for line in lines:
            for number in (line, line - 1):
                if not 1 <= number <= len(source):
                    continue
                text_line = source[number - 1]
                at = text_line.find("#")
                if at < 0 or (number != line and text_line[:at].strip()):
                    continue
                codes = parse_noqa(text_line[at:])
                if codes is not None:
                    directives[line] = codes
                    break
        result[rel] = directives
    return result
