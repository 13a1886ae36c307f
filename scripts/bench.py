"""Time fastapi-medic against the parse floor and peer linters, all in one run.

    .venv/bin/python scripts/bench.py [--runs N] [--quick] [--corpus DIR]
                                      [--skip-flake8] [--only ours]

Steps:

1. Build or refresh the benchmark corpus with ``corpus.sh`` from the shared bench directory
   (``$FASTAPI_MEDIC_BENCH_DIR``, default ``<repo>/../shared/bench``) into ``--corpus``
   (default ``<repo>/.bench-corpus``). An existing, complete corpus is only read.
2. Time, round-robin (every tool once per round, so machine noise spreads evenly), after one
   untimed warm-up round unless ``--quick``:

   * the parse floor (``parse_floor.py``: read and ``ast.parse`` every file, one process);
   * ``fastapi-medic check --no-cache --exit-zero`` with ``max-workers = 1`` and with the
     default worker count (all cores), and warm (cache filled once, nothing changed since);
   * pyflakes, and Ruff (FAST, ASYNC, B008, T201) cold and warm, on the whole corpus;
   * flake8 + flake8-async + flake8-bugbear on the open-webui subset only (they are slow),
     against the parse floor of that subset. They are not in the lock file: they go into a
     throwaway virtualenv under ``<repo>/.bench-tools/``.

3. Print a Markdown table (min / median / max wall time, median ratio to the floor, target),
   the corpus size and the machine, and write every run to ``<repo>/bench-results.json``.

fastapi-medic reads ``[tool.fastapi-medic]`` from the pyproject.toml nearest the checked
path, and the corpus has none, so each fastapi-medic configuration runs from its own
temporary directory holding a pyproject.toml and a symlink to the corpus. The cache
directory is set to an absolute path in that temporary directory: fastapi-medic resolves
symlinks to find the project root, so a relative ``cache-dir`` would land in the corpus.
That the settings take effect is checked while timing: the one-process run must never
have a child process, and the warm run must report every file as cached.

Only the standard library is used; wall time is measured around each process, CPU time
and peak RSS come from ``os.wait4`` (they include reaped worker processes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR_ENV = "FASTAPI_MEDIC_BENCH_DIR"
DEFAULT_BENCH_DIR = ROOT.parent / "shared" / "bench"
DEFAULT_CORPUS = ROOT / ".bench-corpus"
RESULTS_FILE = ROOT / "bench-results.json"
TOOLS_DIR = ROOT / ".bench-tools"

SUBSET = "open-webui-0.12.4"
RUFF_SELECT = "FAST,ASYNC,B008,T201"
FLAKE8_SELECT = "ASYNC,B008"
FLAKE8_PINS = ("flake8==7.5.0", "flake8-async==26.8.1", "flake8-bugbear==26.10.27")

#: How often the process watcher samples the process tree, in seconds.
WATCH_INTERVAL = 0.05
#: Lines of a failing tool's stderr shown in the error message.
STDERR_TAIL = 20


class BenchError(Exception):
    """A problem that stops the benchmark; the message is meant for the user."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def say(text: str = "") -> None:
    """Write a line to stdout at once (progress shows while tools run)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- one timed process -----------------------------------------------------------------------


class ProcessWatcher:
    """Samples, in a thread, how many descendants a process has at once (Linux ``/proc``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.available = Path(f"/proc/{pid}/task/{pid}/children").exists()
        self.max_descendants = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        if self.available:
            self._thread.start()

    def _descendants(self) -> int:
        seen: set[int] = set()
        stack = [self.pid]
        while stack:
            pid = stack.pop()
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
                except OSError:
                    continue
                for child in map(int, text.split()):
                    if child not in seen:
                        seen.add(child)
                        stack.append(child)
        return len(seen)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.max_descendants = max(self.max_descendants, self._descendants())
            self._stop.wait(WATCH_INTERVAL)

    def stop(self) -> int | None:
        """Stop sampling; the most descendants seen at once, or None when not observable."""
        if not self.available:
            return None
        self._stop.set()
        self._thread.join()
        return self.max_descendants


@dataclass
class Run:
    """One timed execution of a tool."""

    wall_s: float
    cpu_s: float
    maxrss_mb: float
    rc: int
    load1: float
    max_descendants: int | None


@dataclass
class Target:
    """A goal for a row: a median ratio to the floor, or an absolute median time."""

    limit: float
    absolute: bool = False

    def describe(self) -> str:
        """The goal as shown in the table."""
        return f"<= {self.limit:g} s absolute" if self.absolute else f"<= {self.limit:.1f}x floor"

    def met(self, median: float, ratio: float) -> bool:
        """Whether the measured median (seconds) or ratio reaches the goal."""
        return median <= self.limit if self.absolute else ratio <= self.limit


@dataclass
class Row:
    """A tool invocation and its timed runs."""

    key: str
    label: str
    argv: list[str]
    cwd: Path
    floor: str | None = None
    target: Target | None = None
    ok_codes: frozenset[int] = frozenset({0})
    watch: bool = False
    capture: bool = False
    runs: list[Run] = field(default_factory=list)
    stdout: str = ""

    def walls(self) -> list[float]:
        """Wall times of the timed runs, in seconds."""
        return [run.wall_s for run in self.runs]

    def median(self) -> float:
        """Median wall time of the timed runs, in seconds."""
        return statistics.median(self.walls())


def run_once(row: Row) -> Run:
    """Run ``row`` once and measure it; raise BenchError on an unexpected exit code."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            row.argv,
            cwd=row.cwd,
            stdin=subprocess.DEVNULL,
            stdout=out if row.capture else subprocess.DEVNULL,
            stderr=err,
        )
        watcher = ProcessWatcher(proc.pid) if row.watch else None
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        descendants = watcher.stop() if watcher is not None else None
        if proc.returncode not in row.ok_codes:
            err.seek(0)
            tail = err.read().decode(errors="replace").splitlines()[-STDERR_TAIL:]
            raise BenchError(
                f"{row.label}: exit code {proc.returncode}\n"
                f"  command: {shlex.join(row.argv)}\n  in: {row.cwd}\n" + "\n".join(tail)
            )
        if row.capture:
            out.seek(0)
            row.stdout = out.read().decode(errors="replace")
    return Run(
        wall_s=round(wall, 4),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        maxrss_mb=round(usage.ru_maxrss / 1024, 1),
        rc=proc.returncode,
        load1=round(os.getloadavg()[0], 2),
        max_descendants=descendants,
    )


# --- setup -----------------------------------------------------------------------------------


def bench_dir() -> Path:
    """The shared bench directory holding corpus.sh and parse_floor.py."""
    given = os.environ.get(BENCH_DIR_ENV)
    directory = Path(given) if given else DEFAULT_BENCH_DIR
    missing = [name for name in ("corpus.sh", "parse_floor.py") if not (directory / name).is_file()]
    if missing:
        source = (
            f"${BENCH_DIR_ENV}" if given else f"the default (set ${BENCH_DIR_ENV} to change it)"
        )
        raise BenchError(
            f"{', '.join(missing)} not found in {directory}, from {source}.\n"
            f"Point ${BENCH_DIR_ENV} at the directory holding corpus.sh and parse_floor.py.",
            exit_code=2,
        )
    return directory.resolve()


def build_corpus(bench: Path, corpus: Path) -> None:
    """Create or refresh the corpus (corpus.sh skips packages that are already unpacked)."""
    say(f"## corpus: {corpus}")
    env = dict(os.environ)
    env.setdefault("PYTHON", sys.executable)
    done = subprocess.run(["bash", str(bench / "corpus.sh"), str(corpus)], env=env, check=False)
    if done.returncode != 0:
        raise BenchError(f"corpus.sh failed with exit code {done.returncode}")


def tool(name: str) -> str:
    """The path of a command-line tool: next to this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} not found (run `make .venv/.installed`)", exit_code=2)
    return found


