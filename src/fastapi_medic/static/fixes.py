"""Applies mechanical fixes to source files without ever losing or corrupting one.

A file is rewritten only when its content is still what was analysed, every edit finds the
text it expects, edits do not overlap, and the result still parses. The new content is
written to a temporary file in the same directory and renamed over the original, so an
interruption leaves either the old file or the new one.
"""

from __future__ import annotations

import ast
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi_medic.findings import Applicability, Edit, Finding

__all__ = ["FixResult", "apply_fixes"]


@dataclass
class FixResult:
    """What :func:`apply_fixes` did."""

    applied: int = 0
    files: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def _offset(lines: list[bytes], line: int, column: int) -> int:
    return sum(len(text) for text in lines[: line - 1]) + column


def _apply(source: bytes, edits: list[Edit]) -> bytes | None:
    lines = source.splitlines(keepends=True) or [b""]
    spans = []
    for edit in edits:
        if edit.line < 1 or edit.end_line > len(lines) + 1:
            return None
        if edit.column < 0:
            # the edit names its text but not its column: it must occur once on the line
            if edit.original is None or edit.line > len(lines):
                return None
            text = lines[edit.line - 1]
            needle = edit.original.encode()
            if text.count(needle) != 1:
                return None
            start = _offset(lines, edit.line, text.index(needle))
            end = start + len(needle)
        else:
            start = _offset(lines, edit.line, edit.column)
            end = _offset(lines, edit.end_line, edit.end_column)
        if edit.original is not None and source[start:end] != edit.original.encode():
            return None
        spans.append((start, end, edit.content.encode()))
    spans.sort()
    out = bytearray()
    position = 0
    for start, end, content in spans:
        if start < position:
            return None  # overlapping edits
        out += source[position:start] + content
        position = end
    out += source[position:]
    return bytes(out)


def _write_atomic(path: Path, data: bytes) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".fix")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_fixes(
    root: Path,
    findings: Iterable[Finding],
    digests: Mapping[str, str],
    *,
    unsafe: bool = False,
) -> FixResult:
    """Apply the autofixes of ``findings`` under ``root``.

    Args:
        root: the directory finding paths are relative to.
        findings: findings, some with an ``autofix``.
        digests: content hash of each file when it was analysed; a file whose content
            changed since is left alone.
        unsafe: also apply fixes marked unsafe.
    """
    from fastapi_medic.static.analyze import digest

    by_path: dict[str, list[list[Edit]]] = {}
    for finding in findings:
        fix = finding.autofix
        if fix is None or (fix.applicability is Applicability.UNSAFE and not unsafe):
            continue
        if fix.edits:
            by_path.setdefault(fix.edits[0].path, []).append(list(fix.edits))
    result = FixResult()
    for rel, groups in sorted(by_path.items()):
        path = root / rel
        try:
            source = path.read_bytes()
        except OSError as exc:
            result.refused.append((rel, f"cannot read: {exc.strerror or exc}"))
            continue
        if digest(source) != digests.get(rel):
            result.refused.append((rel, "changed since it was checked"))
            continue
        # Identical edits (one import added for several fixes) are applied once.
        edits: list[Edit] = []
        accepted = 0
        for group in groups:
            fresh = [e for e in group if e not in edits]
            if _apply(source, [*edits, *fresh]) is None:
                continue  # this fix collides with one already taken
            edits.extend(fresh)
            accepted += 1
        new = _apply(source, edits) if edits else None
        if new is None or new == source:
            continue
        try:
            ast.parse(new)
        except (SyntaxError, ValueError):
            result.refused.append((rel, "the fixed file would not parse"))
            continue
        try:
            _write_atomic(path, new)
        except OSError as exc:
            result.refused.append((rel, f"cannot write: {exc.strerror or exc}"))
            continue
        result.applied += accepted
        result.files.append(rel)
    return result
