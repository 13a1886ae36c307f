"""``env diff A B``: what differs between two snapshots, what matters first.

Order: Python minor version, platform (architecture, libc), packages the app imports,
missing variables, database URL shape, variable values, working directory and start
commands; then the rest (other packages, patch versions, config files).
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["DiffEntry", "EnvDiff", "diff"]


@dataclasses.dataclass(frozen=True, order=True)
class DiffEntry:
    """One difference.

    Attributes:
        rank: lower matters more; category: ``python``, ``package``, ``env``, ...
        subject: what differs (a package, a variable); a / b: each side, already redacted.
        important: part of the "matters first" group.
    """

    rank: int
    category: str
    subject: str
    a: str
    b: str
    important: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "category": self.category,
            "subject": self.subject,
            "a": self.a,
            "b": self.b,
            "important": self.important,
        }


@dataclasses.dataclass(frozen=True)
class EnvDiff:
    """The differences between snapshot ``a`` and snapshot ``b``, ordered."""

    entries: tuple[DiffEntry, ...]
    notes: tuple[str, ...] = ()

    @property
    def important(self) -> list[DiffEntry]:
        """The differences that most often explain "works here, fails there"."""
        return [e for e in self.entries if e.important]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``schema_version`` first)."""
        return {
            "schema_version": 1,
            "differences": [e.to_dict() for e in self.entries],
            "notes": list(self.notes),
        }

    def lines(self, a_name: str = "A", b_name: str = "B") -> list[str]:
        """The diff as readable lines."""
        if not self.entries:
            return ["No differences.", *self.notes]
        out = []
        for title, group in (
            ("Differences that matter", self.important),
            ("Other differences", [e for e in self.entries if not e.important]),
        ):
            if group:
                out.append(f"{title}:")
                out += [
                    f"  {e.category:<8} {e.subject}: {a_name} {e.a}, {b_name} {e.b}" for e in group
                ]
        return out + list(self.notes)


def _get(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data


def _shown(value: object) -> str:
    return "(none)" if value in (None, "", [], {}) else str(value)


def diff(a: dict[str, Any], b: dict[str, Any]) -> EnvDiff:
    """Compare two snapshots (as returned by ``snapshot`` or ``load_snapshot``)."""
    entries: list[DiffEntry] = []
    notes: list[str] = []
    entries += _python(a, b)
    for field in ("system", "machine", "libc", "container"):
        va, vb = _get(a, "platform", field), _get(b, "platform", field)
        if va != vb:
            entries.append(DiffEntry(1, "platform", field, _shown(va), _shown(vb)))
    entries += _packages(a, b)
    same_key = _get(a, "key", "id") == _get(b, "key", "id")
    if not same_key:
        notes.append("The snapshots use different keys: values cannot be compared, only presence.")
    entries += _env(a, b, same_key)
    if a.get("cwd") != b.get("cwd"):
        entries.append(
            DiffEntry(6, "cwd", "working directory", _shown(a.get("cwd")), _shown(b.get("cwd")))
        )
    starts_a = {(c.get("source"), c.get("app"), c.get("workdir")) for c in a["start_commands"]}
    starts_b = {(c.get("source"), c.get("app"), c.get("workdir")) for c in b["start_commands"]}
    for source, app, workdir in sorted(starts_a ^ starts_b, key=str):
        side_a = f"{app} in {workdir}" if (source, app, workdir) in starts_a else "(none)"
        side_b = f"{app} in {workdir}" if (source, app, workdir) in starts_b else "(none)"
        entries.append(DiffEntry(6, "start", str(source), side_a, side_b))
    files_a, files_b = a.get("files") or {}, b.get("files") or {}
    for name in sorted(set(files_a) | set(files_b)):
        if files_a.get(name) != files_b.get(name):
            entries.append(
                DiffEntry(
                    8,
                    "file",
                    name,
                    "sha " + _shown(files_a.get(name)),
                    "sha " + _shown(files_b.get(name)),
                    important=False,
                )
            )
    return EnvDiff(tuple(sorted(entries)), tuple(notes))


def _python(a: dict[str, Any], b: dict[str, Any]) -> list[DiffEntry]:
    va, vb = _get(a, "python", "version"), _get(b, "python", "version")
    if va == vb:
        return []
    minor = _get(a, "python", "minor") != _get(b, "python", "minor")
    return [DiffEntry(0 if minor else 7, "python", "version", _shown(va), _shown(vb), minor)]


def _packages(a: dict[str, Any], b: dict[str, Any]) -> list[DiffEntry]:
    imported: set[str] = set()
    for snap in (a, b):
        for dists in (snap.get("imports") or {}).values():
            imported.update(dists)
    entries = []
    pa, pb = a["packages"], b["packages"]
    for name in sorted(set(pa) | set(pb)):
        va, vb = _get(pa, name, "version"), _get(pb, name, "version")
        if va == vb:
            continue
        used = name in imported
        entries.append(DiffEntry(2 if used else 9, "package", name, _shown(va), _shown(vb), used))
    return entries


def _env(a: dict[str, Any], b: dict[str, Any], same_key: bool) -> list[DiffEntry]:
    entries = []
    ea, eb = a["env"], b["env"]
    for name in sorted(set(ea) | set(eb)):
        va, vb = ea.get(name) or {}, eb.get(name) or {}
        pa, pb = bool(va.get("present")), bool(vb.get("present"))
        if pa != pb:
            entries.append(
                DiffEntry(3, "env", name, "set" if pa else "unset", "set" if pb else "unset")
            )
            continue
        ua, ub = va.get("url"), vb.get("url")
        if ua != ub and (ua or ub):
            shape_a = _url_shape(ua)
            shape_b = _url_shape(ub)
            entries.append(DiffEntry(4, "url", name, shape_a, shape_b))
            continue
        ha, hb = va.get("hash"), vb.get("hash")
        if same_key and ha and hb and ha != hb:
            entries.append(DiffEntry(5, "env", name, "value", "another value"))
    return entries


def _url_shape(url: dict[str, Any] | None) -> str:
    if not url:
        return "(not a URL)"
    port = f":{url['port']}" if url.get("port") else ""
    return f"{url.get('scheme')}://{url.get('host') or ''}{port}"