def version_of(argv: list[str]) -> str:
    """The version a tool prints for ``--version`` (its first number-like word), or "unknown"."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    words = (done.stdout or done.stderr).replace(",", " ").split()
    return next((word for word in words if word[:1].isdigit()), "unknown")


def flake8_venv() -> tuple[str, dict[str, str]]:
    """flake8 with flake8-async and flake8-bugbear in ``.bench-tools/flake8``.

    The virtualenv is made once and reused while its pins are unchanged. When the pinned
    versions cannot be installed, the newest of each is used instead.

    Returns:
        The flake8 executable and the installed version of each package.
    """
    venv = TOOLS_DIR / "flake8"
    python = venv / "bin" / "python"
    flake8 = venv / "bin" / "flake8"
    marker = venv / "bench-pins.txt"
    wanted = "\n".join(FLAKE8_PINS) + "\n"
    if not (flake8.is_file() and marker.is_file() and marker.read_text() == wanted):
        say(f"## installing {' '.join(FLAKE8_PINS)} into {venv}")
        shutil.rmtree(venv, ignore_errors=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            if subprocess.run([*pip, *FLAKE8_PINS], check=False).returncode != 0:
                say("the pinned versions could not be installed; trying each, else the newest")
                for pin in FLAKE8_PINS:
                    if subprocess.run([*pip, pin], check=False).returncode != 0:
                        subprocess.run([*pip, pin.split("==")[0]], check=True)
        except (OSError, subprocess.CalledProcessError) as error:
            raise BenchError(f"cannot set up flake8 in {venv}: {error}") from None
        marker.write_text(wanted)
    names = [pin.split("==")[0] for pin in FLAKE8_PINS]
    script = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    done = subprocess.run(
        [str(python), "-c", script, *names], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"cannot read the flake8 versions in {venv}: {done.stderr.strip()}")
    versions: dict[str, str] = json.loads(done.stdout)
    return str(flake8), versions


def write_medic_config(directory: Path, corpus: Path, cache: Path, workers: int | None) -> None:
    """A project directory for fastapi-medic: pyproject.toml plus a ``corpus`` symlink."""
    directory.mkdir()
    lines = ["[tool.fastapi-medic]", f"cache-dir = {json.dumps(str(cache))}"]
    if workers is not None:
        lines.append(f"max-workers = {workers}")
    (directory / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (directory / "corpus").symlink_to(corpus, target_is_directory=True)


# --- the rows --------------------------------------------------------------------------------


@dataclass
class Plan:
    """What to run: the rows, plus the checks and cache fills around them."""

    rows: list[Row]
    medic_warm: Row | None = None
    ruff_warm: Row | None = None
    warm_cache: Path | None = None
    versions: dict[str, str] = field(default_factory=dict)


def make_plan(args: argparse.Namespace, bench: Path, corpus: Path, scratch: Path) -> Plan:
    """Build every row to time, writing the temporary project directories into ``scratch``."""
    python = sys.executable
    floor_script = str(bench / "parse_floor.py")
    outside = corpus.parent  # external tools run from here, on a relative path
    name = corpus.name
    medic = tool("fastapi-medic")
    cache = scratch / "medic-cache"
    write_medic_config(scratch / "one", corpus, scratch / "medic-cache-one", workers=1)
    write_medic_config(scratch / "all", corpus, cache, workers=None)
    check = [medic, "check", "corpus", "--exit-zero"]
    cores = os.cpu_count() or 1

    floor = Row(
        "floor",
        "parse floor (read + ast.parse, 1 process)",
        [python, floor_script, name],
        outside,
        floor="floor",
        capture=True,
    )
    rows = [
        floor,
        Row(
            "ours_cold_1",
            "fastapi-medic cold, 1 process",
            [*check, "--no-cache"],
            scratch / "one",
            floor="floor",
            target=Target(2.0),
            watch=True,
        ),
        Row(
            "ours_cold_all",
            f"fastapi-medic cold, all cores ({cores})",
            [*check, "--no-cache"],
            scratch / "all",
            floor="floor",
            target=Target(1.2),
            watch=True,
        ),
        Row(
            "ours_warm",
            "fastapi-medic warm (nothing changed)",
            check,
            scratch / "all",
            floor="floor",
            target=Target(1.0, absolute=True),
        ),
    ]
    plan = Plan(rows, medic_warm=rows[-1], warm_cache=cache)
    plan.versions["fastapi-medic"] = version_of([medic, "--version"])
    if args.only == "ours":
        return plan

    pyflakes, ruff = tool("pyflakes"), tool("ruff")
    ruff_check = [
        ruff,
        "check",
        "--isolated",
        "--select",
        RUFF_SELECT,
        "--output-format",
        "concise",
    ]
    plan.ruff_warm = Row(
        "ruff_warm",
        f"ruff warm ({RUFF_SELECT})",
        [*ruff_check, "--cache-dir", str(scratch / "ruff-cache"), name],
        outside,
        floor="floor",
        ok_codes=frozenset({0, 1}),
    )
    rows += [
        Row(
            "pyflakes",
            "pyflakes",
            [pyflakes, name],
            outside,
            floor="floor",
            ok_codes=frozenset({0, 1}),
        ),
        Row(
            "ruff_cold",
            f"ruff cold ({RUFF_SELECT})",
            [*ruff_check, "--no-cache", name],
            outside,
            floor="floor",
            ok_codes=frozenset({0, 1}),
        ),
        plan.ruff_warm,
    ]
    plan.versions["pyflakes"] = version_of([pyflakes, "--version"])
    plan.versions["ruff"] = version_of([ruff, "--version"])
    if args.skip_flake8:
        return plan

    if not (corpus / SUBSET).is_dir():
        raise BenchError(f"{corpus / SUBSET} not found: the flake8 row needs it", exit_code=2)
    flake8, versions = flake8_venv()
    for pin in FLAKE8_PINS:
        package, pinned = pin.split("==")
        got = versions.get(package, "?")
        note = "" if got == pinned else f" (NOT the pinned {pinned}: not available)"
        plan.versions[package] = got + note
    subset = f"{name}/{SUBSET}"
    rows += [
        Row(
            "floor_subset",
            f"parse floor, {SUBSET} only",
            [python, floor_script, subset],
            outside,
            floor="floor_subset",
            capture=True,
        ),
        Row(
            "flake8",
            f"flake8 + flake8-async + flake8-bugbear ({FLAKE8_SELECT}, -j {cores}), {SUBSET} only",
            [flake8, "--isolated", "--select", FLAKE8_SELECT, "-j", str(cores), subset],
            outside,
            floor="floor_subset",
            ok_codes=frozenset({0, 1}),
        ),
    ]
    return plan


# --- running ---------------------------------------------------------------------------------


def prepare_caches(plan: Plan, scratch: Path) -> None:
    """Fill the warm caches once, and check that fastapi-medic's really serves every file."""
    if plan.medic_warm is not None and plan.warm_cache is not None:
        say("fill    fastapi-medic cache")
        run_once(plan.medic_warm)
        if not plan.warm_cache.is_dir() or not any(plan.warm_cache.iterdir()):
            raise BenchError(f"fastapi-medic did not write its cache to {plan.warm_cache}")
        report = scratch / "warm-check.json"
        probe = Row(
            "warm_check",
            "fastapi-medic warm check",
            [*plan.medic_warm.argv, "--format", "json", "-o", str(report)],
            plan.medic_warm.cwd,
        )
        run_once(probe)
        data = json.loads(report.read_text())
        cached, files = data.get("summary", {}).get("cached"), data.get("files")
        if cached is None or cached != files:
            raise BenchError(f"the warm run is not served from the cache: {cached} of {files}")
    if plan.ruff_warm is not None:
        say("fill    ruff cache")
        run_once(plan.ruff_warm)


