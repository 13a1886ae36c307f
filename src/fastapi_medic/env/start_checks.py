"""Findings about start commands: resolution, binding, port, reload, agreement."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from fastapi_medic.env import rules
from fastapi_medic.env._project import Project
from fastapi_medic.env.asgi import AppKind
from fastapi_medic.env.resolve import Resolution, Status, resolve
from fastapi_medic.env.sources import gunicorn_conf
from fastapi_medic.env.start import StartCommand
from fastapi_medic.findings import Finding, Frame, Severity

__all__ = ["check_start_commands", "factory_findings", "project_installed"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_DEFAULT_HOST = {
    "uvicorn": "127.0.0.1",
    "hypercorn": "127.0.0.1",
    "granian": "127.0.0.1",
    "daphne": "127.0.0.1",
}
_ASGI_WORKER = re.compile(r"uvicorn|asgi|UvicornWorker|uvicorn_worker", re.I)
_VAR = re.compile(r"\$\{?[A-Za-z_]")
_PORT_PLATFORMS = frozenset({"heroku", "appengine", "railway"})


def project_installed(project: Project) -> bool:
    """True when the project is a package its environments install (pyproject/setup.py)."""
    data = project.toml("pyproject.toml") or {}
    return "build-system" in data or project.exists("setup.py")


def check_start_commands(
    project: Project, commands: Sequence[StartCommand]
) -> tuple[list[Finding], dict[int, Resolution]]:
    """Findings for every start command, and each command's resolution (by index)."""
    findings: list[Finding] = []
    resolutions: dict[int, Resolution] = {}
    installed = project_installed(project)
    for index, given in enumerate(commands):
        command = _with_gunicorn_conf(project, given)
        resolution = resolve(command, project.root, installed)
        if resolution is not None:
            resolutions[index] = resolution
            findings.extend(_resolution_findings(project, command, resolution))
        if command.production:
            findings.extend(_binding_findings(command))
    findings.extend(_disagreement(commands, resolutions))
    return findings, resolutions


def _with_gunicorn_conf(project: Project, command: StartCommand) -> StartCommand:
    """A gunicorn command with the settings its config file adds (``-c`` or the default)."""
    call = command.call
    if call.server != "gunicorn":
        return command
    conf = command.local_path(call.option("-c", "--config") or "gunicorn.conf.py", project.root)
    if not isinstance(conf, Path) or not conf.is_file():
        return command
    settings = gunicorn_conf(project, project.rel(conf))
    extra: list[tuple[str, str | None]] = []
    for key, option in (("worker_class", "-k"), ("bind", "-b"), ("chdir", "--chdir")):
        value, _ = settings.get(key, (None, 0))
        if value is not None and call.option(option, "--" + key.replace("_", "-")) is None:
            extra.append((option, value if isinstance(value, str) else str(value)))
    if "bind" in settings and settings["bind"][0] is None:
        extra.append(("-b", "<computed>"))
    if settings.get("reload", (None, 0))[0] is True:
        extra.append(("--reload", None))
    app = call.app or settings.get("wsgi_app", (None, 0))[0]
    if not extra and app == call.app:
        return command
    import dataclasses

    new_call = dataclasses.replace(call, options=(*call.options, *extra), app=app)
    return dataclasses.replace(command, call=new_call)


def _where(command: StartCommand, resolution: Resolution) -> str:
    dirs = resolution.shown_dirs or (command.workdir,)
    return dirs[0] if len(dirs) == 1 else ", ".join(dirs)


