"""Reassembles Python tracebacks from log lines, chained exceptions and exception groups included.

A :class:`Assembler` follows one output stream (a container, a pod, a process); the scanner
keeps one per stream, so tracebacks that several workers write at the same time stay apart
when their lines say which worker wrote them. Lines of other log records that land in the
middle of a traceback's frames are handed back to the caller and do not end the traceback.
"""

from __future__ import annotations

import dataclasses
import enum

__all__ = [
    "Assembler",
    "Segment",
    "TbFrame",
    "Traceback",
    "from_frames",
    "is_user_path",
    "parse_traceback_text",
]

_START = "Traceback (most recent call last):"
_GROUP_START = "Exception Group Traceback (most recent call last):"
_CHAIN = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_LIBRARIES = ("site-packages", "dist-packages", "lib-dynload", "/lib/pypy")
_STDLIB = ("/lib/python3.", "/lib/python3/", "/lib/python2.")
#: bounds that keep one pathological traceback from holding memory
MAX_FRAMES = 400
MAX_SEGMENTS = 32
_MAX_CONTINUATION = 30
_MAX_MESSAGE = 2000
#: lines of other records tolerated in the middle of a traceback's frames
MAX_GAP = 500
#: lines of other streams after which a traceback whose exception was read is complete
SETTLED_GAP = 8


@dataclasses.dataclass(slots=True)
class TbFrame:
    """One ``File "...", line N, in func`` entry and the source line under it."""

    path: str
    line: int | None
    func: str | None
    code: str | None = None

    @property
    def is_user(self) -> bool:
        """True when the frame is the application's own code (not a library, not stdlib)."""
        return is_user_path(self.path)


@dataclasses.dataclass(slots=True)
class Segment:
    """One exception of a chain: its frames, its type and its message."""

    frames: list[TbFrame] = dataclasses.field(default_factory=list)
    exc_type: str = ""
    message: str = ""

    @property
    def is_group(self) -> bool:
        """True for an ``ExceptionGroup`` (its sub-exceptions are the next segments)."""
        return self.exc_type.endswith("ExceptionGroup")

    @property
    def text(self) -> str:
        """``Type: message`` as Python prints it."""
        return f"{self.exc_type}: {self.message}" if self.message else self.exc_type


@dataclasses.dataclass(slots=True)
class Traceback:
    """A whole traceback: its exceptions in printed order (the root cause first)."""

    segments: list[Segment]

    @property
    def primary(self) -> Segment:
        """The exception that escaped: the last one printed that is not a group."""
        for segment in reversed(self.segments):
            if not segment.is_group and segment.exc_type:
                return segment
        return self.segments[-1]


def is_user_path(path: str) -> bool:
    """True for the application's own files: not site-packages, stdlib or ``<frozen ...>``."""
    if not path or path.startswith("<"):
        return False
    lowered = path.lower()
    if any(marker in lowered for marker in _LIBRARIES + _STDLIB):
        return False
    # Windows: C:\Python311\Lib\asyncio\runners.py
    return not ("\\lib\\" in lowered and "\\python" in lowered)


def user_frame(frames: list[TbFrame]) -> TbFrame | None:
    """The innermost frame of the application's own code, or None."""
    for frame in reversed(frames):
        if frame.is_user:
            return frame
    return None


def _parse_frame(stripped: str) -> TbFrame | None:
    # `File "/app/main.py", line 12, in handler`  (SyntaxError frames have no `, in`)
    if stripped.startswith("> "):  # loguru marks the failing frame with `>`
        stripped = stripped[2:]
    if not stripped.startswith('File "'):
        return None
    end = stripped.find('", line ', 6)
    if end < 0:
        end = stripped.rfind('"')
        if end <= 6:
            return None
        return TbFrame(stripped[6:end], None, None)
    path = stripped[6:end]
    rest = stripped[end + 8 :]
    number, _, func = rest.partition(", in ")
    line = int(number) if number.strip().isdigit() else None
    return TbFrame(path, line, func.strip() or None)


def _split_exception(text: str) -> tuple[str, str]:
    head, sep, message = text.partition(": ")
    if sep and " " not in head and head:
        return head, message.strip()
    if " " not in text.strip():
        return text.strip(), ""
    return "", text.strip()


class _State(enum.Enum):
    IDLE = 0
    FRAMES = 1
    EXCEPTION = 2
    CHAIN = 3