def verify_workers(row: Row) -> str:
    """Check from the observed process trees that a row used the intended worker count."""
    seen = [run.max_descendants for run in row.runs]
    if any(count is None for count in seen):
        return f"{row.label}: child processes not observable here, worker count not verified"
    most = max(count or 0 for count in seen)
    if row.key == "ours_cold_1" and most > 0:
        raise BenchError(f"{row.label}: saw {most} child processes; max-workers = 1 had no effect")
    if row.key == "ours_cold_all" and most == 0 and (os.cpu_count() or 1) > 1:
        return f"WARNING {row.label}: no worker processes seen; it ran in one process"
    return f"{row.label}: at most {most} worker processes at once (verified)"


def run_rounds(rows: list[Row], warmup: int, runs: int) -> None:
    """Run every row once per round; the first ``warmup`` rounds are not kept."""
    total = warmup + runs
    for number in range(total):
        kind = "warm-up" if number < warmup else f"run {number - warmup + 1}/{runs}"
        for row in rows:
            run = run_once(row)
            if number >= warmup:
                row.runs.append(run)
            say(f"{kind:<9} {run.wall_s:8.3f} s  cpu {run.cpu_s:8.3f} s  {row.label}")


# --- report ----------------------------------------------------------------------------------


def seconds(value: float) -> str:
    """A duration for the table."""
    return f"{value:.3f} s"


