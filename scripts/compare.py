"""Score fastapi-medic, Ruff and flake8-async on flake8-async's own blocking-call fixtures.

    .venv/bin/python scripts/compare.py [--no-docs] [--keep DIR] [--jobs N]

The expected errors are the ``# ASYNCnnn`` annotations of flake8-async's eval files
(``tests/eval_files/`` in its sdist), for the blocking-call rules ASYNC210-251, restricted to
the files and annotations that apply when the async library is asyncio. The method and the
interpretation of the files' markers are written out in ``docs/compare.md``, which this script
regenerates from the results (``--no-docs`` leaves it alone).

Steps, each idempotent:

1. Download the pinned flake8-async sdist with ``pip download`` into ``<repo>/.compare/dl`` and
   extract its ``tests/`` into ``<repo>/.compare/flake8-async-<version>/``.
2. Install flake8 and flake8-async (pinned) into a throwaway virtualenv ``<repo>/.compare/venv``.
   Ruff and fastapi-medic come from the project's ``.venv``.
3. Parse the eval files the way flake8-async's test harness does (``tests/test_flake8_async.py``:
   markers, ``# ARG`` lines, library substitution, annotations) and keep the asyncio cases.
4. Write each kept file, with one prepended import line (the files omit many imports), into
   its own temporary directory, and run every tool on it. A tool *finds* an annotation on
   line L when it reports any of its blocking rules on line L (our codes differ from theirs,
   so matching is by line only). Reports on lines without an annotation are *extra*.
5. Print the tables, write ``<repo>/.compare/results.json`` and ``docs/compare.md``.

Only the standard library is used; the tools run as subprocesses.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".compare"
DOWNLOADS = WORK / "dl"
VENV = WORK / "venv"
RESULTS_FILE = WORK / "results.json"
DOCS_FILE = ROOT / "docs" / "compare.md"
OUR_BIN = ROOT / ".venv" / "bin"

FLAKE8_ASYNC_VERSION = "26.8.1"
PINS = ("flake8==7.5.0", f"flake8-async=={FLAKE8_ASYNC_VERSION}")
SDIST = DOWNLOADS / f"flake8_async-{FLAKE8_ASYNC_VERSION}.tar.gz"
SOURCE = WORK / f"flake8-async-{FLAKE8_ASYNC_VERSION}"
EVAL_DIR = SOURCE / "tests" / "eval_files"

#: The blocking-call rules scored. ASYNC200 is left out: it only reports calls the user lists.
RULES = (
    "ASYNC210", "ASYNC211", "ASYNC212", "ASYNC220", "ASYNC221", "ASYNC222",
    "ASYNC230", "ASYNC231", "ASYNC232", "ASYNC240", "ASYNC250", "ASYNC251",
)  # fmt: skip
LIBRARY = "asyncio"
OUR_CODES = ("MED101", "MED102", "MED103")

TOOLS = ("fastapi-medic", "ruff", "flake8-async")

#: Names the eval files use without importing them, and the import that makes the file a
#: working module. Only names whose origin the annotations state are listed: ``system()`` or
#: ``P_WAIT`` stay unbound, as in the original files.
PRELUDE_IMPORTS = {
    **{
        name: f"import {name}"
        for name in (
            "anyio", "asyncio", "httpx", "httpx2", "io", "os", "requests", "subprocess",
            "time", "trio", "urllib", "urllib3",
        )
    },
    "request": "from urllib import request",
    "urlopen": "from urllib.request import urlopen",
    "Optional": "from typing import Optional",
}  # fmt: skip

_MARKERS = (
    "NOANYIO", "NOTRIO", "NOASYNCIO", "ANYIO_NO_ERROR", "TRIO_NO_ERROR", "ASYNCIO_NO_ERROR",
    "AUTOFIX", "NOAUTOFIX", "ASYNCIO_NO_AUTOFIX", "BASE_LIBRARY", "NOCOMPILE",
)  # fmt: skip
_ANNOTATION = re.compile(r"(error|ASYNC...)(_\w*)?:([^#]*)(?=#|$)")


class CompareError(Exception):
    """A step failed; the message says which and why."""


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- 1. and 2.: the sdist and the flake8 virtualenv -----------------------------------------


def fetch_sdist() -> None:
    """Download the sdist and extract its ``tests/`` directory (once)."""
    marker = SOURCE / ".extracted"
    if marker.is_file():
        return
    if not SDIST.is_file():
        say(f"## downloading flake8-async=={FLAKE8_ASYNC_VERSION} (sdist) into {_rel(DOWNLOADS)}")
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--no-binary", ":all:", f"flake8-async=={FLAKE8_ASYNC_VERSION}",
            "-d", str(DOWNLOADS),
        ]  # fmt: skip
        if subprocess.run(command, check=False).returncode != 0 or not SDIST.is_file():
            raise CompareError(f"pip download did not produce {_rel(SDIST)}")
    shutil.rmtree(SOURCE, ignore_errors=True)
    prefix = f"flake8_async-{FLAKE8_ASYNC_VERSION}/tests/"
    with tarfile.open(SDIST, "r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(prefix) or ".." in member.name:
                continue
            data = archive.extractfile(member)
            if data is None:
                continue
            target = SOURCE / "tests" / member.name[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.read())
    if not EVAL_DIR.is_dir():
        raise CompareError(f"{_rel(SDIST)} has no tests/eval_files/")
    marker.write_text("ok\n")


def flake8_venv() -> Path:
    """The flake8 executable of the throwaway virtualenv, (re)built when the pins change."""
    flake8 = VENV / "bin" / "flake8"
    stamp = VENV / "compare-pins.txt"
    wanted = "\n".join(PINS) + "\n"
    if flake8.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return flake8
    say(f"## installing {' '.join(PINS)} into {_rel(VENV)}")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    if subprocess.run([*pip, "--disable-pip-version-check", *PINS], check=False).returncode:
        raise CompareError(f"cannot install {' '.join(PINS)} into {_rel(VENV)}")
    stamp.write_text(wanted)
    return flake8


def require_our_tools() -> None:
    for binary in ("fastapi-medic", "ruff"):
        if not (OUR_BIN / binary).is_file():
            raise CompareError(f"{_rel(OUR_BIN / binary)} not found (run `make compare`)")


def tool_versions(flake8: Path) -> dict[str, str]:
    """The versions actually run, as ``name version`` strings."""

    def output(command: Sequence[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return " ".join(done.stdout.split())

    ours = output([str(OUR_BIN / "fastapi-medic"), "--version"]).rpartition(" ")[2]
    flake8_out = output([str(flake8), "--version"])  # 7.5.0 (flake8-async: 26.8.1, ...) ...
    match = re.search(r"flake8-async: ([\w.]+)", flake8_out)
    return {
        "fastapi-medic": f"fastapi-medic {ours}",
        "ruff": output([str(OUR_BIN / "ruff"), "--version"]),
        "flake8-async": f"flake8-async {match.group(1) if match else '?'} "
        f"(flake8 {flake8_out.split(' ', 1)[0]})",
    }


# --- 3.: the eval files, read like flake8-async's harness ------------------------------------


@dataclass(frozen=True, slots=True)
class Annotation:
    line: int  # in the original eval file
    code: str  # ASYNCnnn, without the _asyncio variant suffix
    variant: str  # "", or "_asyncio" etc.


@dataclass
class EvalFile:
    """One eval file as the harness runs it for asyncio, and how this benchmark uses it."""

    name: str
    markers: dict[str, str | bool]
    treatment: str  # "asyncio run", "asyncio twin", "no asyncio twin", or "skipped: ..."
    content: str  # after the harness's library substitution
    args: list[str]  # the `# ARG` lines
    annotations: list[Annotation]  # every annotation of the file, for the fidelity check
    expected: list[Annotation] = field(default_factory=list)  # the scored ones
    prelude: str = ""

    @property
    def enabled(self) -> str:
        """The codes the harness enables: the file's own, or the last ``--enable=``."""
        enabled = _stem_code(self.name)
        for arg in self.args:
            if arg.startswith("--enable="):
                enabled = arg.removeprefix("--enable=")
        return enabled