class Assembler:
    """Builds tracebacks from one stream's lines, fed one at a time.

    :meth:`feed` returns ``(consumed, finished)``: whether the line belonged to a traceback
    (otherwise the caller treats it as an ordinary record), and a traceback that the line
    completed, if any.
    """

    __slots__ = ("_blank", "_cont", "_group", "_segment", "_segments", "_state", "last_line")

    def __init__(self) -> None:
        self._state = _State.IDLE
        self._segments: list[Segment] = []
        self._segment = Segment()
        self._group = False
        self._blank = False
        self._cont = 0
        self.last_line = 0

    @property
    def active(self) -> bool:
        """True while a traceback is open (more lines may belong to it)."""
        return self._state is not _State.IDLE

    @property
    def settled(self) -> bool:
        """True once the exception line was read: only a chain or a continuation may follow."""
        return self._state is _State.EXCEPTION and not self._group

    @property
    def in_frames(self) -> bool:
        """True while reading the frames of a traceback that is not an exception group."""
        return self._state is _State.FRAMES and not self._group

    def feed_frames(self, chunk: str, lineno: int) -> None:
        """Feed indented lines (frames and their source) at once; only when :attr:`in_frames`."""
        lines = chunk.split("\n")
        if not lines[-1]:
            lines.pop()
        for text in lines:
            self._frames(text, text.strip(), False)
        self.last_line = lineno + len(lines) - 1

    def feed(self, text: str, *, record: bool, lineno: int = 0) -> tuple[bool, Traceback | None]:
        """Offer one line; see the class docstring."""
        if self._state is _State.IDLE:
            if _is_start(text):
                self._begin(text)
                self.last_line = lineno
                return True, None
            return False, None
        if self._group:
            boxed = _unbox(text)
            if boxed is None:
                self._group = False  # the group's box ended: chains and records follow
                self._push()
                self._state = _State.EXCEPTION
                self._blank = False
            elif boxed == "":
                self._push()  # a separator between sub-exceptions
                self._state = _State.FRAMES
                self.last_line = lineno
                return True, None
            else:
                text = boxed
        consumed, finished = self._step(text, record)
        if consumed:
            self.last_line = lineno
        return consumed, finished

    def finish(self) -> Traceback | None:
        """Close the open traceback (end of input, or its stream went quiet)."""
        if self._state is _State.IDLE:
            return None
        self._push()
        segments = self._segments
        self._reset()
        segments = [s for s in segments if s.exc_type or s.frames or s.message]
        if not segments:
            return None
        return Traceback(segments)

    def _reset(self) -> None:
        self._state = _State.IDLE
        self._segments = []
        self._segment = Segment()
        self._group = False
        self._blank = False
        self._cont = 0

    def _begin(self, text: str) -> None:
        self._state = _State.FRAMES
        self._segment = Segment()
        self._group = _GROUP_START in text[:80]
        self._blank = False

    def _push(self) -> None:
        segment = self._segment
        if (segment.exc_type or segment.frames or segment.message) and len(
            self._segments
        ) < MAX_SEGMENTS:
            self._segments.append(segment)
        self._segment = Segment()

    def _step(self, text: str, record: bool) -> tuple[bool, Traceback | None]:
        stripped = text.strip()
        if self._state is _State.FRAMES:
            return self._frames(text, stripped, record)
        if self._state is _State.CHAIN:
            if not stripped or stripped in _CHAIN:
                return True, None
            if _is_start(stripped):
                self._begin_chained(stripped)
                return True, None
            return False, self.finish()
        # EXCEPTION: a message continuation, a chain marker, or the end
        if not stripped:
            self._blank = True
            return True, None
        if stripped in _CHAIN:
            self._push()
            self._state = _State.CHAIN
            return True, None
        if _is_start(stripped):
            finished = self.finish()
            self._begin(stripped)
            return True, finished
        if self._blank and text[:1] in (" ", "\t"):
            # FastAPI names the endpoint under a validation error, after a blank line
            frame = _parse_frame(stripped)
            if frame is not None and len(self._segment.frames) < MAX_FRAMES:
                self._segment.frames.append(frame)
                self._blank = False
                self._cont = _MAX_CONTINUATION - 1  # its source line, then the end
                return True, None
        if record or self._blank:
            return False, self.finish()
        if self._continues(text):
            self._cont += 1
            if len(self._segment.message) < _MAX_MESSAGE:
                self._segment.message += "\n" + text.rstrip()
            return True, None
        return False, self.finish()

    def _begin_chained(self, stripped: str) -> None:
        self._state = _State.FRAMES
        self._segment = Segment()
        if _GROUP_START in stripped:
            self._group = True

    def _continues(self, text: str) -> bool:
        if self._cont >= _MAX_CONTINUATION:
            return False
        if text[:1] in (" ", "\t"):
            return True
        # pydantic's ValidationError lists field names unindented under its first line
        return self._segment.exc_type.endswith("ValidationError")

    def _frames(self, text: str, stripped: str, record: bool) -> tuple[bool, Traceback | None]:
        frame = _parse_frame(stripped)
        if frame is not None:
            if len(self._segment.frames) < MAX_FRAMES:
                self._segment.frames.append(frame)
            else:  # keep the outermost and the innermost frames: drop from the middle
                del self._segment.frames[MAX_FRAMES // 2]
                self._segment.frames.append(frame)
            return True, None
        if not stripped:
            return True, None  # loguru and some formatters put blank lines between frames
        if text[:1] in (" ", "\t"):
            frames = self._segment.frames
            if frames and frames[-1].code is None and not _is_decoration(stripped):
                frames[-1].code = stripped[:300]
            return True, None
        if _is_start(stripped):
            if self._segment.frames or self._segment.exc_type:
                self._push()
            return True, None
        if record and not self._group:
            return False, None  # another worker's record in the middle: not ours
        self._segment.exc_type, self._segment.message = _split_exception(stripped[:_MAX_MESSAGE])
        self._state = _State.EXCEPTION
        self._blank = False
        self._cont = 0
        return True, None


def _is_decoration(stripped: str) -> bool:
    # 3.11+ carets (`^^^^`, `~~~^^^`), loguru's variable lines (`└`, `│`), repeat notes
    return (
        stripped[0] in "^~└│├"
        or stripped.startswith("[Previous line repeated")
        or stripped == "..."
    )


def _is_start(text: str) -> bool:
    stripped = text.lstrip(" +|")
    if stripped.startswith((_START, _GROUP_START)):
        return True
    # `ERROR:root:Traceback (most recent call last):` — format_exc() logged as the message
    return text.rstrip().endswith(_START)


def _unbox(text: str) -> str | None:
    """The text inside exception-group box drawing: None outside the box, "" for separators."""
    for _ in range(16):  # nested groups add one level of box per group
        stripped = text.lstrip(" ")
        if not stripped:
            return None
        if stripped.startswith("+-") or (
            stripped.startswith("+") and stripped.strip("+- .0123456789") == ""
        ):
            return ""
        if stripped.startswith("+ "):
            return stripped[2:]
        if stripped.startswith("|"):
            text = stripped[2:] if stripped.startswith("| ") else stripped[1:]
            inner = text.lstrip(" ")
            if not inner.startswith(("|", "+")):
                return text
            continue
        return None
    return text


def parse_traceback_text(text: str) -> Traceback | None:
    """Parse a traceback held in one string (a JSON field), or None if it holds none."""
    assembler = Assembler()
    found: list[Traceback] = []
    for line in text.splitlines()[:5000]:
        _, finished = assembler.feed(line, record=False)
        if finished is not None:
            found.append(finished)
    last = assembler.finish()
    if last is not None:
        found.append(last)
    if not found:
        return None
    # a message with two tracebacks: keep the last, which is the one that escaped
    return found[-1]


def from_frames(items: list[object]) -> Traceback | None:
    """Build a traceback from structlog's ``dict_tracebacks`` list (outermost first)."""
    segments: list[Segment] = []
    for item in reversed(items[:MAX_SEGMENTS]):
        if not isinstance(item, dict):
            continue
        frames = []
        raw_frames = item.get("frames")
        for raw in raw_frames[:MAX_FRAMES] if isinstance(raw_frames, list) else []:
            if isinstance(raw, dict):
                line = raw.get("lineno")
                frames.append(
                    TbFrame(
                        str(raw.get("filename", "")),
                        line if isinstance(line, int) else None,
                        str(raw["name"]) if raw.get("name") else None,
                        str(raw["line"])[:300] if raw.get("line") else None,
                    )
                )
        segments.append(
            Segment(frames, str(item.get("exc_type", "")), str(item.get("exc_value", ""))[:2000])
        )
    return Traceback(segments) if segments else None
