"""Names the cause class of one failure: a traceback, a log line, or both."""

from __future__ import annotations

import dataclasses
import functools

from fastapi_medic.findings import Cause, Severity
from fastapi_medic.logs.patterns import EARLIER, IGNORED_TYPES, PATTERNS, Pattern
from fastapi_medic.logs.tracebacks import Segment, TbFrame, Traceback, user_frame

__all__ = ["Classification", "classify"]

_LOGGING_ERROR = next(p for p in PATTERNS if p.ident == "logging-error")
_ENVIRON = Pattern(
    "environment-variable-missing",
    Cause.CONFIG,
    (),
    "A required environment variable is not set",
    "Set the variable in the deployment, or give it a default in your settings",
    earlier=EARLIER["environment-variable-missing"],
)


@dataclasses.dataclass(frozen=True, slots=True)
class Classification:
    """What a failure is: its cause class, the pattern, the exception and your own frame.

    Attributes:
        cause: the shared cause class.
        pattern: the pattern that matched; its ident is ``unhandled`` when none did.
        explanation: one line, under 80 characters.
        fix: one imperative line.
        severity: the pattern's severity when it overrides the rule's, else None.
        exc_type: the exception type the cause was read from ("" for a log line).
        exc_message: that exception's message (or the log line), first line only.
        frame: your own innermost frame, or the innermost frame when none is yours.
        frame_is_user: whether ``frame`` is your own code.
        frames: the frames of that exception, outermost first.
        earlier: the codes that catch this pattern before production (may be empty).
    """

    cause: Cause
    pattern: str
    explanation: str
    fix: str
    severity: Severity | None
    exc_type: str
    exc_message: str
    frame: TbFrame | None
    frame_is_user: bool
    frames: tuple[TbFrame, ...]
    earlier: tuple[str, ...] = ()


#: (needle, index of its pattern), in table order: one flat loop finds every candidate
_NEEDLES: tuple[tuple[str, int], ...] = tuple(
    (needle, index) for index, pattern in enumerate(PATTERNS) for needle in pattern.needles
)


def _candidates(text: str) -> tuple[int, ...]:
    """Indexes of the patterns whose needles occur in ``text``."""
    if len(text) <= _CACHED_TEXT:
        return _cached_candidates(text)
    return _find_candidates(text)


def _find_candidates(text: str) -> tuple[int, ...]:
    return tuple(sorted({index for needle, index in _NEEDLES if needle in text}))


#: short texts (exception lines repeat) are cached; the cache stays under half a megabyte
_CACHED_TEXT = 400
_cached_candidates = functools.lru_cache(maxsize=1024)(_find_candidates)


def _first_match(text: str, exc_type: str) -> int | None:
    """The index of the first pattern that matches ``text``, or None."""
    for index in _candidates(text):
        pattern = PATTERNS[index]
        if pattern.types and not exc_type.endswith(pattern.types):
            continue
        if pattern.also and not any(word in text for word in pattern.also):
            continue
        return index
    return None


def _short(exc_type: str) -> str:
    return exc_type.rsplit(".", 1)[-1]


def _environ_keyerror(segment: Segment) -> bool:
    if _short(segment.exc_type) != "KeyError":
        return False
    for frame in segment.frames[-3:]:
        if frame.path.endswith(("os.py", "<frozen os>")) and frame.func == "__getitem__":
            return True
        if frame.code and ("environ[" in frame.code or "getenv(" in frame.code):
            return True
    return False


def classify(traceback: Traceback | None, line: str = "") -> Classification | None:
    """Classify a failure; None when it is not one (a clean line, a server shutdown).

    Args:
        traceback: the reassembled traceback, if the failure has one.
        line: the log message that introduced it, or the whole line when there is no
            traceback.

    Returns:
        The classification; a traceback that matches no pattern is ``unhandled``, a line
        without a traceback that matches no pattern is None.
    """
    segments = traceback.segments if traceback is not None else []
    if _LOGGING_ERROR.needles[0] in line:  # whatever the traceback says, logging failed
        return _build(_LOGGING_ERROR, None, traceback, line)
    best: tuple[int, Segment | None] | None = None
    for segment in reversed(segments):
        index = _first_match(segment.text, segment.exc_type)
        if index is not None and (best is None or index < best[0]):
            best = (index, segment)
    if line:
        index = _first_match(line[:4000], "")
        if index is not None and (best is None or index < best[0]):
            best = (index, None)
    if best is not None:
        return _build(PATTERNS[best[0]], best[1], traceback, line)
    if traceback is None:
        return None
    for segment in reversed(segments):
        if _environ_keyerror(segment):
            return _build(_ENVIRON, segment, traceback)
    primary = traceback.primary
    types = [_short(s.exc_type) for s in segments if s.exc_type]
    if types and all(t in IGNORED_TYPES for t in types):
        return None
    short = _short(primary.exc_type) or "exception"
    where = ""
    found = _frame_for(primary, traceback)
    if found is not None and found[1] and found[0].func:
        where = f" in {found[0].func}"
    unhandled = Pattern(
        "unhandled",
        Cause.UNHANDLED,
        (),
        f"Unhandled {short}{where}"[:79],
        "Handle the error at the frame shown, or let a handler answer with a 4xx",
    )
    return _build(unhandled, primary, traceback)


def _frame_for(segment: Segment, traceback: Traceback) -> tuple[TbFrame, bool] | None:
    """Your innermost frame in ``segment``, else in the other exceptions, else the last."""
    own = user_frame(segment.frames)
    if own is not None:
        return own, True
    for other in reversed(traceback.segments):
        own = user_frame(other.frames)
        if own is not None:
            return own, True
    if segment.frames:
        return segment.frames[-1], False
    return None


def _build(
    pattern: Pattern, segment: Segment | None, traceback: Traceback | None, line: str = ""
) -> Classification:
    if segment is None and traceback is not None:
        segment = traceback.primary
    frame: TbFrame | None = None
    is_user = False
    frames: tuple[TbFrame, ...] = ()
    if segment is not None and traceback is not None:
        found = _frame_for(segment, traceback)
        if found is not None:
            frame, is_user = found
        frames = tuple(segment.frames) or next(
            (tuple(s.frames) for s in reversed(traceback.segments) if s.frames), ()
        )
    exc_type = segment.exc_type if segment is not None else ""
    message = segment.message if segment is not None else line
    return Classification(
        cause=pattern.cause,
        pattern=pattern.ident,
        explanation=pattern.explanation,
        fix=pattern.fix,
        severity=pattern.severity,
        exc_type=exc_type,
        exc_message=message.strip().split("\n", 1)[0][:300],
        frame=frame,
        frame_is_user=is_user,
        frames=frames,
        earlier=pattern.earlier,
    )