def _stem_code(name: str) -> str:
    return Path(name).stem.upper().split("_", 1)[0]


def find_markers(content: str) -> dict[str, str | bool]:
    """The harness's ``find_magic_markers``: flags, and BASE_LIBRARY (default trio)."""
    found: dict[str, str | bool] = {"BASE_LIBRARY": "trio"}
    for marker in re.findall(rf"# ({'|'.join(_MARKERS)})", content):
        if marker == "BASE_LIBRARY":
            match = re.search(r"# BASE_LIBRARY (\w*)", content)
            if match is None:
                raise CompareError("invalid BASE_LIBRARY marker")
            found["BASE_LIBRARY"] = match.group(1)
        else:
            found[marker] = True
    return found


def replace_library(content: str, original: str, new: str) -> str:
    """The harness's ``replace_library`` for a library name (trio/anyio -> asyncio)."""
    return re.sub(rf"(?<!-)(?:\b|(?<=_)){original}\b", new, content)


def parse_annotations(name: str, content: str) -> tuple[list[Annotation], list[str]]:
    """The harness's ``_parse_eval_file``: expected errors and ``# ARG`` arguments."""
    annotations: list[Annotation] = []
    args: list[str] = []
    for lineno, raw in enumerate(content.split("\n"), start=1):
        line = raw.replace("\\n", "\n").strip()
        arg = re.search(r"(?<=ARG ).*", line)
        if arg is not None:
            args.append(arg.group().strip())
        if not line or line[0] == "#" or "#" not in line:
            continue
        for tag, variant, _args in _ANNOTATION.findall(line):
            code = _stem_code(name) if tag == "error" else tag
            annotations.append(Annotation(lineno, code, variant))
    return annotations, args


def load_eval_files() -> list[EvalFile]:
    """Every eval file with its asyncio treatment and the scored annotations."""
    paths = sorted(EVAL_DIR.glob("*.py"))
    stems = {path.stem for path in paths}
    files: list[EvalFile] = []
    for path in paths:
        original = path.read_text()
        markers = find_markers(original)
        base = str(markers["BASE_LIBRARY"])
        content = original if base == LIBRARY else replace_library(original, base, LIBRARY)
        annotations, args = parse_annotations(path.name, content)
        relevant = [a for a in annotations if a.code in RULES]
        if markers.get("NOASYNCIO"):
            twin = f"{path.stem}_{LIBRARY}" in stems
            treatment = "skipped: NOASYNCIO, has an _asyncio twin" if twin else "no asyncio twin"
        else:
            treatment = "asyncio twin" if path.stem.endswith(f"_{LIBRARY}") else "asyncio run"
        item = EvalFile(path.name, markers, treatment, content, args, annotations)
        if not relevant:
            item.treatment = "skipped: no blocking-call annotation"
        elif markers.get("ASYNCIO_NO_ERROR"):
            item.treatment += ", ASYNCIO_NO_ERROR"
        if not item.treatment.startswith("skipped"):
            item.expected = [] if markers.get("ASYNCIO_NO_ERROR") else relevant
        files.append(item)
    return files


def prelude_for(content: str) -> str:
    """One line importing the names the file uses but never binds (see PRELUDE_IMPORTS)."""
    tree = ast.parse(content)
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    missing = sorted(loaded - bound - set(dir(builtins)))
    imports = [PRELUDE_IMPORTS[name] for name in missing if name in PRELUDE_IMPORTS]
    return "; ".join(imports) if imports else "pass"


# --- 4.: running the tools -------------------------------------------------------------------

#: A report: (file name, line in the original eval file, the tool's code).
Report = tuple[str, int, str]


@dataclass
class ToolRun:
    reports: list[Report]
    seconds: float  # wall time of the tool's runs (in parallel for one run per file)
    processes: int


