"""Dockerfile stages: base image, ENV, WORKDIR, COPY mappings and the start command.

``dockerfile-parse`` splits instructions (continuations, comments, line numbers); the stage
model is ours, because it tracks neither WORKDIR nor inheritance between stages, and does
not tell an exec-form ``CMD`` from a shell-form one.
"""

from __future__ import annotations

import dataclasses
import io
import json
import posixpath
import re
import shlex
from pathlib import Path

from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]  # no stubs

__all__ = ["Command", "Stage", "parse_dockerfile", "substitute"]

_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?P<op>:?[-+])?(?P<word>[^}]*)\}|(?P<name>[A-Za-z_]\w*))"
)
# Images known to hold none of the project's files: a path no COPY covers is absent there.
_BARE_IMAGE = re.compile(
    r"^(?:docker\.io/)?(?:library/)?(?:python|debian|ubuntu|alpine|busybox|buildpack-deps)"
    r"(?::|@|$)|^ghcr\.io/astral-sh/uv(?::|@|$)|^scratch$"
)
_INSTALLS_PROJECT = re.compile(
    r"pip3?\s+install\b[^&;|]*?(?:\s-e)?\s+\.(?:\[[^\]]*\])?(?:\s|$)"
    r"|\buv\s+sync\b(?![^&;|]*--no-install-project)"
    r"|\bpoetry\s+install\b(?![^&;|]*--no-root)"
    r"|\bpdm\s+install\b(?![^&;|]*--no-self)"
    r"|\bsetup\.py\s+(?:install|develop)\b"
)


