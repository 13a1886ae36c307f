"""The one finding model shared by static analysis, the environment checks, the runtime
probes, log triage and the live commands."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping

__all__ = [
    "Applicability",
    "Cause",
    "Edit",
    "Evidence",
    "Finding",
    "Fix",
    "Frame",
    "Location",
    "Severity",
    "Source",
]

EvidenceValue = str | int | float | bool | None
Evidence = Mapping[str, EvidenceValue]


class Severity(enum.IntEnum):
    """How bad a finding is; the numbers are those of the ``logging`` module."""

    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Return the severity named by ``text`` (case-insensitive).

        Raises:
            ValueError: ``text`` names no severity.
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r}; use one of {names}") from None


class Source(str, enum.Enum):
    """Which part of fastapi-medic produced a finding."""

    STATIC = "static"
    ENV = "env"
    RUNTIME = "runtime"
    LOGS = "logs"
    LIVE = "live"


class Cause(str, enum.Enum):
    """The failure class a finding belongs to, shared by every source.

    A static rule, a runtime probe and a log pattern about the same production failure carry
    the same cause, which is how ``doctor`` links them.
    """

    EVENT_LOOP = "event-loop"
    POOL_EXHAUSTION = "pool-exhaustion"
    SESSION_STATE = "session-state"
    DEPENDENCY_SIGNATURE = "dependency-signature"
    IMPORT_ERROR = "import-error"
    CONFIG = "config"
    RESPONSE_VALIDATION = "response-validation"
    SERVER_PROCESS = "server-process"
    LOGGING = "logging"
    SECRETS = "secrets"
    UNHANDLED = "unhandled"
    TOOL = "tool"


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Location:
    """A position in a file: source code, a config file or a log file.

    Lines are 1-based, columns 0-based (as in :mod:`ast`).
    """

    path: str
    line: int = 1
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column + 1}"


@dataclasses.dataclass(frozen=True, slots=True)
class Frame:
    """One step of a chain: a function, a call or a stack frame, with where it is."""

    label: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.path is None:
            return self.label
        if self.line is None:
            return f"{self.label} {self.path}"
        return f"{self.label} {self.path}:{self.line}"


class Applicability(str, enum.Enum):
    """Whether a fix keeps the program's behaviour (safe) or may change it (unsafe)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclasses.dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text between two positions of one file with ``content``."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    #: the text the edit expects to replace; the fix is refused when the file differs
    original: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical fix: edits applied together, with their applicability."""

    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE


class FrozenEvidence(dict[str, EvidenceValue]):
    """A read-only, picklable mapping (findings travel between processes and into caches)."""

    def _readonly(self, *args: object, **kwargs: object) -> None:
        raise TypeError("evidence is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: kv[0])))

    def __reduce__(self) -> tuple[type[FrozenEvidence], tuple[dict[str, EvidenceValue]]]:
        return (FrozenEvidence, (dict(self),))


def _freeze(evidence: Evidence | None) -> Evidence:
    # Imported here: redact is a sibling core module and must stay importable on its own.
    from fastapi_medic.redact import redact_value

    if not evidence:
        return FrozenEvidence()
    return FrozenEvidence({str(k): redact_value(str(k), v) for k, v in evidence.items()})


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by fastapi-medic, whatever found it.

    Findings compare by value and sort by location, then code, so tests can compare them
    directly. ``evidence`` is redacted on construction: a secret never reaches a writer.
    """

    code: str
    name: str
    severity: Severity
    message: str
    fix: str | None = None
    location: Location | None = None
    subject: str | None = None
    chain: tuple[Frame, ...] = ()
    source: Source = Source.STATIC
    cause: Cause | None = None
    evidence: Evidence = dataclasses.field(default_factory=dict, hash=False)
    autofix: Fix | None = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", _freeze(self.evidence))
        if not isinstance(self.chain, tuple):
            object.__setattr__(self, "chain", tuple(self.chain))

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order used by every report: path, line, column, code, subject."""
        loc = self.location
        if loc is None:
            return ("", 0, 0, self.code, self.subject or "")
        return (loc.path, loc.line, loc.column, self.code, self.subject or "")

    def replace(self, **changes: object) -> Finding:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Return ``findings`` in report order."""
    return sorted(findings, key=lambda f: f.sort_key)


@dataclasses.dataclass(frozen=True)
class Report:
    """What one run produced, ready for any writer.

    Attributes:
        command: the command that ran (``check``, ``env check``, ``logs``, ...).
        root: the directory paths in findings are relative to (shown, never a secret).
        findings: kept findings, in report order.
        silenced: how many findings ``# noqa`` or configuration suppressed.
        files: how many files were examined.
        duration: seconds the run took.
        summary: small extra figures for the footer (``{"cached": 120}``), redacted like evidence.
    """

    command: str
    root: str
    findings: tuple[Finding, ...] = ()
    silenced: int = 0
    files: int = 0
    duration: float = 0.0
    summary: Evidence = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(sorted_findings(self.findings)))
        object.__setattr__(self, "summary", _freeze(self.summary))

    def at_or_above(self, level: Severity) -> list[Finding]:
        """Findings whose severity is ``level`` or worse."""
        return [f for f in self.findings if f.severity >= level]