def prepare(files: Iterable[EvalFile], root: Path) -> dict[str, Path]:
    """Write each scored file, prelude first, into ``root/<stem>/``; return the directories."""
    dirs: dict[str, Path] = {}
    for item in files:
        if "from __future__" in item.content:
            raise CompareError(f"{item.name}: a prelude before `from __future__` breaks it")
        item.prelude = prelude_for(item.content)
        directory = root / Path(item.name).stem
        directory.mkdir(parents=True)
        (directory / item.name).write_text(item.prelude + "\n" + item.content)
        # fastapi-medic stops looking for configuration here: defaults, whatever is above.
        (directory / "pyproject.toml").write_text("[tool.fastapi-medic]\n")
        dirs[item.name] = directory
    return dirs


def _run(command: Sequence[str], ok: tuple[int, ...] = (0, 1)) -> str:
    """Run a tool; its stdout. An exit status outside ``ok`` is an error."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise CompareError(
            f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr.strip()[-2000:]}"
        )
    return done.stdout


def _in_parallel(
    jobs: int, work: Callable[[EvalFile], list[Report]], files: list[EvalFile]
) -> ToolRun:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(work, files))
    seconds = time.perf_counter() - start
    return ToolRun([report for found in results for report in found], seconds, len(files))


def run_ours(files: list[EvalFile], dirs: dict[str, Path], jobs: int) -> ToolRun:
    def one(item: EvalFile) -> list[Report]:
        command = [
            str(OUR_BIN / "fastapi-medic"), "check", str(dirs[item.name]),
            "--select", ",".join(OUR_CODES), "--format", "json", "--exit-zero", "--no-cache",
        ]  # fmt: skip
        out = _run(command, ok=(0,))  # --exit-zero: anything else is a crash
        findings = json.loads(out)["findings"]
        return [(item.name, f["location"]["line"] - 1, f["code"]) for f in findings]

    return _in_parallel(jobs, one, files)


def run_ruff(files: list[EvalFile], root: Path) -> ToolRun:
    command = [
        str(OUR_BIN / "ruff"), "check", "--isolated", "--no-cache", "--select", "ASYNC",
        "--output-format", "json", str(root),
    ]  # fmt: skip
    start = time.perf_counter()
    out = _run(command)
    seconds = time.perf_counter() - start
    names = {item.name for item in files}
    reports: list[Report] = []
    for diagnostic in json.loads(out):
        name = Path(diagnostic["filename"]).name
        code = diagnostic["code"]
        if code is None:  # a syntax error: the prepared file is broken
            raise CompareError(f"ruff cannot parse {name}: {diagnostic['message']}")
        if name in names and code.startswith("ASYNC2"):  # ASYNC1xx/3xx are not blocking rules
            reports.append((name, diagnostic["location"]["row"] - 1, code))
    return ToolRun(reports, seconds, 1)


_FLAKE8_FORMAT = "%(path)s:%(row)d:%(code)s"


def _extra_args(item: EvalFile) -> tuple[str, ...]:
    """The file's ``# ARG`` options other than ``--enable=`` (none of the scored files has any)."""
    return tuple(arg for arg in item.args if not arg.startswith("--enable="))


def _flake8(
    flake8: Path, select: str, groups: dict[tuple[str, ...], list[Path]], offset: int
) -> ToolRun:
    """One flake8 process per set of ``# ARG`` options; reports keyed by file name."""
    reports: list[Report] = []
    seconds = 0.0
    for args, paths in groups.items():
        command = [
            str(flake8), "--isolated", f"--select={select}", f"--{LIBRARY}", *args,
            f"--format={_FLAKE8_FORMAT}", *map(str, paths),
        ]  # fmt: skip
        start = time.perf_counter()
        out = _run(command)
        seconds += time.perf_counter() - start
        for row in out.splitlines():
            path, line, code = row.rsplit(":", 2)
            reports.append((Path(path).name, int(line) - offset, code))
    return ToolRun(reports, seconds, len(groups))


def run_flake8(flake8: Path, files: list[EvalFile], dirs: dict[str, Path]) -> ToolRun:
    """flake8-async with every ASYNC2xx rule, on the same prepared files as the others.

    ``--asyncio`` only changes the wording of suggestions. The files' ``# ARG --enable=``
    lines are not applied (they restrict the harness to the codes a file annotates; here every
    tool runs all its blocking rules); their other ``# ARG`` options would be.
    """
    groups: dict[tuple[str, ...], list[Path]] = {}
    for item in files:
        groups.setdefault(_extra_args(item), []).append(dirs[item.name] / item.name)
    return _flake8(flake8, "ASYNC2", groups, offset=1)


def fidelity(flake8: Path, files: list[EvalFile], root: Path) -> dict[str, Any]:
    """flake8-async run as its harness runs it for asyncio, against all the file's annotations.

    The unprepared (library-substituted) file, ``--asyncio`` and the file's ``# ARG`` options;
    of the reports, those of the codes the harness enables for the file (its own code, or its
    ``# ARG --enable=``). For the files the harness runs under asyncio this must match exactly.
    """
    groups: dict[tuple[str, ...], list[Path]] = {}
    for item in files:
        path = root / "fidelity" / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.content)
        groups.setdefault(_extra_args(item), []).append(path)
    run = _flake8(flake8, "ASYNC", groups, offset=0)
    out: dict[str, Any] = {}
    for item in files:
        enabled = tuple(item.enabled.split(","))
        want = Counter((a.line, a.code) for a in item.annotations)
        got = Counter(
            (line, code)
            for name, line, code in run.reports
            if name == item.name and code.startswith(enabled)
        )
        out[item.name] = {
            "expected": sum(want.values()),
            "reported": sum(got.values()),
            "missing": sorted((want - got).elements()),
            "extra": sorted((got - want).elements()),
        }
    return out


# --- 5.: why we miss what we miss, and what the extra reports are -----------------------------
#
# Written by reading src/fastapi_medic/static/ (catalog_blocking.py, walker.py, project.py,
# callgraph.py) against each line. A miss or extra report not listed here is printed as
# "unexplained": read it and add it.


@dataclass(frozen=True, slots=True)
class Pattern:
    title: str
    why: str
    fix: str


