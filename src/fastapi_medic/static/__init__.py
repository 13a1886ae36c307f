"""Static analysis of a FastAPI code base: ``check_paths`` is the one entry point."""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi_medic._version import __version__
from fastapi_medic.config import Config
from fastapi_medic.errors import UsageError
from fastapi_medic.findings import Finding, Report
from fastapi_medic.registry import all_rules, iter_selected
from fastapi_medic.static.analyze import Cache, FileTask, analyze_files
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.discovery import discover
from fastapi_medic.static.fastapi_model import AppModel
from fastapi_medic.static.model import SUMMARY_FORMAT, ModuleSummary
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["LoadedProject", "check_paths", "load_project", "project_root"]

Progress = Callable[[str], None]


def _static_rules() -> list[type[StaticRule]]:
    import fastapi_medic.static.rules  # noqa: F401 - registers the families

    return [r for r in all_rules() if issubclass(r, StaticRule)]


def _file_rules() -> list[StaticRule]:
    """Instances of every rule with AST hooks (run in each worker; selection comes later)."""
    return [rule() for rule in _static_rules() if not rule.project_wide]


def project_root(paths: Sequence[Path]) -> Path:
    """The directory findings are relative to and imports are resolved from.

    One directory: itself, or the nearest ancestor that is not a regular package (so checking
    ``app/`` still resolves ``from app.db import ...``). Several paths: their common parent.
    """
    resolved = [p.resolve() for p in paths]
    for path in resolved:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    if len(resolved) == 1:
        base = resolved[0] if resolved[0].is_dir() else resolved[0].parent
    else:
        base = Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))
    while (base / "__init__.py").exists() and base.parent != base:
        base = base.parent
    return base


@dataclass
class LoadedProject:
    """A parsed project: its model, summaries and the files that were read."""

    root: Path
    project: Project
    files: int
    cached: int

    @property
    def app(self) -> AppModel:
        """The FastAPI model (apps, routers, routes)."""
        from fastapi_medic.static.fastapi_model import build_app_model

        return build_app_model(self.project)


def _config_root(config: Config, root: Path) -> Path:
    """Where exclude patterns and the cache live: the configuration's directory when the
    checked files are inside it, else the checked root."""
    base = Path(config.root).resolve()
    return base if root == base or base in root.parents else root


def _tasks(paths: Sequence[Path], config: Config, root: Path) -> list[FileTask]:
    files = discover(
        _config_root(config, root),
        paths,
        exclude=(*config.exclude, *config.extend_exclude),
        respect_gitignore=config.respect_gitignore,
    )
    return [FileTask(str(f), f.relative_to(root).as_posix()) for f in files]


def _workers(config: Config) -> int:
    if config.max_workers is not None:
        return max(1, config.max_workers)
    return os.cpu_count() or 1


def _code_fingerprint() -> str:
    """A digest of the analyser's own source: summaries cached by other code are not reused,
    even when the version number did not change (an editable install, a development tree)."""
    global _CODE_FINGERPRINT  # noqa: PLW0603 - computed once per process
    if _CODE_FINGERPRINT is None:
        digest = hashlib.blake2b(digest_size=8)
        for path in sorted(Path(__file__).parent.rglob("*.py")):
            digest.update(path.read_bytes())
        _CODE_FINGERPRINT = digest.hexdigest()
    return _CODE_FINGERPRINT


_CODE_FINGERPRINT: str | None = None


def _cache_for(config: Config, root: Path, use_cache: bool) -> Cache:
    directory = (_config_root(config, root) / config.cache_dir) if use_cache else None
    key = f"{__version__}-{SUMMARY_FORMAT}-{_code_fingerprint()}-{config.fingerprint()}"
    return Cache(directory, key)


