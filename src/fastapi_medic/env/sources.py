"""Every way the app is started: Procfile, render.yaml, fly.toml, railway, app.yaml,
Makefile, pyproject, gunicorn.conf.py and ``uvicorn.run(...)`` in code (containers are in
:mod:`docker_sources`)."""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi_medic.env._project import Project
from fastapi_medic.env.commands import ServerCall, parse_argv, parse_shell
from fastapi_medic.env.docker_sources import compose_commands, dockerfile_commands, stage_of
from fastapi_medic.env.start import StartCommand

__all__ = ["find_start_commands", "gunicorn_conf"]

_RECIPE_TARGET = re.compile(r"^([A-Za-z0-9_.-]+)\s*:(?!=)")


def find_start_commands(project: Project) -> list[StartCommand]:
    """Every start command of the project, in a stable order."""
    found: list[StartCommand] = []
    finders = {
        "Dockerfile": dockerfile_commands,
        "docker-compose.yml": compose_commands,
        "Procfile": _procfile,
        "render.yaml": _render,
        "fly.toml": _fly,
        "railway.json": _railway,
        "app.yaml": _app_yaml,
        "gunicorn.conf.py": _gunicorn_conf_source,
        "Makefile": _makefile,
        "pyproject.toml": _pyproject,
        "uvicorn.run": _code_runs,
    }
    for rel, finder in finders.items():
        found.extend(project.safely(rel, functools.partial(finder, project)))
    found.extend(project.safely("Dockerfile", lambda: _scripts_started(project, found)))
    return found


def _procfile(project: Project) -> Iterator[StartCommand]:
    for number, line in enumerate((project.text("Procfile") or "").splitlines(), start=1):
        name, sep, command = line.partition(":")
        if sep and name.strip() == "web":
            call = parse_shell(command.strip())
            if call is not None:
                yield StartCommand(
                    "Procfile", project.loc("Procfile", number), call, platform="heroku"
                )


def _render(project: Project) -> Iterator[StartCommand]:
    doc = project.yaml("render.yaml")
    if doc is None or not isinstance(doc.data, dict):
        return
    for index, service in enumerate(doc.data.get("services") or []):
        if not isinstance(service, dict) or service.get("type", "web") != "web":
            continue
        root = str(service.get("rootDir") or ".")
        runtime = str(service.get("runtime") or service.get("env") or "")
        env = tuple(_render_env(service))
        if runtime == "docker":
            path = f"{root}/{service.get('dockerfilePath') or 'Dockerfile'}".removeprefix("./")
            found = stage_of(project, path.replace("/./", "/"))
            command = service.get("dockerCommand")
            if found is None or not isinstance(command, str):
                continue
            stage, context = found
            call = parse_shell(command)
            if call is not None:
                line = doc.line("services", index, "dockerCommand")
                yield StartCommand(
                    "render.yaml",
                    project.loc("render.yaml", line),
                    call,
                    container=True,
                    platform="render",
                    cwd=stage.workdir,
                    stage=stage,
                    context=context,
                    env=(*stage.env.items(), *env),
                )
        elif isinstance(service.get("startCommand"), str):
            call = parse_shell(service["startCommand"])
            if call is not None:
                line = doc.line("services", index, "startCommand")
                yield StartCommand(
                    "render.yaml",
                    project.loc("render.yaml", line),
                    call,
                    platform="render",
                    cwd=root,
                    env=env,
                )