def _resolution_findings(
    project: Project, command: StartCommand, resolution: Resolution
) -> Iterator[Finding]:
    call, loc = command.call, command.location
    if resolution.status is Status.BAD_FORMAT:
        yield rules.AppModuleUnresolvable.finding(
            f"{call.server} cannot read the app string {call.app!r}"[:79],
            location=loc,
            fix="Write the app as module:attribute, e.g. app.main:app.",
        )
        return
    if resolution.status is Status.MODULE_MISSING:
        where = _where(command, resolution)
        hint = _suggest(project, command, resolution)
        yield rules.AppModuleUnresolvable.finding(
            f"module {resolution.module!r} is not importable from {where}"[:79],
            location=loc,
            fix=(
                f"Use {hint}, its import path from {where}."
                if hint
                else f"Set the working directory (or --app-dir) to the one holding "
                f"{resolution.module}."
            ),
        )
        return
    if resolution.status is not Status.OK:
        return
    kind, target = resolution.kind, resolution.import_string
    if kind is AppKind.MISSING:
        yield rules.AppAttributeMissing.finding(
            f"{resolution.module} defines no {resolution.attr!r}"[:79],
            location=loc,
            fix=f"Point the command at the attribute that holds the app in {resolution.module}.",
        )
    elif kind is AppKind.NOT_CALLABLE:
        yield rules.AppObjectNotAsgi.finding(
            f"{target} is not an ASGI app (a constant)",
            location=loc,
            fix="Point the command at the FastAPI() instance.",
        )
    elif kind is AppKind.WSGI and call.server in ("uvicorn", "hypercorn", "fastapi", "daphne"):
        yield rules.AppObjectNotAsgi.finding(
            f"{target} is a WSGI app served by {call.server}",
            location=loc,
            fix="Serve it with a WSGI server, or wrap it for ASGI.",
        )
    elif kind is AppKind.FACTORY:
        yield from factory_findings(command, resolution)
    elif kind is AppKind.APP and call.server == "gunicorn":
        worker = call.option("-k", "--worker-class") or command.env_value("GUNICORN_WORKER_CLASS")
        if worker is None or not _ASGI_WORKER.search(worker):
            yield rules.WsgiServerForAsgiApp.finding(
                f"gunicorn serves ASGI app {target} with its WSGI worker"[:79],
                location=loc,
                fix="Add -k uvicorn_worker.UvicornWorker (pip install uvicorn-worker).",
            )


def factory_findings(command: StartCommand, resolution: Resolution) -> Iterator[Finding]:
    """The finding for an app factory served without the server's factory switch."""
    call, target = command.call, resolution.import_string
    if call.server == "fastapi":
        yield rules.AppFactoryWithoutFlag.finding(
            f"fastapi {call.subcommand or 'run'} cannot serve factory {target}"[:79],
            location=command.location,
            severity=Severity.ERROR,
            fix="Create the app at module level (app = create_app()) or use uvicorn --factory.",
        )
    elif call.words == ("uvicorn.run",) and not call.flag("--factory"):
        yield rules.AppFactoryWithoutFlag.finding(
            f"{target} is an app factory but factory=True is not passed"[:79],
            location=command.location,
            fix="Pass factory=True to uvicorn.run(...).",
        )
    elif call.server in ("uvicorn", "granian") and not call.flag("--factory"):
        yield rules.AppFactoryWithoutFlag.finding(
            f"{target} is an app factory but --factory is not given",
            location=command.location,
            fix="Add --factory to the command.",
        )
    elif call.server in ("gunicorn", "hypercorn") and not (call.app or "").endswith(")"):
        yield rules.AppFactoryWithoutFlag.finding(
            f"{target} is an app factory but is not called",
            location=command.location,
            fix=f"Write {target}() so {call.server} calls the factory.",
        )


def _suggest(project: Project, command: StartCommand, resolution: Resolution) -> str | None:
    """An import string that does resolve from the same directory, if one is obvious."""
    module = resolution.module or ""
    leaf = module.split(".")[-1]
    for base in resolution.search:
        matches = sorted(p for p in base.rglob(f"{leaf}.py") if ".venv" not in p.parts)[:2]
        if len(matches) == 1:
            rel = matches[0].relative_to(base).with_suffix("")
            return ".".join(rel.parts) + (f":{resolution.attr}" if resolution.attr else "")
    return None


def _host_port(command: StartCommand) -> tuple[str | None, str | None, bool]:
    """(host, port, host given explicitly) of a command."""
    call = command.call
    server = call.server
    host = port = None
    if server in ("gunicorn", "hypercorn", "daphne") or (server == "granian"):
        bind = call.option("-b", "--bind")
        if bind:
            from fastapi_medic.env.commands import split_bind

            host, port = split_bind(bind) if bind != "<computed>" else ("<computed>", None)
    host = call.option("--host") or host
    port = call.option("--port", "-p") or port
    if server == "uvicorn":
        host = host or command.env_value("UVICORN_HOST")
        port = port or command.env_value("UVICORN_PORT")
    explicit = host is not None
    if host is None:
        if server == "fastapi":
            host = "127.0.0.1" if call.subcommand == "dev" else "0.0.0.0"
        elif server == "gunicorn":
            # gunicorn binds 0.0.0.0:$PORT by itself when PORT is set (platforms set it).
            has_port = command.platform is not None or command.env_value("PORT")
            host = "0.0.0.0" if has_port else "127.0.0.1"
        else:
            host = _DEFAULT_HOST.get(server)
    return host, port, explicit