def _summaries(
    tasks: Sequence[FileTask], config: Config, cache: Cache, digests: dict[str, str]
) -> tuple[dict[str, ModuleSummary], int, dict[str, bytes] | None]:
    """Summaries of every file: from the cache when the content is known, else analysed.

    Returns the summaries, how many came from the cache, and the new cache content (None when
    it would not change).
    """
    known = cache.summaries() if cache.directory is not None else {}
    out: dict[str, ModuleSummary] = {}
    blobs: dict[str, bytes] = {}
    missing = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for task in tasks:
            key = f"{task.rel}|{digests[task.rel]}"
            blob = known.get(key)
            loaded = _unpickle(blob) if blob is not None else None
            if loaded is not None:
                out[task.rel] = loaded
                blobs[key] = blob  # type: ignore[assignment]
            else:
                missing.append(task)
    finally:
        if enabled:
            gc.enable()
    for rel, summary, new_blob in analyze_files(
        missing,
        _file_rules,
        max_bytes=config.max_file_bytes,
        workers=_workers(config),
        keep_blobs=cache.directory is not None,
    ):
        out[rel] = summary
        if new_blob is not None:
            blobs[f"{rel}|{digests[rel]}"] = new_blob
    ordered = {task.rel: out[task.rel] for task in tasks}
    changed = bool(missing) or len(known) != len(blobs)
    return ordered, len(tasks) - len(missing), blobs if changed and cache.directory else None


def _unpickle(blob: bytes) -> ModuleSummary | None:
    """A cached summary, or None when the entry is damaged or of another shape."""
    try:
        value = pickle.loads(blob)
    except Exception:  # a damaged cache entry is a miss
        return None
    return value if isinstance(value, ModuleSummary) else None


def _digests(
    tasks: Sequence[FileTask], cache: Cache
) -> tuple[dict[str, str], dict[str, tuple[int, int, str]]]:
    cache.load_stats()
    digests: dict[str, str] = {}
    stats: dict[str, tuple[int, int, str]] = {}
    for task in tasks:
        value, stat = cache.file_digest(task.path, task.rel)
        digests[task.rel] = value
        if stat is not None:
            stats[task.rel] = stat
    return digests, stats


def load_project(paths: Sequence[Path], config: Config, *, use_cache: bool = True) -> LoadedProject:
    """Discover, parse and summarise the files under ``paths``.

    Raises:
        UsageError: a path does not exist.
    """
    root = project_root(paths)
    tasks = _tasks(paths, config, root)
    cache = _cache_for(config, root, use_cache)
    digests, _ = _digests(tasks, cache)
    summaries, cached, _ = _summaries(tasks, config, cache, digests)
    return LoadedProject(root, Project(summaries), len(tasks), cached)


def _run_project_rule(
    rule_cls: type[StaticRule], project: Project, ctx: ProjectContext
) -> list[Finding]:
    """Run one project-wide rule; its crash becomes a MED904 finding, not the end of the run."""
    from fastapi_medic.static.rules.tool import RuleFailed

    try:
        return list(rule_cls().check_project(project, ctx))
    except Exception as exc:  # one rule must not take the others down
        if os.environ.get("FASTAPI_MEDIC_DEBUG"):
            raise
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:60]
        return [
            RuleFailed.finding(
                f"{rule_cls.code} failed: {detail}",
                fix="Run with --debug for the traceback and report it",
                subject=f"rule {rule_cls.code}",
            )
        ]


#: Below this many files the project phase is too short to be worth a second process.
_PARALLEL_PROJECT_FILES = 400


