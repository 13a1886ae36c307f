"""Start commands that run in a container: Dockerfiles and docker compose services."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi_medic.env._project import Project
from fastapi_medic.env.commands import parse_argv, parse_shell
from fastapi_medic.env.dockerfile import Stage, parse_dockerfile
from fastapi_medic.env.start import StartCommand

__all__ = ["COMPOSE_FILES", "compose_services", "dockerfile_commands", "dockerfiles", "stage_of"]

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
_DEV_NAME = re.compile(r"(^|[._-])(dev|devel|development|local|test|override)([._-]|$)", re.I)
_DOCKERFILE = re.compile(r"^(Dockerfile(\..+)?|.+\.[Dd]ockerfile)$")


def dockerfiles(project: Project) -> list[str]:
    """Dockerfiles at the root and one directory down, as project-relative paths."""
    found = []
    for directory in [project.root, *sorted(p for p in project.root.iterdir() if p.is_dir())]:
        if directory.name.startswith(".") or directory.name in ("node_modules", "tests"):
            continue
        for path in sorted(directory.glob("*")):
            if path.is_file() and _DOCKERFILE.match(path.name):
                found.append(project.rel(path))
    return found


def is_dev_name(name: str) -> bool:
    """True for files named for development (``Dockerfile.dev``, ``compose.override.yml``)."""
    return bool(_DEV_NAME.search(posixpath.basename(name)))


def stage_of(project: Project, rel: str, target: str | None = None) -> tuple[Stage, Path] | None:
    """The stage a build of ``rel`` deploys (``target`` or the last one) and its context."""
    text = project.text(rel)
    if text is None:
        return None
    try:
        stages = parse_dockerfile(text)
    except Exception:  # dockerfile-parse raises assorted errors on malformed input
        project.unparsable(rel, 1, "invalid Dockerfile")
        return None
    if not stages:
        return None
    stage = next((s for s in stages if target and s.name == target), stages[-1])
    return stage, _context(project, rel, stages)


def _context(project: Project, rel: str, stages: list[Stage]) -> Path:
    """The build context: the Dockerfile's directory, or the root when COPY paths say so."""
    here = (project.root / rel).parent
    if here == project.root:
        return here
    sources = [c.src for s in stages for c in s.copies if c.from_stage is None and not c.external]

    def hits(base: Path) -> int:
        return sum((base / src).exists() for src in sources)

    return project.root if hits(project.root) > hits(here) else here


def dockerfile_commands(project: Project) -> Iterator[StartCommand]:
    """The start command of every Dockerfile's deployed stage."""
    for rel in dockerfiles(project):
        found = stage_of(project, rel)
        if found is None:
            continue
        stage, context = found
        start = stage.start()
        if start is None:
            continue
        argv, exec_form, line = start
        yield from _from_argv(
            project,
            argv,
            exec_form,
            "Dockerfile" if "/" not in rel else rel,
            project.loc(rel, line),
            stage=stage,
            context=context,
            production=not is_dev_name(rel),
        )


def _from_argv(
    project: Project,
    argv: tuple[str, ...],
    exec_form: bool,
    source: str,
    location: Any,
    *,
    stage: Stage,
    context: Path,
    production: bool,
    cwd: str | None = None,
    env: tuple[tuple[str, str], ...] = (),
    mounts: tuple[tuple[str, Path], ...] = (),
    platform: str | None = None,
) -> Iterator[StartCommand]:
    call = parse_argv(argv)
    if (call is None and argv and argv[0].endswith(".sh")) or (
        call is None and len(argv) >= 2 and argv[0] in ("sh", "bash") and argv[1].endswith(".sh")
    ):
        script = argv[0] if argv[0].endswith(".sh") else argv[1]
        yield from _from_script(
            project,
            script,
            stage=stage,
            context=context,
            production=production,
            cwd=cwd,
            env=env,
            platform=platform,
        )
        return
    if call is None:
        return
    yield StartCommand(
        source=source,
        location=location,
        call=call,
        exec_form=exec_form,
        production=production,
        container=True,
        platform=platform,
        cwd=cwd or stage.workdir,
        stage=stage,
        context=context,
        env=(*stage.env.items(), *env),
        mounts=mounts,
    )