def _binding_findings(command: StartCommand) -> Iterator[Finding]:
    call, loc = command.call, command.location
    if call.server == "python":
        return
    host, port, explicit = _host_port(command)
    remote = command.container or command.platform is not None
    if remote and host in _LOOPBACK:
        where = "the container" if command.container else command.platform
        how = f"--host {host}" if explicit else f"{call.server}'s default host {host}"
        yield rules.ServerBoundToLoopback.finding(
            f"{how} is unreachable from outside {where}"[:79],
            location=loc,
            fix="Bind 0.0.0.0 (--host 0.0.0.0).",
        )
    if command.exec_form and not call.shell:
        for word in call.words:
            if _VAR.search(word):
                yield rules.PortVariableUnexpanded.finding(
                    f"exec form passes {word!r} to {call.server} unexpanded"[:79],
                    location=loc,
                    fix='Use a shell: ["sh", "-c", "exec uvicorn ... --port ${PORT:-8000}"].',
                )
                break
    yield from _port_findings(command, port)
    if call.flag("--reload") or call.subcommand == "dev":
        what = "fastapi dev" if call.subcommand == "dev" else "--reload"
        yield rules.ReloadInProduction.finding(
            f"{command.label} starts the server with {what}",
            location=loc,
            fix="Remove --reload (use fastapi run, not fastapi dev) in deployment files.",
        )


def _port_findings(command: StartCommand, port: str | None) -> Iterator[Finding]:
    call, loc = command.call, command.location
    reads_port = port is not None and "PORT" in port
    if command.platform in _PORT_PLATFORMS and not reads_port:
        if call.server == "fastapi" and port is None:
            return  # fastapi-cli reads $PORT itself
        if call.server == "gunicorn" and port is None:
            return  # gunicorn binds $PORT itself when it is set
        if port == "<computed>":
            return
        shown = port or "its default port"
        yield rules.PlatformPortIgnored.finding(
            f"{call.server} listens on {shown}, not on $PORT"[:79],
            location=loc,
            fix="Pass --port $PORT (the platform routes traffic to that port).",
        )
    elif (
        command.platform == "fly"
        and command.internal_port
        and port
        and port.isdigit()
        and port != command.internal_port
    ):
        yield rules.PlatformPortIgnored.finding(
            f"{call.server} listens on {port}; fly.toml routes to {command.internal_port}",
            location=loc,
            fix="Make internal_port and the server's --port the same.",
        )


def _same_app(a: Resolution, b: Resolution) -> bool:
    if a.import_string == b.import_string:
        return True
    return (
        a.file is not None
        and b.file is not None
        and (Path(a.file).resolve() == Path(b.file).resolve() and a.attr == b.attr)
    )


def _disagreement(
    commands: Sequence[StartCommand], resolutions: dict[int, Resolution]
) -> Iterator[Finding]:
    """Commands that start another app than most production commands do."""
    groups: list[list[tuple[StartCommand, Resolution]]] = []
    for index, command in enumerate(commands):
        resolution = resolutions.get(index)
        if not command.production or resolution is None or resolution.status is Status.UNKNOWN:
            continue
        for group in groups:
            if _same_app(resolution, group[0][1]):
                group.append((command, resolution))
                break
        else:
            groups.append([(command, resolution)])
    if len(groups) < 2:
        return
    majority = max(groups, key=len)
    others = " and ".join(dict.fromkeys(c.label for c, _ in majority))
    shown = majority[0][1].import_string
    for group in groups:
        if group is majority:
            continue
        for command, resolution in group:
            yield rules.EntrypointsDisagree.finding(
                f"{command.label} starts {resolution.import_string}; {others} start {shown}"[:79],
                location=command.location,
                fix="Start the same module:attribute in every deployment file.",
                chain=tuple(
                    Frame(r.import_string, c.location.path, c.location.line)
                    for c, r in (*majority, (command, resolution))
                ),
            )
