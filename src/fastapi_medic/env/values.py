"""Where environment variables get their values: the environment, .env files, compose,
render.yaml, fly.toml, app.yaml, Dockerfile ``ENV`` and defaults in code."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from fastapi_medic.env._project import Project
from fastapi_medic.env.docker_sources import (
    compose_services,
    dockerfiles,
    is_dev_name,
    stage_of,
)
from fastapi_medic.findings import Location

__all__ = ["DEPLOY_DECLARING", "EnvValue", "collect_values", "in_container", "parse_dotenv"]

#: Origins that list a deployment's variables (a name missing there is missing in production).
DEPLOY_DECLARING = frozenset({"render.yaml", "app.yaml", "compose"})
_DOTENV = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][\w.]*)\s*=\s*(?P<value>.*?)\s*$")


@dataclasses.dataclass(frozen=True)
class EnvValue:
    """One place that sets a variable.

    Attributes:
        value: the text; None when the place sets it without showing it (a secret store,
            ``fromDatabase``, ``sync: false``).
        origin: ``environment``, ``.env``, ``compose``, ``render.yaml``, ``Dockerfile``, ...
        location: the line that sets it; None for the process environment.
        deploy: set for a deployed container or platform; container: inside a container.
        hint: what the platform fills in (``postgresql`` for a Render database).
    """

    name: str
    value: str | None
    origin: str
    location: Location | None
    deploy: bool = False
    container: bool = False
    hint: str | None = None
    network_host: bool = False

    @property
    def where(self) -> str:
        """How the origin is named in messages."""
        return str(self.location.path) if self.location else "the environment"


def in_container() -> bool:
    """True when this process runs inside a container."""
    return Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()


def parse_dotenv(text: str) -> Iterator[tuple[str, str, int]]:
    """(name, value, line) of a .env file: ``KEY=value``, quotes, ``export``, comments."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        match = _DOTENV.match(line)
        if not match:
            continue
        value = match.group("value")
        if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) >= 2:
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        yield match.group("key"), value, number


def collect_values(project: Project, environ: Mapping[str, str]) -> list[EnvValue]:
    """Every value the project's files and the environment give a variable."""
    values = [
        EnvValue(k, v, "environment", None, deploy=in_container(), container=in_container())
        for k, v in environ.items()
    ]
    for rel in (".env", ".env.production", ".env.prod"):
        for key, value, line in parse_dotenv(project.text(rel) or ""):
            values.append(EnvValue(key, value, rel, project.loc(rel, line)))
    values += project.safely("docker-compose.yml", lambda: _compose(project))
    values += project.safely("render.yaml", lambda: _render(project))
    values += project.safely("fly.toml", lambda: _simple_table(project))
    values += project.safely("Dockerfile", lambda: _dockerfile(project))
    return values


def _compose(project: Project) -> Iterator[EnvValue]:
    for rel, service, spec in compose_services(project):
        doc = project.yaml(rel)
        if doc is None:
            continue
        deploy = not is_dev_name(rel)
        host_net = spec.get("network_mode") == "host"
        env = spec.get("environment")
        items: list[tuple[str, str | None, int]] = []
        if isinstance(env, dict):
            for key, value in env.items():
                items.append((str(key), value, doc.line("services", service, "environment", key)))
        elif isinstance(env, list):
            for index, item in enumerate(env):
                key, sep, value = str(item).partition("=")
                line = doc.line("services", service, "environment", index)
                items.append((key, value if sep else None, line))
        for key, value, line in items:
            yield EnvValue(
                key, value, "compose", project.loc(rel, line), deploy, True, network_host=host_net
            )
        env_files = spec.get("env_file")
        for name in [env_files] if isinstance(env_files, str) else env_files or []:
            file_rel = project.rel((project.root / rel).parent / str(name))
            for key, value, line in parse_dotenv(project.text(file_rel) or ""):
                yield EnvValue(key, value, "compose", project.loc(file_rel, line), deploy, True)


def _render(project: Project) -> Iterator[EnvValue]:
    doc = project.yaml("render.yaml")
    if doc is None or not isinstance(doc.data, dict):
        return
    for i, service in enumerate(doc.data.get("services") or []):
        if not isinstance(service, dict):
            continue
        for j, var in enumerate(service.get("envVars") or []):
            if not isinstance(var, dict) or not isinstance(var.get("key"), str):
                if isinstance(var, dict) and "fromGroup" in var:
                    yield EnvValue("*", None, "render.yaml", None, deploy=True)
                continue
            line = doc.line("services", i, "envVars", j)
            value = var.get("value") if isinstance(var.get("value"), str) else None
            hint = "postgresql" if "fromDatabase" in var else None
            yield EnvValue(
                var["key"],
                value,
                "render.yaml",
                project.loc("render.yaml", line),
                deploy=True,
                hint=hint,
            )


def _simple_table(project: Project) -> Iterator[EnvValue]:
    fly = project.toml("fly.toml") or {}
    for key, value in (fly.get("env") or {}).items():
        line = project.line_of("fly.toml", rf"^\s*{re.escape(str(key))}\s*=")
        yield EnvValue(str(key), str(value), "fly.toml", project.loc("fly.toml", line), True, True)
    doc = project.yaml("app.yaml")
    if doc is not None and isinstance(doc.data, dict):
        for key, value in (doc.data.get("env_variables") or {}).items():
            line = doc.line("env_variables", key)
            yield EnvValue(str(key), value, "app.yaml", project.loc("app.yaml", line), True)


def _dockerfile(project: Project) -> Iterator[EnvValue]:
    for rel in dockerfiles(project):
        if is_dev_name(rel):
            continue
        found = stage_of(project, rel)
        if found is None:
            continue
        stage = found[0]
        for key, value in stage.env.items():
            line = stage.env_lines.get(key)
            if line is not None:
                yield EnvValue(key, value, "Dockerfile", project.loc(rel, line), True, True)