MISS_PATTERNS = {
    "httpx2": Pattern(
        "`httpx2`, the maintained continuation of httpx",
        "The catalogue has `httpx.<verb>` and `httpx.Client().` but nothing for `httpx2`, so "
        "`httpx2.get` and the methods of an `httpx2.Client()` resolve to names it does not know.",
        "Mirror the httpx entries: `httpx2.<verb>` for get/post/put/patch/delete/head/options/"
        "request/stream, and `httpx2.Client().` (plus `httpx2._client.Client` -> "
        "`httpx2.Client` in `project.ALIASES`).",
    ),
    "urllib3-pools": Pattern(
        "urllib3 pools annotated one after another in the same function",
        "Two causes. (1) Function-local types are flow-insensitive: `FunctionInfo.local_types` "
        "keeps one type per name, the last assignment or annotation in the function "
        "(walker.py), so all ten `c.anything()` calls resolve `c` to the last annotation, "
        "`urllib3.anything`. (2) Seven of the ten classes are not in the catalogue, which has "
        "only `urllib3.PoolManager()`, `urllib3.HTTPConnectionPool()` and "
        "`urllib3.HTTPSConnectionPool()`.",
        "(1) Resolve a local name at a call through the type it has *at that call*. The walker "
        "is one pass in source order, so recording on each `CallSite` the value of "
        "`local_types[head]` when the call is met, and resolving `head_type + rest` in "
        "`CallGraph.direct`, is enough (prototyped on a scratch copy: with the catalogue "
        "additions of this page, 197 of the 204 annotations are found and the "
        "`f: int = 7; f.read()` false positives disappear). (2) Add `urllib3.ProxyManager().`, "
        "`urllib3.connectionpool.ConnectionPool().` and `urllib3.request.RequestMethods().` to "
        "the catalogue, and `project.ALIASES` from `urllib3.connectionpool.HTTPConnectionPool`/"
        "`HTTPSConnectionPool` and `urllib3.poolmanager.PoolManager`/`ProxyManager` to the "
        "top-level names (or catalogue those spellings too).",
    ),
    "global-rebound": Pattern(
        "module global rebound to an int after the async function (correct miss)",
        "`glob_client = httpx.Client()` is followed, further down the module, by "
        "`glob_client: int = 4`; module bindings keep the last one (`int()`). By the time any "
        "coroutine runs, the module has finished executing and `glob_client` *is* 4, so "
        "`glob_client.send()` cannot be a blocking HTTP call. flake8-async reads the module "
        "top to bottom and expects an error here; we think the miss is right.",
        "None needed.",
    ),
    "file-object": Pattern(
        "methods of file objects (ASYNC232)",
        "The catalogue has `open`, `io.open` and some `pathlib.Path()` methods, but nothing for "
        "the *file objects* they return. The resolver already types them: `f = open(...)`, "
        "`with open(...) as f` and a parameter annotated `io.TextIOWrapper`, `TextIOWrapper | "
        "None` or `Optional[TextIOWrapper]` resolve `f.read` to `open().read` or "
        "`io.TextIOWrapper().read`, which match nothing.",
        "Add FILE entries covering every method: `open().`, `io.open().`, `os.fdopen().`, "
        "`io.TextIOWrapper().`, `io.BufferedReader().`, `io.BufferedWriter().`, "
        "`io.BufferedRandom().`, `io.FileIO().` (and `pathlib.Path().open().`). Verified "
        "against a patched copy of the catalogue: 38 of the 40 annotations are then found.",
    ),
    "file-reassigned": Pattern(
        "file object reassigned to something else (correct miss)",
        "`f: TextIOWrapper = ...` then `f = arbitrary_function()` (line 205) or `f = 7` (line "
        "207) before `f.read()`. flake8-async lists these under '***** Known unhandled cases "
        "*****' / 'It will error on non-explicit assignments': the annotations record its own "
        "false positives. Today we miss them because no file-object method is catalogued; with "
        "the file-object entries we still should not report them (`f` is no longer a file).",
        "None needed; keep them missed when adding file-object entries (the type-at-the-call "
        "fix of the urllib3 pattern does that: verified).",
    ),
    "open-code-fdopen": Pattern(
        "`io.open_code` and `os.fdopen`",
        "Neither is in the catalogue (FILE has `open` and `io.open`).",
        "Add `io.open_code` and `os.fdopen` to FILE. `os.fdopen` inside "
        "`await asyncio.wrap_file(...)` and in a `with` item are then found too (verified).",
    ),
    "os-path": Pattern(
        "`os.path` functions that touch the disk",
        "The catalogue has no `os.path` entry at all (FILE has only `os.listdir`, `os.scandir` "
        "and `os.walk`). Names imported with `from os.path import isfile` resolve to "
        "`os.path.isfile`, so entries are enough.",
        "Add FILE entries for `os.path.` exists, lexists, isfile, isdir, islink, ismount, "
        "getsize, getatime, getmtime, getctime, samefile, sameopenfile, realpath, relpath and "
        "_joinrealpath (flake8-async's list without the two normpath ones). Verified: 18 of "
        "the 22 annotations are then found.",
    ),
    "normpath": Pattern(
        "`os.path.normpath` (explained miss)",
        "`normpath` and its C helper `_path_normpath` are pure string functions: no system "
        "call, nothing that can block. flake8-async lists them with the disk-touching "
        "`os.path` functions (its suggestion is to use `Path` objects, a style point).",
        "Leave out, or add `os.path.normpath` and `os.path._path_normpath` only to match "
        "flake8-async (3 annotations).",
    ),
    "awaited": Pattern(
        "a sync call written under `await` (explained miss)",
        '`await os.path.isfile("")`: `callgraph.direct` skips every call flagged AWAITED. The '
        "call does run synchronously before `await` fails on its `bool` result, so it would "
        "block, but the line raises TypeError on every run and cannot survive a test. "
        "flake8-async itself is inconsistent: it expects ASYNC240 here but no ASYNC230 for "
        "`await open(\"\")` in async23x_asyncio.py ('sync call is awaited, so it can't be sync').",
        "None needed; or skip AWAITED only for callees outside the catalogue.",
    ),
}

