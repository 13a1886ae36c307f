"""Rules register themselves here; their docstrings are their documentation.

Every code fastapi-medic can report, whatever its source, is a :class:`Rule` subclass, so
``fastapi-medic rules``, ``# noqa``, configuration and SARIF metadata work the same way for
static rules, environment checks, runtime probes and log classes.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar, TypeVar

from fastapi_medic.findings import Cause, Evidence, Finding, Fix, Frame, Location, Severity, Source

__all__ = [
    "FAMILIES",
    "RETIRED",
    "Rule",
    "RuleDoc",
    "all_rules",
    "get_rule",
    "matches_selector",
]

_CODE = re.compile(r"^MED[1-9]\d\d$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

#: The hundreds of a code name its family.
FAMILIES: dict[str, str] = {
    "1": "async and blocking",
    "2": "sessions and engines",
    "3": "dependencies and settings",
    "4": "logging and secrets",
    "5": "imports and architecture",
    "6": "environment",
    "7": "runtime probes",
    "8": "log triage and live checks",
    "9": "fastapi-medic's own problems",
}

#: Codes that existed once and must never be given to another rule: code -> note.
RETIRED: dict[str, str] = {}

_REGISTRY: dict[str, type[Rule]] = {}

_HEADING = re.compile(r"^## +(?P<title>.+?)\s*$", re.MULTILINE)
_USE_INSTEAD = re.compile(r"^Use instead:\s*$", re.MULTILINE)
_FENCE = re.compile(
    r"```(?:python|py|toml|dockerfile|text|ini|yaml|sh)?\n(?P<body>.*?)```", re.DOTALL
)


@dataclasses.dataclass(frozen=True)
class RuleDoc:
    """A rule's documentation, parsed from its docstring."""

    summary: str
    sections: dict[str, str]

    @property
    def what(self) -> str:
        """The "What it does" sentence."""
        return self.sections.get("What it does", "")

    @property
    def example(self) -> str | None:
        """The first code block of "Example" (the code the rule flags)."""
        return _first_block(self.sections.get("Example", ""))

    @property
    def use_instead(self) -> str | None:
        """The code block after "Use instead:" (the corrected code, which must be clean)."""
        example = self.sections.get("Example", "")
        match = _USE_INSTEAD.search(example)
        if match is None:
            return None
        return _first_block(example[match.end() :])

    @property
    def markdown(self) -> str:
        """The whole documentation as Markdown."""
        parts = [self.summary, ""] if self.summary else []
        for title, body in self.sections.items():
            parts += [f"## {title}", "", body.strip(), ""]
        return "\n".join(parts).strip() + "\n"


def _first_block(text: str) -> str | None:
    match = _FENCE.search(text)
    return match.group("body") if match else None


def parse_doc(docstring: str | None) -> RuleDoc:
    """Split a rule docstring into its summary line and its ``## Heading`` sections."""
    text = inspect.cleandoc(docstring or "")
    headings = list(_HEADING.finditer(text))
    summary = text[: headings[0].start()].strip() if headings else text.strip()
    sections: dict[str, str] = {}
    for i, match in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        sections[match.group("title")] = text[match.end() : end].strip("\n")
    return RuleDoc(summary=summary, sections=sections)


class Rule:
    """Base class of every rule. Subclasses with a ``code`` register themselves.

    Attributes:
        code: ``MED`` + three digits, never reused.
        name: kebab-case, reads after "allow" (``blocking-call-in-async-function``).
        severity: the default severity; configuration may override it.
        source: which part of fastapi-medic reports it.
        cause: the shared failure class.
        tags: free labels used for selection and documentation.
        preview: new or opinionated rules are off unless selected explicitly.
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    source: ClassVar[Source] = Source.STATIC
    cause: ClassVar[Cause | None] = None
    tags: ClassVar[frozenset[str]] = frozenset()
    preview: ClassVar[bool] = False

    def __init_subclass__(cls, register: bool = True, **kwargs: object) -> None:
        """Validate and register a rule; ``register=False`` keeps a test double out."""
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("code"):
            return  # an abstract family base
        code, name = cls.code, cls.name
        if not _CODE.match(code):
            raise TypeError(f"{cls.__qualname__}: code {code!r} is not MED + three digits")
        if not _NAME.match(name) or name.startswith(("no-", "disallow-")):
            raise TypeError(f"{cls.__qualname__}: name {name!r} is not a kebab-case pattern name")
        if code in RETIRED:
            raise TypeError(f"{cls.__qualname__}: code {code} is retired and cannot be reused")
        existing = _REGISTRY.get(code)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.__qualname__}: code {code} is already {existing.__qualname__}")
        if register:
            _REGISTRY[code] = cls

    @classmethod
    def doc(cls) -> RuleDoc:
        """The rule's documentation, parsed from its docstring."""
        return parse_doc(cls.__doc__)

    @classmethod
    def finding(
        cls,
        message: str,
        *,
        location: Location | None = None,
        fix: str | None = None,
        subject: str | None = None,
        chain: Sequence[Frame] = (),
        evidence: Evidence | None = None,
        autofix: Fix | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """Build a finding of this rule."""
        return Finding(
            code=cls.code,
            name=cls.name,
            severity=cls.severity if severity is None else severity,
            message=message,
            fix=fix,
            location=location,
            subject=subject,
            chain=tuple(chain),
            source=cls.source,
            cause=cls.cause,
            evidence=evidence or {},
            autofix=autofix,
        )


def all_rules() -> list[type[Rule]]:
    """Every registered rule, ordered by code (the catalog must have been imported)."""
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]


def get_rule(code: str) -> type[Rule] | None:
    """Return the rule with ``code`` or ``name``, or None."""
    code = code.strip()
    if code.upper() in _REGISTRY:
        return _REGISTRY[code.upper()]
    for rule in _REGISTRY.values():
        if rule.name == code:
            return rule
    return None


def matches_selector(code: str, selector: str) -> bool:
    """True when ``selector`` (a code, a prefix such as ``MED1``, or ``ALL``) covers ``code``."""
    selector = selector.strip().upper()
    return selector == "ALL" or code.startswith(selector)


_R = TypeVar("_R", bound="Rule")


def iter_selected(
    rules: Iterable[type[_R]], select: Sequence[str], ignore: Sequence[str]
) -> Iterator[type[_R]]:
    """Yield the rules covered by ``select`` and not by ``ignore``; the longest selector wins.

    Preview rules are yielded only when a selector names their code exactly.
    """
    for rule in rules:
        best_select = max((len(s) for s in select if matches_selector(rule.code, s)), default=-1)
        best_ignore = max((len(s) for s in ignore if matches_selector(rule.code, s)), default=-1)
        if best_select < 0 or best_ignore >= best_select:
            continue
        if rule.preview and rule.code not in {s.strip().upper() for s in select}:
            continue
        yield rule