def _render_env(service: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for item in service.get("envVars") or []:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            yield str(item.get("key")), item["value"]


def _fly(project: Project) -> Iterator[StartCommand]:
    data = project.toml("fly.toml")
    if not data:
        return
    build: dict[str, Any] = data["build"] if isinstance(data.get("build"), dict) else {}
    found = stage_of(project, str(build.get("dockerfile", "Dockerfile")), build.get("build-target"))
    port = _fly_port(data)
    env = tuple((str(k), str(v)) for k, v in (data.get("env") or {}).items())
    processes: dict[str, Any] = data["processes"] if isinstance(data.get("processes"), dict) else {}
    commands = {k: v for k, v in processes.items() if isinstance(v, str)}
    experimental = data.get("experimental") or {}
    if not commands and isinstance(experimental.get("cmd"), list):
        commands = {"cmd": " ".join(map(str, experimental["cmd"]))}
    for name, command in commands.items():
        call = parse_shell(command)
        if call is None:
            continue
        line = project.line_of("fly.toml", rf"^\s*{re.escape(name)}\s*=")
        stage, context = found if found else (None, None)
        yield StartCommand(
            "fly.toml",
            project.loc("fly.toml", line),
            call,
            container=True,
            platform="fly",
            cwd=stage.workdir if stage else ".",
            stage=stage,
            context=context,
            env=(*(stage.env.items() if stage else ()), *env),
            internal_port=port,
        )
    if not commands and found is not None and port is not None:
        stage, context = found
        start = stage.start()
        call = parse_argv(start[0]) if start else None
        if call is not None and start is not None:
            yield StartCommand(
                "fly.toml",
                project.loc("fly.toml", project.line_of("fly.toml", "internal_port")),
                call,
                exec_form=start[1],
                container=True,
                platform="fly",
                cwd=stage.workdir,
                stage=stage,
                context=context,
                env=(*stage.env.items(), *env),
                internal_port=port,
            )


def _fly_port(data: dict[str, Any]) -> str | None:
    http = data.get("http_service")
    if isinstance(http, dict) and "internal_port" in http:
        return str(http["internal_port"])
    for service in data.get("services") or []:
        if isinstance(service, dict) and "internal_port" in service:
            return str(service["internal_port"])
    return None


def _railway(project: Project) -> Iterator[StartCommand]:
    for rel in ("railway.json", "railway.toml"):
        data = project.json(rel) if rel.endswith(".json") else project.toml(rel)
        if not isinstance(data, dict):
            continue
        deploy = data.get("deploy") or {}
        build = data.get("build") or {}
        command = deploy.get("startCommand") if isinstance(deploy, dict) else None
        if not isinstance(command, str):
            continue
        line = project.line_of(rel, "startCommand")
        docker = isinstance(build, dict) and str(build.get("builder", "")).upper() == "DOCKERFILE"
        if docker:
            # Railway runs a Dockerfile deploy's start command without a shell.
            found = stage_of(project, str(build.get("dockerfilePath") or "Dockerfile"))
            call = parse_argv(command.split())
            if found is not None and call is not None:
                stage, context = found
                yield StartCommand(
                    rel,
                    project.loc(rel, line),
                    call,
                    exec_form=True,
                    container=True,
                    platform="railway",
                    cwd=stage.workdir,
                    stage=stage,
                    context=context,
                    env=tuple(stage.env.items()),
                )
            continue
        call = parse_shell(command)
        if call is not None:
            yield StartCommand(rel, project.loc(rel, line), call, platform="railway")


def _app_yaml(project: Project) -> Iterator[StartCommand]:
    doc = project.yaml("app.yaml")
    if doc is None or not isinstance(doc.data, dict):
        return
    if not str(doc.data.get("runtime", "")).startswith("python3"):
        return
    entrypoint = doc.data.get("entrypoint")
    env = tuple((str(k), str(v)) for k, v in (doc.data.get("env_variables") or {}).items())
    if isinstance(entrypoint, str):
        call = parse_shell(entrypoint)
        line = doc.line("entrypoint")
    else:  # App Engine's documented default: a WSGI gunicorn serving main:app
        call, line = parse_shell("gunicorn -b :$PORT main:app"), doc.line("runtime")
    if call is not None:
        yield StartCommand(
            "app.yaml", project.loc("app.yaml", line), call, platform="appengine", env=env
        )


def gunicorn_conf(project: Project, rel: str = "gunicorn.conf.py") -> dict[str, tuple[Any, int]]:
    """Literal settings of a gunicorn config file (read with ast, never executed)."""
    text = project.text(rel)
    if text is None:
        return {}
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        project.unparsable(rel, exc.lineno or 1, "invalid Python")
        return {}
    settings: dict[str, tuple[Any, int]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    value: Any = ast.literal_eval(node.value)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    value = None  # computed at import time (os.environ[...]): unknown here
                settings[target.id] = (value, node.lineno)
    return settings


def _gunicorn_conf_source(project: Project) -> Iterator[StartCommand]:
    settings = gunicorn_conf(project)
    app, line = settings.get("wsgi_app", (None, 1))
    if isinstance(app, str):
        options: list[tuple[str, str | None]] = []
        worker, _ = settings.get("worker_class", (None, 1))
        if isinstance(worker, str):
            options.append(("-k", worker))
        call = ServerCall("gunicorn", app=app, options=tuple(options), words=("gunicorn",))
        yield StartCommand(
            "gunicorn.conf.py", project.loc("gunicorn.conf.py", line), call, production=False
        )


def _makefile(project: Project) -> Iterator[StartCommand]:
    for number, line in enumerate((project.text("Makefile") or "").splitlines(), start=1):
        if not line.startswith("\t"):
            continue
        call = parse_shell(line.strip().lstrip("@-"))
        if call is not None and call.server != "python":
            yield StartCommand("Makefile", project.loc("Makefile", number), call, production=False)


def _pyproject(project: Project) -> Iterator[StartCommand]:
    data = project.toml("pyproject.toml") or {}
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    entry = (tool.get("fastapi") or {}).get("entrypoint") if isinstance(tool, dict) else None
    if isinstance(entry, str):
        line = project.line_of("pyproject.toml", r"^\s*entrypoint\s*=")
        entry_call = ServerCall("fastapi", app=entry, subcommand="run", words=("fastapi", "run"))
        yield StartCommand(
            "pyproject.toml", project.loc("pyproject.toml", line), entry_call, production=False
        )
    tasks: dict[str, Any] = {}
    for table in (("poe", "tasks"), ("pdm", "scripts"), ("taskipy", "tasks")):
        section = tool.get(table[0], {}) if isinstance(tool, dict) else {}
        if isinstance(section, dict) and isinstance(section.get(table[1]), dict):
            tasks.update(section[table[1]])
    for name, task in tasks.items():
        command = task if isinstance(task, str) else (task or {}).get("cmd")
        if isinstance(command, str):
            call = parse_shell(command)
            if call is not None and call.server != "python":
                line = project.line_of("pyproject.toml", rf"^\s*{re.escape(name)}\s*=")
                yield StartCommand(
                    "pyproject.toml", project.loc("pyproject.toml", line), call, production=False
                )


def _code_runs(project: Project) -> Iterator[StartCommand]:
    """``uvicorn.run(...)`` in the project's code: dev starts, run as ``python file.py`` (the
    file's directory on ``sys.path``) or ``python -m pkg.mod`` (the root on ``sys.path``)."""
    from fastapi_medic.env.code_runs import uvicorn_runs

    for path in project.python_files():
        try:
            if "uvicorn.run" not in path.read_text(encoding="utf-8-sig", errors="replace"):
                continue
        except OSError:
            continue
        rel = project.rel(path)
        folder = project.rel(path.parent) if path.parent != project.root else "."
        for call, line in uvicorn_runs(path):
            if call.app is None:
                continue
            yield StartCommand(
                rel,
                project.loc(rel, line),
                call,
                production=False,
                env=(("PYTHONPATH", f"{folder}:src"),),
            )


def _scripts_started(project: Project, commands: list[StartCommand]) -> Iterator[StartCommand]:
    """``uvicorn.run(...)`` inside the scripts that production commands run with ``python``."""
    from fastapi_medic.env.code_runs import uvicorn_runs

    for command in commands:
        call = command.call
        if call.server != "python":
            continue
        rel = call.script or (call.module.replace(".", "/") + ".py" if call.module else None)
        if rel is None:
            continue
        local = command.local_path(rel, project.root)
        if not isinstance(local, Path) or not local.is_file():
            continue
        script_rel = project.rel(local)
        for run_call, line in uvicorn_runs(local):
            yield dataclasses.replace(
                command,
                source=script_rel,
                location=project.loc(script_rel, line),
                call=run_call,
                exec_form=False,
            )