#: Misses by (file, line): the pattern. A file's lines not listed use its default below.
MISS_LINES: dict[tuple[str, int], str] = {
    **{("async210.py", line): "httpx2" for line in range(35, 43)},
    **{("async212.py", line): "httpx2" for line in (*range(66, 77), 84, 89)},
    ("async212.py", 49): "global-rebound",
    **{("async212.py", line): "urllib3-pools" for line in range(104, 123, 2)},
    ("async232_asyncio.py", 205): "file-reassigned",
    ("async232_asyncio.py", 207): "file-reassigned",
    **{("async23x_asyncio.py", line): "open-code-fdopen" for line in (14, 15, 24, 27)},
    **{("async240.py", line): "normpath" for line in (8, 12, 13)},
    ("async240.py", 30): "awaited",
}
MISS_DEFAULT = {"async232_asyncio.py": "file-object", "async240.py": "os-path"}

LEGIT = "real blocking call"
FALSE = "false positive"
DISPUTED = "disputed"

#: Extra reports by (file, line), whichever tool makes them: (verdict, reason).
EXTRA_LINES: dict[tuple[str, int], tuple[str, str]] = {
    **{
        ("async211.py", line): (
            LEGIT,
            "`foo = PoolManager()`, so `foo.request(...)` is a urllib3 request whatever its "
            "arguments. ASYNC211 does not know `foo`'s type and only matches a literal HTTP "
            "verb; we know the type (line 19, with no arguments, would raise TypeError first).",
        )
        for line in range(19, 27)
    },
    **{
        ("async212.py", line): (
            FALSE,
            "`client.anything()` / `client.build_request()` on an httpx Client: no I/O "
            "(`build_request` only builds a Request; `anything` does not exist). The catalogue "
            "entry `httpx.Client().` covers every method; list the I/O methods instead (request, "
            "get, post, put, patch, delete, head, options, stream, send, close).",
        )
        for line in (19, 20, 78, 79)
    },
    ("async212.py", 98): (
        LEGIT,
        "`client: Client = Client()` with `from httpx import Client`: flake8-async marks it "
        "'# not implemented'.",
    ),
    ("async23x_asyncio.py", 18): (
        DISPUTED,
        "`await open(\"\")`: the file comment says 'sync call is awaited, so it can't be sync'; "
        "Ruff reports it.",
    ),
    ("async232_asyncio.py", 71): (
        LEGIT,
        "`f: None | TextIOWrapper | None`, marked 'not handled' by flake8-async.",
    ),
    ("async232_asyncio.py", 76): (
        DISPUTED,
        "`f: TextIOWrapper | int`, marked 'not handled' by flake8-async: may be an int.",
    ),
    ("async232_asyncio.py", 103): (
        LEGIT,
        "`for f in lf` with `lf: list[TextIOWrapper]`, 'not handled' by flake8-async. Right "
        "for the wrong reason: we resolve the loop variable `f` to the module-level "
        '`f = open("")`, because a function-local name bound without a known type (loop '
        "target, `x = {}`, `u = t`) falls back to the module global of the same name.",
    ),
    **{
        ("async232_asyncio.py", line): (
            LEGIT,
            "`open(...)` in an async function (ASYNC230); the harness enables only ASYNC232 "
            "for this file, so it carries no annotation.",
        )
        for line in (107, 112, 117, 122, 126, 131, 212, 219)
    },
    **{
        ("async232_asyncio.py", line): (
            FALSE,
            "`f: int = 7` then `f.read()`: flow-insensitive local types give `f` the last "
            "annotation of the function, `TextIOWrapper`.",
        )
        for line in (189, 193)
    },
    **{
        ("async232_asyncio.py", line): (
            LEGIT,
            "marked '# should error' by flake8-async: a method of an attribute of a file "
            "object (as in `f.buffer.read()`), or of a class attribute typed `TextIOWrapper`.",
        )
        for line in (226, 248, 256)
    },
    ("async240.py", 32): (
        DISPUTED,
        '`os.path.abspath("")`: no disk access beyond `os.getcwd()`; flake8-async leaves it '
        "out on purpose, Ruff reports it.",
    ),
    ("async240.py", 33): (FALSE, '`os.path.anything("")` is not an `os.path` function.'),
}


def miss_pattern(name: str, line: int) -> str:
    return MISS_LINES.get((name, line)) or MISS_DEFAULT.get(name, "")


# --- 6.: scoring and reporting ---------------------------------------------------------------


def source_line(files: dict[str, EvalFile], name: str, line: int) -> str:
    lines = files[name].content.split("\n")
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def score(files: list[EvalFile], runs: dict[str, ToolRun]) -> dict[str, Any]:
    """Recall by line per tool, overall, per code and per file, and the extra reports."""
    by_name = {item.name: item for item in files}
    expected = [(item.name, a) for item in files for a in item.expected]
    annotated = {(name, a.line) for name, a in expected}
    out: dict[str, Any] = {}
    for tool, run in runs.items():
        codes: dict[tuple[str, int], set[str]] = {}
        for name, line, code in run.reports:
            codes.setdefault((name, line), set()).add(code)
        found = [(name, a) for name, a in expected if (name, a.line) in codes]
        same_code = [(name, a) for name, a in found if a.code in codes[name, a.line]]
        missed = [(name, a) for name, a in expected if (name, a.line) not in codes]
        extra = sorted(key for key in codes if key not in annotated)
        out[tool] = {
            "expected": len(expected),
            "found": len(found),
            "found_same_code": len(same_code),
            "recall": round(len(found) / len(expected), 4) if expected else 0.0,
            "per_code": {
                code: {
                    "expected": sum(1 for _, a in expected if a.code == code),
                    "found": sum(1 for _, a in found if a.code == code),
                }
                for code in RULES
            },
            "per_file": {
                item.name: {
                    "expected": len(item.expected),
                    "found": sum(1 for name, _ in found if name == item.name),
                    "extra": sum(1 for name, _ in extra if name == item.name),
                }
                for item in files
            },
            "missed": [
                {
                    "file": name,
                    "line": a.line,
                    "code": a.code,
                    "source": source_line(by_name, name, a.line),
                    "pattern": miss_pattern(name, a.line) if tool == TOOLS[0] else "",
                }
                for name, a in missed
            ],
            "extra": [
                {
                    "file": name,
                    "line": line,
                    "codes": sorted(codes[name, line]),
                    "source": source_line(by_name, name, line),
                    "verdict": EXTRA_LINES.get((name, line), ("unexplained", ""))[0],
                }
                for name, line in extra
            ],
            "seconds": round(run.seconds, 3),
            "processes": run.processes,
        }
        verdicts = Counter(extra["verdict"] for extra in out[tool]["extra"])
        out[tool]["extra_verdicts"] = dict(verdicts)
        out[tool]["blocking_found"] = len(found) + verdicts[LEGIT]
    return out