def _from_script(
    project: Project,
    script: str,
    *,
    stage: Stage,
    context: Path,
    production: bool,
    cwd: str | None,
    env: tuple[tuple[str, str], ...],
    platform: str | None,
) -> Iterator[StartCommand]:
    """The server an entrypoint script starts (``exec uvicorn ...`` inside it)."""
    local = stage.to_local(posixpath.join(cwd or stage.workdir, script), context)
    if not isinstance(local, Path) or not local.is_file():
        return
    rel = project.rel(local)
    for number, line in enumerate((project.text(rel) or "").splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        call = parse_shell(line)
        if call is not None and call.server != "python":
            yield StartCommand(
                source=rel,
                location=project.loc(rel, number),
                call=call,
                exec_form=False,
                production=production,
                container=True,
                platform=platform,
                cwd=cwd or stage.workdir,
                stage=stage,
                context=context,
                env=(*stage.env.items(), *env),
            )
            return


def compose_services(project: Project) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, service name, service mapping) of every compose file."""
    for name in (*COMPOSE_FILES, "docker-compose.prod.yml", "compose.prod.yaml"):
        doc = project.yaml(name)
        if doc is None or not isinstance(doc.data, dict):
            continue
        services = doc.data.get("services")
        if isinstance(services, dict):
            for service, spec in services.items():
                if isinstance(spec, dict):
                    yield name, service, spec


def compose_commands(project: Project) -> Iterator[StartCommand]:
    """The start command of every compose service built from a Dockerfile here."""
    for rel, service, spec in compose_services(project):
        doc = project.yaml(rel)
        assert doc is not None  # compose_services only yields parsed files
        build = spec.get("build")
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            continue
        base = (project.root / rel).parent / str(build.get("context", "."))
        dockerfile = project.rel(base / str(build.get("dockerfile", "Dockerfile")))
        found = stage_of(project, dockerfile, build.get("target"))
        if found is None:
            continue
        stage, _ = found
        context = base.resolve()
        env = tuple(_environment(spec.get("environment")))
        mounts = tuple(_mounts(spec.get("volumes"), base))
        cwd = spec.get("working_dir") if isinstance(spec.get("working_dir"), str) else None
        production = not is_dev_name(rel)
        command = spec.get("command")
        location = project.loc(rel, doc.line("services", service, "command"))
        if isinstance(command, list):
            argv: tuple[str, ...] = tuple(str(w) for w in command)
            yield from _from_argv(
                project,
                argv,
                True,
                rel,
                location,
                stage=stage,
                context=context,
                production=production,
                cwd=cwd,
                env=env,
                mounts=mounts,
            )
        elif isinstance(command, str):
            call = parse_shell(command)
            if call is not None:
                yield StartCommand(
                    source=rel,
                    location=location,
                    call=call,
                    exec_form=False,
                    production=production,
                    container=True,
                    cwd=cwd or stage.workdir,
                    stage=stage,
                    context=context,
                    env=(*stage.env.items(), *env),
                    mounts=mounts,
                )


def _environment(value: object) -> Iterator[tuple[str, str]]:
    """Variables with a value; names passed through from the host (``- NAME``) are skipped."""
    if isinstance(value, dict):
        for key, val in value.items():
            if val is not None:
                yield str(key), str(val)
    elif isinstance(value, list):
        for item in value:
            key, sep, val = str(item).partition("=")
            if sep:
                yield key, val


def _mounts(value: object, base: Path) -> Iterator[tuple[str, Path]]:
    if not isinstance(value, list):
        return
    for item in value:
        if isinstance(item, str) and ":" in item:
            source, _, rest = item.partition(":")
            target = rest.split(":")[0]
            if source.startswith((".", "/")):
                yield target, (base / source).resolve()
        elif isinstance(item, dict) and item.get("type") == "bind":
            yield str(item.get("target", "")), (base / str(item.get("source", ""))).resolve()
