"""``# noqa`` comments and configuration ignores: which findings are kept and which silenced.

A ``# noqa`` comment is read as Ruff reads it:

- ``# noqa`` alone silences every finding on its line;
- ``# noqa: MED101, MED102`` (commas or spaces, any spacing, ``#noqa:MED101`` too) silences
  those codes only. Codes are full codes in capitals; other tools' codes (``E501``) may share
  the comment and are left to those tools;
- ``noqa`` is case-insensitive, and the directive may follow other text in the comment
  (``# type: ignore  # noqa: MED101``);
- ``# noqa:`` followed by no code is not a directive, so it silences nothing.

Only real comments count: the source is tokenized, so ``"# noqa"`` inside a string does not.
A finding that spans several lines is silenced by a ``# noqa`` on its first line, the line of
its :class:`~fastapi_medic.findings.Location`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from pathlib import Path

from fastapi_medic.config import Config
from fastapi_medic.findings import Finding
from fastapi_medic.registry import get_rule, matches_selector

__all__ = ["Suppression", "collect_noqa", "parse_noqa", "split_findings"]

NoqaMap = Mapping[int, frozenset[str]]

_DIRECTIVE = re.compile(r"#\s*noqa(?![\w-])", re.IGNORECASE)
_COLON = re.compile(r"\s*:")
_NEXT_CODE = re.compile(r"[,\s]*([A-Z]+[0-9]+)(?![\w-])")
_ALL: frozenset[str] = frozenset()


def _parse_comment(comment: str) -> frozenset[str] | None:
    """The codes of the ``noqa`` directives in one comment; empty means all codes."""
    found: frozenset[str] | None = None
    for match in _DIRECTIVE.finditer(comment):
        colon = _COLON.match(comment, match.end())
        if colon is None:
            return _ALL
        codes = []
        position = colon.end()
        while (code := _NEXT_CODE.match(comment, position)) is not None:
            codes.append(code.group(1))
            position = code.end()
        if codes:
            found = (found or frozenset()) | frozenset(codes)
    return found


def collect_noqa(source: str) -> dict[int, frozenset[str]]:
    """Find every ``# noqa`` comment of a Python source file, tokenizing it once.

    Args:
        source: the whole text of the file.

    Returns:
        Line number (1-based) -> codes named on that line; an empty frozenset means a bare
        ``# noqa``, which covers every code. Lines without a directive are absent. When the
        file does not tokenize, the comments before the error are still returned.
    """
    directives: dict[int, frozenset[str]] = {}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    # A file that does not tokenize is reported by the parser; its earlier comments still count.
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        for token in tokens:
            if token.type != tokenize.COMMENT:
                continue
            codes = _parse_comment(token.string)
            if codes is not None:
                directives[token.start[0]] = codes
    return directives


def parse_noqa(source_line: str) -> frozenset[str] | None:
    """Read the ``# noqa`` directive of one line of Python.

    The line is tokenized on its own, so a ``# noqa`` inside a string on it does not count.
    Prefer :func:`collect_noqa` on the whole file: only the file shows whether a line sits
    inside a multi-line string.

    Returns:
        None when the line has no directive, an empty frozenset for a bare ``# noqa``, or the
        codes it names (other tools' codes included).
    """
    lines = source_line.lstrip().splitlines()
    return collect_noqa(lines[0] + "\n").get(1) if lines else None


@dataclasses.dataclass(frozen=True, slots=True)
class Suppression:
    """Findings split by :func:`split_findings`.

    Attributes:
        kept: findings to report, with configured severities applied, in the input order.
        silenced: findings a ``# noqa`` or the configuration silenced, unchanged.
        unused_noqa: (path, line, code) of each ``# noqa`` code that silenced nothing; the
            code is ``""`` for a bare ``# noqa``. Sorted.
    """

    kept: tuple[Finding, ...] = ()
    silenced: tuple[Finding, ...] = ()
    unused_noqa: tuple[tuple[str, int, str], ...] = ()


def _enabled(code: str, config: Config) -> bool:
    """Whether ``select`` and ``ignore`` let ``code`` run; the longest selector wins."""
    select = max((len(s) for s in config.select if matches_selector(code, s)), default=-1)
    ignore = max((len(s) for s in config.ignore if matches_selector(code, s)), default=-1)
    if select < 0 or ignore >= select:
        return False
    rule = get_rule(code)
    return rule is None or not rule.preview or code in config.select


def _silenced_by_config(finding: Finding, config: Config, base: Path | None) -> bool:
    if not _enabled(finding.code, config):
        return True
    if finding.location is None:
        return False
    path = finding.location.path
    ignored = config.ignored_for_path(str(base / path) if base is not None else path)
    return any(matches_selector(finding.code, selector) for selector in ignored)


def split_findings(
    findings: Iterable[Finding],
    *,
    noqa_by_path: Mapping[str, NoqaMap],
    config: Config,
    base: Path | None = None,
) -> Suppression:
    """Split findings into those to report and those silenced, and find unused ``# noqa``.

    A finding is silenced when ``select``/``ignore`` leave its code out, when per-file-ignores
    cover its code for its path, or when a ``# noqa`` on its first line names its code or is
    bare. A finding without a location can only be silenced by ``select``/``ignore``.

    Args:
        findings: the findings of one run.
        noqa_by_path: path -> :func:`collect_noqa` result; the paths are the same strings as
            the findings' ``location.path``.
        config: the configuration (ignores and severity overrides).
        base: the directory finding paths are relative to, when it is not ``config.root``
            (per-file-ignores patterns are relative to the configuration file).

    Returns:
        The split. A ``# noqa`` code is reported unused only when it is a MED code that
        ``select``/``ignore`` leave enabled, so narrowing the selection does not flood the
        report; a ``# noqa: MED101`` in a file whose per-file-ignores already drop MED101 is
        unused, because the configuration silences the finding first.
    """
    kept: list[Finding] = []
    silenced: list[Finding] = []
    used: set[tuple[str, int, str]] = set()
    for finding in findings:
        if _silenced_by_config(finding, config, base):
            silenced.append(finding)
            continue
        location = finding.location
        codes = None if location is None else noqa_by_path.get(location.path, {}).get(location.line)
        if location is not None and codes is not None and (not codes or finding.code in codes):
            silenced.append(finding)
            used.add((location.path, location.line, finding.code if codes else ""))
            continue
        severity = config.severity_for(finding.code, finding.severity)
        kept.append(finding if severity == finding.severity else finding.replace(severity=severity))
    return Suppression(
        kept=tuple(kept),
        silenced=tuple(silenced),
        unused_noqa=_unused(noqa_by_path, used, config),
    )


def _unused(
    noqa_by_path: Mapping[str, NoqaMap], used: set[tuple[str, int, str]], config: Config
) -> tuple[tuple[str, int, str], ...]:
    unused: list[tuple[str, int, str]] = []
    for path, directives in noqa_by_path.items():
        for line, codes in directives.items():
            if not codes:
                if (path, line, "") not in used:
                    unused.append((path, line, ""))
                continue
            unused.extend(
                (path, line, code)
                for code in codes
                if code.startswith("MED")
                and _enabled(code, config)
                and (path, line, code) not in used
            )
    return tuple(sorted(unused))