def known_blocking(scores: dict[str, Any]) -> int:
    """The annotations, plus every extra line judged a real blocking call (by any tool)."""
    real = {
        (extra["file"], extra["line"])
        for tool in TOOLS
        for extra in scores[tool]["extra"]
        if extra["verdict"] == LEGIT
    }
    return int(scores[TOOLS[0]]["expected"]) + len(real)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def summary_table(scores: dict[str, Any]) -> list[str]:
    known = known_blocking(scores)
    rows = [
        "| tool | expected | found | recall | extra lines: real / disputed / false "
        f"| blocking calls found (of {known} known) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool in TOOLS:
        t = scores[tool]
        verdicts = t["extra_verdicts"]
        split = " / ".join(str(verdicts.get(v, 0)) for v in (LEGIT, DISPUTED, FALSE))
        unexplained = verdicts.get("unexplained", 0)
        if unexplained:
            split += f" (+{unexplained} unexplained)"
        rows.append(
            f"| {tool} | {t['expected']} | {t['found']} | {_pct(t['found'], t['expected'])} "
            f"| {len(t['extra'])}: {split} | {t['blocking_found']} "
            f"({_pct(t['blocking_found'], known)}) |"
        )
    return rows


def code_table(scores: dict[str, Any]) -> list[str]:
    rows = [
        "| code | expected | " + " | ".join(TOOLS) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in TOOLS) + " |",
    ]
    for code in RULES:
        want = scores[TOOLS[0]]["per_code"][code]["expected"]
        if not want:
            continue
        cells = []
        for tool in TOOLS:
            got = scores[tool]["per_code"][code]["found"]
            cells.append(f"{got} ({_pct(got, want)})")
        rows.append(f"| {code} | {want} | " + " | ".join(cells) + " |")
    return rows


def file_table(files: list[EvalFile], scores: dict[str, Any]) -> list[str]:
    rows = [
        "| file | asyncio treatment | expected | "
        + " | ".join(f"{tool} found / extra" for tool in TOOLS)
        + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in TOOLS) + " |",
    ]
    for item in files:
        if not any(a.code in RULES for a in item.annotations):
            continue
        if item.treatment.startswith("skipped"):
            dashes = " | ".join("-" for _ in TOOLS)
            rows.append(f"| `{item.name}` | {item.treatment} | - | {dashes} |")
            continue
        cells = " | ".join(
            "{found} / {extra}".format(**scores[tool]["per_file"][item.name]) for tool in TOOLS
        )
        rows.append(f"| `{item.name}` | {item.treatment} | {len(item.expected)} | {cells} |")
    return rows


def target_met(scores: dict[str, Any]) -> tuple[bool, str]:
    """>= 95% of the annotations, and more real blocking calls than either other tool.

    flake8-async finds all its own annotations by construction, so "more than either tool"
    is measured on the annotations plus the extra lines judged real blocking calls.
    """
    ours = scores[TOOLS[0]]
    best = max(TOOLS[1:], key=lambda tool: scores[tool]["blocking_found"])
    recall_ok = ours["recall"] >= 0.95
    more_ok = ours["blocking_found"] > scores[best]["blocking_found"]
    met = recall_ok and more_ok
    return met, (
        f"target {'met' if met else 'NOT met'}: we find {ours['found']} of "
        f"{ours['expected']} annotations ({_pct(ours['found'], ours['expected'])}, "
        f"{'>=' if recall_ok else '<'} 95%) and {ours['blocking_found']} blocking calls in all, "
        f"{'more' if more_ok else 'not more'} than {best} ({scores[best]['blocking_found']})"
    )