def summarise(plan: Plan) -> list[dict[str, Any]]:
    """One JSON-ready record per row, with the median ratio to its floor."""
    medians = {row.key: row.median() for row in plan.rows}
    out = []
    for row in plan.rows:
        median = medians[row.key]
        ratio = median / medians[row.floor] if row.floor else None
        met = row.target.met(median, ratio or 0.0) if row.target else None
        out.append(
            {
                "key": row.key,
                "label": row.label,
                "command": shlex.join(row.argv),
                "cwd": str(row.cwd),
                "min_s": min(row.walls()),
                "median_s": median,
                "max_s": max(row.walls()),
                "floor": row.floor,
                "ratio": round(ratio, 3) if ratio is not None else None,
                "target": row.target.describe() if row.target else None,
                "met": met,
                "runs": [vars(run) for run in row.runs],
            }
        )
    return out


def table(records: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of the results."""
    lines = [
        "| tool | min | median | max | ratio to floor (median/median) | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for rec in records:
        ratio = f"{rec['ratio']:.2f}x" if rec["ratio"] is not None else ""
        if rec["floor"] == "floor_subset" and rec["key"] != "floor_subset":
            ratio += f" (vs {SUBSET} floor)"
        target = ""
        if rec["target"]:
            target = f"{rec['target']}: {'met' if rec['met'] else 'MISSED'}"
        lines.append(
            f"| {rec['label']} | {seconds(rec['min_s'])} | {seconds(rec['median_s'])} "
            f"| {seconds(rec['max_s'])} | {ratio} | {target} |"
        )
    return lines


def floor_counts(plan: Plan, key: str) -> dict[str, Any]:
    """The file and line counts parse_floor.py printed for the row ``key`` (last run)."""
    for row in plan.rows:
        if row.key == key and row.stdout.strip():
            counts: dict[str, Any] = json.loads(row.stdout.strip().splitlines()[-1])
            return counts
    return {}


def load_warning(plan: Plan) -> str:
    """A warning when other processes competed for the CPUs during the timed runs, else ""."""
    cores = os.cpu_count() or 1
    peak = max((run.load1 for row in plan.rows for run in row.runs), default=0.0)
    # A timed tool itself accounts for up to one unit of load per core.
    if peak <= cores + 1:
        return ""
    return (
        f"WARNING: the 1-minute load average reached {peak:.2f} on {cores} CPUs during the "
        "runs: other processes competed for the CPUs, so wall times are inflated "
        "(CPU times in the JSON are less affected). Re-run on an idle machine."
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 run per tool, no warm-up")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"corpus directory (default {DEFAULT_CORPUS})",
    )
    parser.add_argument("--skip-flake8", action="store_true", help="leave out the flake8 row")
    parser.add_argument(
        "--only",
        choices=["ours"],
        help="ours: only the parse floor and the three fastapi-medic rows",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def bench(args: argparse.Namespace) -> None:
    """Build the corpus, time every row, print the table and write the JSON results."""
    warmup, runs = (0, 1) if args.quick else (1, args.runs)
    corpus = Path(os.path.abspath(args.corpus))
    bench_path = bench_dir()
    build_corpus(bench_path, corpus)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="fastapi-medic-bench-") as tmp:
        scratch = Path(tmp)
        plan = make_plan(args, bench_path, corpus, scratch)
        say(f"## timing: {runs} run(s) per tool" + (", after 1 warm-up round" if warmup else ""))
        prepare_caches(plan, scratch)
        run_rounds(plan.rows, warmup, runs)
    checks = [verify_workers(row) for row in plan.rows if row.watch]
    records = summarise(plan)
    full, subset = floor_counts(plan, "floor"), floor_counts(plan, "floor_subset")
    machine = {
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load1_before": round(load_before[0], 2),
        "load1_after": round(os.getloadavg()[0], 2),
    }

    say()
    say(f"## results ({runs} run(s) per tool" + (", after 1 warm-up)" if warmup else ")"))
    say()
    say(
        f"corpus: {corpus}: {full.get('files')} .py files, {full.get('lines')} lines, "
        f"{full.get('bytes')} bytes"
    )
    if subset:
        say(f"subset: {SUBSET}: {subset.get('files')} files, {subset.get('lines')} lines")
    say(
        f"machine: {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"{machine['platform']}, load {machine['load1_before']} before / "
        f"{machine['load1_after']} after"
    )
    say("versions: " + ", ".join(f"{k} {v}" for k, v in plan.versions.items()))
    for line in checks:
        say(line)
    say()
    for line in table(records):
        say(line)
    busy = load_warning(plan)
    if busy:
        say()
        say(busy)
    results = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": {
            "runs": runs,
            "warmup": warmup,
            "corpus": str(corpus),
            "only": args.only,
            "skip_flake8": args.skip_flake8,
            "bench_dir": str(bench_path),
        },
        "machine": machine,
        "corpus": {"full": full, "subset": subset},
        "versions": plan.versions,
        "checks": checks,
        "load_warning": busy,
        "rows": records,
    }
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n")
    say()
    say(f"raw results: {RESULTS_FILE}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2: setup problem, 1: a tool failed)."""
    args = parse_args(argv)
    try:
        bench(args)
    except BenchError as error:
        sys.stderr.write(f"bench: error: {error}\n")
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