def substitute(text: str, env: dict[str, str]) -> str:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:+alt}`` as Docker does."""

    def repl(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("name")
        value = env.get(name)
        op = match.group("op") or ""
        if op.endswith("-"):
            return value if value else match.group("word")
        if op.endswith("+"):
            return match.group("word") if value else ""
        return value if value is not None else match.group(0)

    return _VAR.sub(repl, text)


@dataclasses.dataclass(frozen=True)
class Command:
    """A ``CMD`` or ``ENTRYPOINT``: its words, whether exec form, and its line (1-based)."""

    argv: tuple[str, ...]
    exec_form: bool
    line: int
    raw: str


@dataclasses.dataclass
class Copy:
    """One ``COPY``/``ADD`` source: container ``dest`` gets ``src`` (local or from a stage)."""

    dest: str
    src: str
    from_stage: Stage | None = None
    external: bool = False


@dataclasses.dataclass
class Stage:
    """One build stage, with what it inherits from the stage it is built ``FROM``."""

    index: int
    name: str | None
    image: str
    line: int
    parent: Stage | None = None
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    env_lines: dict[str, int] = dataclasses.field(default_factory=dict)
    workdir: str = "/"
    copies: list[Copy] = dataclasses.field(default_factory=list)
    entrypoint: Command | None = None
    cmd: Command | None = None
    installs_project: bool = False
    exposed: list[str] = dataclasses.field(default_factory=list)

    @property
    def root_image(self) -> tuple[str, int]:
        """The external image this stage finally builds on, and the line naming it."""
        stage: Stage = self
        while stage.parent is not None:
            stage = stage.parent
        return stage.image, stage.line

    def start(self) -> tuple[tuple[str, ...], bool, int] | None:
        """The process the container runs: (argv, exec form, line), ENTRYPOINT + CMD combined."""
        entry, cmd = self.entrypoint, self.cmd
        if entry is not None and not entry.exec_form:
            return entry.argv, False, entry.line  # a shell-form ENTRYPOINT ignores CMD
        if entry is not None:
            if cmd is None:
                return entry.argv, True, entry.line
            line = cmd.line if cmd.argv else entry.line
            return entry.argv + cmd.argv, entry.exec_form and cmd.exec_form, line
        if cmd is not None:
            return cmd.argv, cmd.exec_form, cmd.line
        return None

    def to_local(self, container_path: str, context: Path, depth: int = 0) -> Path | bool | None:
        """The local file a container path comes from.

        Returns:
            the local path; ``False`` when a ``COPY`` covers the path but nothing is there
            (the path is known to be absent); ``None`` when nothing covers it (unknown).
        """
        container_path = posixpath.normpath(container_path)
        covered = False
        stage: Stage | None = self
        while stage is not None and depth < 10:
            for copy in reversed(stage.copies):
                if container_path != copy.dest and not container_path.startswith(
                    copy.dest.rstrip("/") + "/"
                ):
                    continue
                if copy.external:
                    return None
                rest = container_path[len(copy.dest.rstrip("/")) :].lstrip("/")
                if copy.from_stage is not None:
                    inner = posixpath.join(copy.src, rest) if rest else copy.src
                    found = copy.from_stage.to_local(inner, context, depth + 1)
                else:
                    local = (context / copy.src / rest) if rest else (context / copy.src)
                    found = local if local.exists() else False
                if found:
                    return found
                covered = covered or found is False
            stage = stage.parent
        if covered or _BARE_IMAGE.match(self.root_image[0]):
            return False
        return None


def parse_dockerfile(text: str, build_args: dict[str, str] | None = None) -> list[Stage]:
    """The stages of a Dockerfile, in order."""
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
    global_args: dict[str, str] = dict(build_args or {})
    stages: list[Stage] = []
    stage: Stage | None = None
    for item in parser.structure:
        instruction, value = item["instruction"].upper(), item["value"]
        line = item["startline"] + 1
        if instruction == "ARG":
            name, _, default = value.partition("=")
            name = name.strip()
            scope = stage.env if stage is not None else global_args
            if name and name not in scope:
                scope[name] = (build_args or {}).get(name, _unquote(default.strip()))
            continue
        if instruction == "FROM":
            stage = _new_stage(value, line, len(stages), stages, global_args)
            stages.append(stage)
            continue
        if stage is not None:
            _apply(stage, instruction, value, line, stages)
    return stages


def _new_stage(
    value: str, line: int, index: int, stages: list[Stage], args: dict[str, str]
) -> Stage:
    words = [w for w in value.split() if not w.startswith("--")]
    image = substitute(words[0], args) if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    parent = next((s for s in reversed(stages) if s.name and s.name == image), None)
    stage = Stage(index=index, name=name, image=image, line=line, parent=parent)
    if parent is not None:
        stage.env = dict(parent.env)
        stage.env_lines = dict(parent.env_lines)
        stage.workdir = parent.workdir
        stage.entrypoint, stage.cmd = parent.entrypoint, parent.cmd
        stage.installs_project = parent.installs_project
    return stage


def _apply(stage: Stage, instruction: str, value: str, line: int, stages: list[Stage]) -> None:
    if instruction == "ENV":
        for name, val in _env_pairs(value):
            stage.env[name] = substitute(val, stage.env)
            stage.env_lines[name] = line
    elif instruction == "WORKDIR":
        path = substitute(_unquote(value.strip()), stage.env)
        stage.workdir = posixpath.normpath(posixpath.join(stage.workdir, path))
    elif instruction in ("COPY", "ADD"):
        stage.copies.extend(_copies(stage, value, stages))
    elif instruction == "RUN":
        if _INSTALLS_PROJECT.search(value):
            stage.installs_project = True
    elif instruction == "EXPOSE":
        stage.exposed.extend(value.split())
    elif instruction in ("CMD", "ENTRYPOINT"):
        command = _command(value, line)
        if instruction == "CMD":
            stage.cmd = command
        else:
            stage.entrypoint = command
            if stage.cmd is not None and stage.cmd.line < line:
                stage.cmd = None  # a new ENTRYPOINT resets the inherited CMD


def _command(value: str, line: int) -> Command:
    stripped = value.strip()
    if stripped.startswith("["):
        try:
            words = json.loads(stripped)
        except json.JSONDecodeError:
            words = None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return Command(tuple(words), True, line, stripped)
    return Command(("/bin/sh", "-c", stripped), False, line, stripped)


def _env_pairs(value: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if words and "=" not in words[0]:  # legacy form: ENV NAME value with spaces
        return [(words[0], " ".join(words[1:]))]
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words if "=" in w]


def _copies(stage: Stage, value: str, stages: list[Stage]) -> list[Copy]:
    stripped = value.strip()
    words: list[str]
    if stripped.startswith("["):
        try:
            words = [str(w) for w in json.loads(stripped)]
        except json.JSONDecodeError:
            return []
    else:
        try:
            words = shlex.split(stripped)
        except ValueError:
            return []
    flags = [w for w in words if w.startswith("--")]
    paths = [substitute(w, stage.env) for w in words if not w.startswith("--")]
    if len(paths) < 2:
        return []
    source_flag = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
    from_stage: Stage | None = None
    external = False
    if source_flag is not None:
        from_stage = next(
            (s for s in stages if s.name == source_flag or str(s.index) == source_flag), None
        )
        external = from_stage is None
    *sources, raw_dest = paths
    dest = posixpath.normpath(posixpath.join(stage.workdir, raw_dest))
    into_dir = (
        raw_dest.endswith("/")
        or raw_dest in (".", "./")
        or len(sources) > 1
        or dest == stage.workdir
    )
    copies = []
    for raw_src in sources:
        if "://" in raw_src:
            continue
        src = posixpath.normpath(raw_src)
        name = posixpath.basename(src)
        # A file copied into a directory keeps its name; a directory copies its contents.
        is_file = "." in name.lstrip(".") and not raw_src.endswith("/") and src != "."
        target = posixpath.join(dest, name) if (into_dir and is_file) else dest
        copies.append(Copy(dest=target, src=src, from_stage=from_stage, external=external))
    return copies


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text