def _run_project_rules(
    rules: list[type[StaticRule]],
    project: Project,
    ctx: ProjectContext,
    workers: int,
    files: int,
) -> list[Finding]:
    """Run the project-wide rules; on a large project, split them over two processes.

    The async rules (which share the call-graph analysis) run here while a forked child
    runs the others on its copy-on-write view of the same project and sends back its
    findings. Anything going wrong with the child only means running its rules here.
    """
    if workers < 2 or files < _PARALLEL_PROJECT_FILES or not hasattr(os, "fork") or len(rules) < 2:
        return [f for rule in rules for f in _run_project_rule(rule, project, ctx)]
    # computed once, before the fork, so both processes have them
    _ = ctx.app, ctx.request_reachable
    here = [rule for rule in rules if rule.code.startswith("MED1")]
    there = [rule for rule in rules if not rule.code.startswith("MED1")]
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return [f for rule in rules for f in _run_project_rule(rule, project, ctx)]
    if pid == 0:  # the child: run its share, send it, and leave without cleanup
        os.close(read)
        code = 0
        try:
            found = [f for rule in there for f in _run_project_rule(rule, project, ctx)]
            with os.fdopen(write, "wb") as out:
                pickle.dump(found, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # the parent falls back to running them itself
            code = 1
        os._exit(code)
    os.close(write)
    findings = [f for rule in here for f in _run_project_rule(rule, project, ctx)]
    with os.fdopen(read, "rb") as incoming:
        data = incoming.read()
    _, status = os.waitpid(pid, 0)
    try:
        received = pickle.loads(data) if status == 0 and data else None
    except Exception:  # a broken answer means running the rules here
        received = None
    if not isinstance(received, list):
        received = [f for rule in there for f in _run_project_rule(rule, project, ctx)]
    return findings + received


def check_paths(
    paths: Sequence[Path],
    config: Config,
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
) -> Report:
    """Run the selected static rules on ``paths`` and return the report.

    Findings are relative to :func:`project_root`; ``# noqa`` comments and configuration
    silence findings, and the report counts them. With ``fix``, mechanical fixes are applied
    first and the report shows what remains (``summary["fixed"]`` counts the fixes).

    Raises:
        UsageError: a path does not exist.
    """
    from fastapi_medic.suppress import split_findings

    started = time.perf_counter()
    root = project_root(paths)
    tasks = _tasks(paths, config, root)
    if progress:
        progress(f"{len(tasks)} files under {root}")
    cache = _cache_for(config, root, use_cache)
    if use_cache or fix:
        digests, stats = _digests(tasks, cache)
    else:  # nothing is cached and no file is rewritten: no need to hash the tree
        digests, stats = {task.rel: "" for task in tasks}, {}
    selected = list(
        iter_selected(_static_rules(), (*config.select, *config.extend_select), config.ignore)
    )
    codes = {rule.code for rule in selected}
    result_key = hashlib.blake2b(
        repr((sorted(digests.items()), sorted(codes))).encode(), digest_size=16
    ).hexdigest()
    if fix:
        from fastapi_medic.static.fixes import apply_fixes

        first = check_paths(paths, config, use_cache=use_cache, progress=progress)
        done = apply_fixes(root, first.findings, digests, unsafe=unsafe_fixes)
        again = check_paths(paths, config, use_cache=use_cache, progress=progress)
        return Report(
            command="check",
            root=again.root,
            findings=again.findings,
            silenced=again.silenced,
            files=again.files,
            duration=time.perf_counter() - started,
            summary={
                **again.summary,
                "fixed": done.applied,
                **(
                    {"fix_refused": "; ".join(f"{p}: {why}" for p, why in done.refused)}
                    if done.refused
                    else {}
                ),
            },
        )
    cached_result = cache.result(result_key)
    if isinstance(cached_result, tuple) and len(cached_result) == 2:
        kept, silenced = cached_result
        return Report(
            command="check",
            root=str(root),
            findings=tuple(kept),
            silenced=int(silenced),
            files=len(tasks),
            duration=time.perf_counter() - started,
            summary={"cached": len(tasks)},
        )

    summaries, cached, blobs = _summaries(tasks, config, cache, digests)
    project = Project(summaries)
    ctx = ProjectContext(project, config, root)
    findings: list[Finding] = []
    for summary in summaries.values():
        findings.extend(f for f in summary.findings if f.code in codes)
    project_rules = [rule for rule in selected if rule.project_wide]
    findings.extend(_run_project_rules(project_rules, project, ctx, _workers(config), len(tasks)))
    noqa = {rel: s.noqa for rel, s in summaries.items() if s.noqa}
    split = split_findings(findings, noqa_by_path=noqa, config=config, base=root)
    kept = list(split.kept)
    silenced_unused = 0
    if "MED903" in codes:
        from fastapi_medic.findings import Location
        from fastapi_medic.static.rules.tool import UnusedNoqa

        for path, line, code in split.unused_noqa:
            if "MED903" in noqa.get(path, {}).get(line, frozenset()):
                silenced_unused += 1  # a noqa that names MED903 is kept on purpose
                continue
            what = f"`# noqa: {code}`" if code else "`# noqa`"
            kept.append(
                UnusedNoqa.finding(
                    f"Unused {what}: nothing to suppress on this line",
                    location=Location(path, line),
                    fix="Remove the comment",
                )
            )
    silenced = len(split.silenced) + silenced_unused
    cache.save(stats, blobs, result_key, (kept, silenced))
    return Report(
        command="check",
        root=str(root),
        findings=tuple(kept),
        silenced=silenced,
        files=len(tasks),
        duration=time.perf_counter() - started,
        summary={"cached": cached},
    )
