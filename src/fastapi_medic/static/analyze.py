"""Reads and parses each file once, in parallel, with a per-file cache.

A file's summary depends only on its bytes, the tool version and the configuration, so it is
cached under its content hash. Cross-module results are recomputed from the summaries on
every run, which keeps them right when a dependency changes; when no file changed at all, the
final result is reused as well.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import multiprocessing
import os
import pickle
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi_medic.findings import Location
from fastapi_medic.static.model import ModuleSummary
from fastapi_medic.static.rules.tool import UnparsableFile, UnreadableFile
from fastapi_medic.static.walker import StaticRule, summarize

__all__ = ["Cache", "FileTask", "analyze_file", "analyze_files"]

_CHUNK = 16


@dataclass(frozen=True)
class FileTask:
    """One file to analyse: where it is and how reports name it."""

    path: str  # absolute
    rel: str  # posix, relative to the checked root


_NOQA_LINE = re.compile(rb"^.*#.*noqa.*$", re.MULTILINE | re.IGNORECASE)


def _noqa_lines(
    source: bytes, string_spans: list[tuple[int, int, int]]
) -> dict[int, frozenset[str]]:
    """``# noqa`` directives, found without tokenizing the whole file.

    Candidate lines come from a regular expression; each is tokenized on its own, and lines
    inside multi-line strings (known from the syntax tree) are skipped.
    """
    from fastapi_medic.suppress import parse_noqa

    inside: set[int] = set()
    closing: dict[int, int] = {}  # last line of a multi-line string -> where the string ends
    for start, end, end_column in string_spans:
        inside.update(range(start, end))
        closing[end] = max(closing.get(end, 0), end_column)
    out: dict[int, frozenset[str]] = {}
    for match in _NOQA_LINE.finditer(source):
        line = source.count(b"\n", 0, match.start()) + 1
        if line in inside:
            continue
        text = match.group()
        if line in closing:
            text = text[closing[line] :]  # only what follows the closing quotes
        try:
            codes = parse_noqa(text.decode("utf-8", errors="replace"))
        except Exception:  # a tokenizer failure only loses this suppression
            continue
        if codes is not None:
            out[line] = codes
    return out


def _short(message: str) -> str:
    return message if len(message) < 80 else message[:78] + "…"


def analyze_file(task: FileTask, rules: Sequence[StaticRule], max_bytes: int) -> ModuleSummary:
    """Read, parse and summarise one file; problems become MED9xx findings in the summary."""
    is_package = task.rel.endswith("__init__.py")
    summary = ModuleSummary(path=task.rel, is_package=is_package)
    try:
        size = os.path.getsize(task.path)
        if size > max_bytes:
            summary.findings.append(
                UnreadableFile.finding(
                    f"File is too large to analyse ({size:,} bytes > {max_bytes:,})",
                    location=Location(task.rel),
                    fix="Exclude generated files, or raise `max-file-bytes`",
                )
            )
            return summary
        with open(task.path, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        summary.findings.append(
            UnreadableFile.finding(
                f"Cannot read file: {exc.strerror or exc}", location=Location(task.rel)
            )
        )
        return summary
    try:
        with warnings.catch_warnings():
            # invalid escape sequences and the like warn; they are not our findings
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=task.rel)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = max((exc.offset or 1) - 1, 0)
        summary.findings.append(
            UnparsableFile.finding(
                _short(f"Cannot parse file: {exc.msg}"),
                location=Location(task.rel, line, column),
                fix="Fix the syntax error; until then no rule checks this file",
            )
        )
        return summary
    except (ValueError, UnicodeError) as exc:  # NUL bytes, undecodable text
        summary.findings.append(
            UnparsableFile.finding(
                _short(f"Cannot parse file: {str(exc).splitlines()[0]}"),
                location=Location(task.rel),
                fix="Save the file as UTF-8 text",
            )
        )
        return summary
    except (RecursionError, MemoryError):
        summary.findings.append(
            UnparsableFile.finding(
                "Cannot parse file: expressions are nested too deeply",
                location=Location(task.rel),
            )
        )
        return summary
    spans: list[tuple[int, int, int]] | None = [] if b"noqa" in source else None
    summary = summarize(
        task.rel,
        tree,
        rules,
        is_package=is_package,
        string_spans=spans,
        mentions_environ=b"environ" in source,
    )
    summary.lines = source.count(b"\n") + 1
    if spans is not None:
        summary.noqa = _noqa_lines(source, spans)
    return summary


# -- worker processes ----------------------------------------------------------------------

_WORKER: tuple[list[StaticRule], int] | None = None


def _init_worker(rule_factory: Callable[[], list[StaticRule]], max_bytes: int) -> None:
    global _WORKER  # noqa: PLW0603 - per-process state of the pool

    gc.disable()  # a worker only builds acyclic trees and summaries, then exits
    _WORKER = (rule_factory(), max_bytes)


def _work(task: FileTask) -> tuple[str, bytes]:
    assert _WORKER is not None  # set by the pool initializer
    summary = analyze_file(task, _WORKER[0], _WORKER[1])
    # Pickled here, in parallel: the parent loads it once and caches these very bytes.
    return task.rel, pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)


def analyze_files(
    tasks: Sequence[FileTask],
    rule_factory: Callable[[], list[StaticRule]],
    *,
    max_bytes: int,
    workers: int,
    keep_blobs: bool = False,
) -> Iterator[tuple[str, ModuleSummary, bytes | None]]:
    """Analyse ``tasks``, in ``workers`` processes when there are enough files to pay off.

    Yields each file's summary and, from worker processes or when ``keep_blobs`` is set, its
    pickled form for the cache.
    """
    # Syntax trees and summaries hold no reference cycles, and the summaries kept so far
    # would make every collection slower: the cyclic collector only costs time here.
    enabled = gc.isenabled()
    gc.disable()
    try:
        if workers <= 1 or len(tasks) < 4 * _CHUNK:
            rules = rule_factory()
            for task in tasks:
                summary = analyze_file(task, rules, max_bytes)
                blob = (
                    pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL) if keep_blobs else None
                )
                yield task.rel, summary, blob
            return
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with context.Pool(workers, _init_worker, (rule_factory, max_bytes)) as pool:
            for rel, blob in pool.imap_unordered(_work, tasks, chunksize=_CHUNK):
                yield rel, pickle.loads(blob), blob
    finally:
        if enabled:
            gc.enable()


# -- cache ---------------------------------------------------------------------------------


def digest(data: bytes) -> str:
    """The content hash used as cache key."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Cache:
    """Summaries by content hash, plus the last complete result, in one directory.

    Writes are atomic (temporary file + rename), so an interrupted run never leaves a broken
    cache; an unreadable cache is ignored and rebuilt.
    """

    def __init__(self, directory: Path | None, key: str) -> None:
        self.directory = directory / key if directory is not None else None
        self.stats: dict[str, tuple[int, int, str]] = {}
        self._summaries: dict[str, bytes] | None = None

    def _load(self, name: str) -> object:
        if self.directory is None:
            return None
        try:
            with open(self.directory / name, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # a stale or broken cache is just a miss
            return None

    def _store(self, name: str, value: object) -> None:
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by fastapi-medic\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.directory / name)
        except OSError:
            return  # a read-only tree still gets checked, just not cached

    def load_stats(self) -> None:
        """Load the (mtime, size, digest) table used to skip hashing unchanged files."""
        stats = self._load("stats.pickle")
        self.stats = stats if isinstance(stats, dict) else {}

    def file_digest(self, path: str, rel: str) -> tuple[str, tuple[int, int, str] | None]:
        """The content digest of a file, reusing the cached one when size and mtime match."""
        try:
            st = os.stat(path)
        except OSError:
            return "", None
        known = self.stats.get(rel)
        if known is not None and known[0] == st.st_mtime_ns and known[1] == st.st_size:
            return known[2], known
        try:
            with open(path, "rb") as fh:
                value = digest(fh.read())
        except OSError:
            return "", None
        return value, (st.st_mtime_ns, st.st_size, value)

    def summaries(self) -> dict[str, bytes]:
        """Cached, pickled summaries by ``rel|digest``."""
        if self._summaries is None:
            enabled = gc.isenabled()
            gc.disable()
            try:
                loaded = self._load("summaries.pickle")
            finally:
                if enabled:
                    gc.enable()
            self._summaries = loaded if isinstance(loaded, dict) else {}
        return self._summaries

    def result(self, key: str) -> object:
        """The cached final result for ``key``, or None."""
        loaded = self._load("result.pickle")
        if isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == key:
            return loaded[1]
        return None

    def save(
        self,
        stats: dict[str, tuple[int, int, str]],
        summaries: dict[str, bytes] | None,
        result_key: str,
        result: object,
    ) -> None:
        """Store the stat table, the summaries (when they changed) and the final result."""
        self._store("stats.pickle", stats)
        if summaries is not None:
            self._store("summaries.pickle", summaries)
        self._store("result.pickle", (result_key, result))