def misses_by_pattern(scores: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for miss in scores[TOOLS[0]]["missed"]:
        groups.setdefault(miss["pattern"], []).append(miss)
    return groups


def extras_merged(scores: dict[str, Any]) -> list[tuple[str, int, str, dict[str, list[str]]]]:
    """Every extra line once: file, line, source and the codes each tool reports there."""
    merged: dict[tuple[str, int], tuple[str, dict[str, list[str]]]] = {}
    for tool in TOOLS:
        for extra in scores[tool]["extra"]:
            key = (extra["file"], extra["line"])
            merged.setdefault(key, (extra["source"], {}))[1][tool] = extra["codes"]
    return [(name, line, source, by) for (name, line), (source, by) in sorted(merged.items())]


def extras_grouped(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """Extra lines of one file with the same verdict, reason and reporting tools, together."""
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for name, line, source, by in extras_merged(scores):
        verdict, reason = EXTRA_LINES.get((name, line), ("unexplained", "not yet classified"))
        cells = tuple("/".join(by.get(tool, [])) or "-" for tool in TOOLS)
        key = (name, verdict, reason, "|".join(cells))
        group = groups.setdefault(
            key,
            {"file": name, "lines": [], "sources": [], "cells": cells, "verdict": verdict,
             "reason": reason},
        )  # fmt: skip
        group["lines"].append(line)
        group["sources"].append(source)
    return list(groups.values())


def print_report(files: list[EvalFile], scores: dict[str, Any], fid: dict[str, Any]) -> None:
    say()
    say("\n".join(summary_table(scores)))
    say()
    say("\n".join(code_table(scores)))
    say()
    say("\n".join(file_table(files, scores)))
    say()
    say(target_met(scores)[1])
    say(f"\n{TOOLS[0]} misses, by pattern:")
    for pattern, misses in misses_by_pattern(scores).items():
        title = MISS_PATTERNS[pattern].title if pattern else "UNEXPLAINED: read and classify"
        say(f"  {len(misses):3}  {title}")
        if not pattern:
            for miss in misses:
                say(f"         {miss['file']}:{miss['line']}  {miss['source']}")
    say("\nextra reports (lines without an annotation):")
    for name, line, source, by in extras_merged(scores):
        verdict = EXTRA_LINES.get((name, line), ("UNEXPLAINED", ""))[0]
        tools = ", ".join(f"{tool} {'/'.join(codes)}" for tool, codes in by.items())
        say(f"  {name}:{line}  [{verdict}]  {tools}  |  {source}")
    bad = {name: f for name, f in fid.items() if f["missing"] or f["extra"]}
    say(
        "\nfidelity (flake8-async run as its harness runs it): "
        + ("exact on every file" if not bad else f"DIFFERS on {', '.join(bad)}")
    )


# --- 7.: docs/compare.md ---------------------------------------------------------------------


def _md_code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def write_docs(
    files: list[EvalFile], scores: dict[str, Any], fid: dict[str, Any], versions: dict[str, str]
) -> None:
    scored = [item for item in files if not item.treatment.startswith("skipped")]
    in_sdist = sum(1 for item in files for a in item.annotations if a.code in RULES)
    ours = scores[TOOLS[0]]
    bad = [name for name, f in fid.items() if f["missing"] or f["extra"]]
    lines = [
        "# Benchmark: flake8-async's blocking-call fixtures",
        "",
        "<!-- Generated by `make compare` (scripts/compare.py) from its results; edit the "
        "script, not this file. -->",
        "",
        "flake8-async ships its test files in its sdist (`tests/eval_files/`), each expected "
        "error written as a `# ASYNCnnn: ...` comment on the offending line. `make compare` "
        "scores fastapi-medic, Ruff and flake8-async on the blocking-call rules of those files "
        "(ASYNC210-251), for the cases that apply when the event loop is asyncio.",
        "",
        f"Versions: {versions['fastapi-medic']} (this working tree), {versions['ruff']}, "
        f"{versions['flake8-async']}.",
        "",
        "## Result",
        "",
        *summary_table(scores),
        "",
        f"**{target_met(scores)[1][0].upper()}{target_met(scores)[1][1:]}.** The target is "
        "finding at least 95% of the annotations, and more blocking calls than either tool. "
        "flake8-async finds all its own annotations by construction (they are its expected "
        "output), so *more* is counted on *blocking calls found*: the annotations found plus "
        "the extra lines judged real blocking calls below; *known* is the annotations plus "
        "every such line found by any tool.",
        "",
        "*found*: annotations on a line where the tool reports one of its blocking rules "
        "(fastapi-medic MED101-MED103, Ruff ASYNC2xx, flake8-async ASYNC2xx). Our codes differ "
        "from theirs, so matching is by line only; with the code required as well, Ruff finds "
        f"{scores['ruff']['found_same_code']} and flake8-async "
        f"{scores['flake8-async']['found_same_code']}. *extra*: lines where the tool reports "
        "something and no annotation is expected; they are classified below.",
        "",
        "Per ASYNC code (annotations found):",
        "",
        *code_table(scores),
        "",
        "Per eval file:",
        "",
        *file_table(files, scores),
        "",
        f"## Every miss of ours ({len(ours['missed'])})",
        "",
    ]
    groups = misses_by_pattern(scores)
    if not groups:
        lines += ["None.", ""]
    for pattern, misses in groups.items():
        info = MISS_PATTERNS.get(pattern)
        title = info.title if info else "Unexplained (new since this script was written)"
        lines += [f"### {title} ({len(misses)})", ""]
        if info:
            lines += [f"Why: {info.why}", "", f"Fix: {info.fix}", ""]
        lines += [
            f"- `{m['file']}:{m['line']}` {m['code']}: {_md_code(m['source'])}" for m in misses
        ]
        lines.append("")
    extras = extras_grouped(scores)
    count = sum(len(group["lines"]) for group in extras)
    lines += [
        f"## Extra reports ({count} lines)",
        "",
        "Lines where at least one tool reports a blocking call and the files expect none, with "
        "our reading of each: a *real blocking call* the annotations leave out, a *false "
        "positive*, or *disputed*.",
        "",
        "| lines | code | " + " | ".join(TOOLS) + " | verdict |",
        "| --- | --- | " + " | ".join("---" for _ in TOOLS) + " | --- |",
    ]
    for group in extras:
        where = f"`{group['file']}:{', '.join(map(str, group['lines']))}`"
        example = _md_code(group["sources"][0]) + (" ..." if len(group["sources"]) > 1 else "")
        cells = " | ".join(group["cells"])
        lines.append(
            f"| {where} | {example} | {cells} | **{group['verdict']}**: "
            + group["reason"].replace("|", "\\|")
            + " |"
        )
    lines += [
        "",
        "## Method",
        "",
        "### Which files and annotations",
        "",
        f"The sdist of flake8-async {FLAKE8_ASYNC_VERSION} holds {in_sdist} annotations of the "
        f"scored codes; {ours['expected']} of them, in {len(scored)} files, apply to asyncio. "
        "They are read exactly as flake8-async's harness reads them "
        "(`tests/test_flake8_async.py`, `test_eval` with `library='asyncio'`):",
        "",
        "- An annotation is a trailing `# ASYNCnnn: col, args` (or `# error: ...`, meaning the "
        "file's own code) on a non-comment line; several may share a line, and each counts. "
        "A suffix such as `ASYNC221_asyncio` is the same code with asyncio wording. Only "
        "ASYNC210, 211, 212, 220, 221, 222, 230, 231, 232, 240, 250 and 251 are scored; "
        "ASYNC200 reports only calls the user configures and is left out.",
        "- The harness rewrites the file's base library (`# BASE_LIBRARY`, default trio) to "
        "asyncio with its `replace_library` before running it; we score the rewritten file.",
        "- `# NOASYNCIO` makes the harness only check that the file does not crash under "
        "asyncio. Where an `_asyncio` twin exists (`async22x`, `async23x`, `async232`), the "
        "twin is the asyncio version and the original is skipped. Where there is none "
        "(`async240`, `async250`, `async250_multi_library`, `async251_multi_library`, "
        "`no_library`), the marker is about the *message*, not the lines: the files say so "
        "('formatting sufficiently different', 'tests asyncio without replacing for it'), and "
        "flake8-async run with `--asyncio` on them reports exactly the annotated lines (the "
        "fidelity check below). Blocking is the same under every library, so their "
        "annotations are kept.",
        "- `# ASYNCIO_NO_ERROR` would empty the expectations (no scored file has it); `# ARG` "
        "lines give command-line options. In the scored files they are all `--enable=`, "
        "which restricts the harness to the annotated codes.",
        "",
        "### Preparing the files",
        "",
        "Many eval files call modules they never import (`httpx.Client()` in async212.py, "
        "`subprocess.run()` in async22x_asyncio.py): flake8-async matches dotted names "
        "syntactically, while Ruff and fastapi-medic resolve imports. Each file therefore gets "
        "one first line importing the names it uses but never binds, where the annotation "
        "states their origin (`os`, `subprocess`, `httpx`, `httpx2`, `request` and `urlopen` "
        "from `urllib`, `typing.Optional`); reported lines are shifted back by one. Names "
        "whose origin the file leaves open on purpose (`system()`, `P_WAIT`, "
        "`arbitrary_function()`) stay unbound. Each file is written alone in its own "
        "temporary directory, with a `pyproject.toml` holding an empty `[tool.fastapi-medic]` "
        "table so that fastapi-medic uses its defaults.",
        "",
        "| file | prepended line |",
        "| --- | --- |",
        *(
            f"| `{item.name}` | "
            + ("`pass` (nothing to import)" if item.prelude == "pass" else _md_code(item.prelude))
            + " |"
            for item in scored
        ),
        "",
        "### Running the tools",
        "",
        "All three run on the same prepared files, each with all of its blocking rules:",
        "",
        "- fastapi-medic: `fastapi-medic check DIR --select MED101,MED102,MED103 --format json "
        "--exit-zero --no-cache`, once per file.",
        "- Ruff: `ruff check --isolated --no-cache --select ASYNC --output-format json DIR`; "
        "only its ASYNC2xx reports count (ASYNC1xx and ASYNC3xx are not blocking-call rules).",
        "- flake8-async: `flake8 --isolated --select=ASYNC2 --asyncio FILES` (flake8 7.5.0, in "
        "a throwaway virtualenv). `--asyncio` only changes the wording of suggestions. The "
        "files' `--enable=` lines are not applied, so flake8-async, like the other two, runs "
        "all its blocking rules; that is why it has extra reports too.",
        "",
        "### Fidelity check",
        "",
        "flake8-async is also run the way its harness runs it (the rewritten file without the "
        "prepended line, `--asyncio`, the file's enabled codes): "
        + (
            "its reports equal the annotations exactly, line and code, on every scored file, "
            "including the `# NOASYNCIO` files kept above."
            + (
                " The prepended import line costs it nothing: on the prepared files it finds "
                "every annotation too."
                if scores["flake8-async"]["found"] == scores["flake8-async"]["expected"]
                else " On the prepared files it misses some: see the tables above."
            )
            if not bad
            else f"it DIFFERS on {', '.join(bad)}; see `.compare/results.json`."
        ),
        "",
        "## Reproduce",
        "",
        "`make compare` (network access to PyPI the first time). It downloads "
        f"`flake8-async=={FLAKE8_ASYNC_VERSION}` with `pip download --no-deps --no-binary "
        ":all:` into `.compare/dl/`, extracts its `tests/` to `.compare/`, installs "
        f"{' and '.join(f'`{pin}`' for pin in PINS)} into `.compare/venv/` (all once), "
        "then prints these tables, writes `.compare/results.json` and regenerates this file. "
        "`python scripts/compare.py --keep DIR` keeps the prepared files for inspection.",
        "",
    ]
    DOCS_FILE.parent.mkdir(parents=True, exist_ok=True)
    DOCS_FILE.write_text("\n".join(lines))


# --- main ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/compare.md")
    parser.add_argument("--keep", type=Path, help="write the prepared files here and keep them")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        require_our_tools()
        fetch_sdist()
        flake8 = flake8_venv()
        versions = tool_versions(flake8)
        setup = time.perf_counter() - started
        all_files = load_eval_files()
        files = [item for item in all_files if not item.treatment.startswith("skipped")]
        with tempfile.TemporaryDirectory(prefix="fastapi-medic-compare-") as tmp:
            root = Path(tmp)
            if options.keep is not None:
                shutil.rmtree(options.keep, ignore_errors=True)
                root = options.keep.resolve()
            dirs = prepare(files, root / "files")
            runs = {
                "fastapi-medic": run_ours(files, dirs, max(1, options.jobs)),
                "ruff": run_ruff(files, root / "files"),
                "flake8-async": run_flake8(flake8, files, dirs),
            }
            fid = fidelity(flake8, files, root)
    except CompareError as error:
        say(f"compare: {error}")
        return 2
    scores = score(files, runs)
    print_report(all_files, scores, fid)
    total = time.perf_counter() - started
    timing = {
        "setup_seconds": round(setup, 2),
        "total_seconds": round(total, 2),
        **{f"{tool}_seconds": scores[tool]["seconds"] for tool in TOOLS},
    }
    say(
        f"\ntime: setup {setup:.1f}s, total {total:.1f}s; tool processes "
        + ", ".join(
            f"{tool} {scores[tool]['seconds']:.2f}s ({scores[tool]['processes']} run(s))"
            for tool in TOOLS
        )
    )
    results = {
        "flake8_async_version": FLAKE8_ASYNC_VERSION,
        "versions": versions,
        "rules": list(RULES),
        "files": [
            {
                "file": item.name,
                "treatment": item.treatment,
                "markers": item.markers,
                "args": item.args,
                "expected": len(item.expected),
                "prelude": item.prelude,
            }
            for item in all_files
            if any(a.code in RULES for a in item.annotations)
        ],
        "scores": scores,
        "target_met": target_met(scores)[0],
        "fidelity": fid,
        "timing": timing,
    }
    WORK.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {_rel(RESULTS_FILE)}")
    if not options.no_docs:
        write_docs(all_files, scores, fid, versions)
        say(f"wrote {_rel(DOCS_FILE)}")
    return 0


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
