"""A start command found in the project, with the context it runs in."""

from __future__ import annotations

import dataclasses
import posixpath
from pathlib import Path

from fastapi_medic.env.commands import ServerCall
from fastapi_medic.env.dockerfile import Stage
from fastapi_medic.findings import Location

__all__ = ["StartCommand"]


@dataclasses.dataclass(frozen=True)
class StartCommand:
    """One way the app is started, and where that is written.

    Attributes:
        source: the file kind (``Dockerfile``, ``Procfile``, ``render.yaml``, ...).
        location: the line that holds the command.
        call: the parsed command.
        exec_form: the words reach the server without a shell, so ``$VAR`` stays literal.
        production: the command starts the deployed app (not a Makefile or dev script).
        container: it runs inside a container image.
        platform: the hosting platform that runs it (``heroku``, ``render``, ``fly``, ...).
        cwd: the working directory: a container path when ``stage`` is set, else a path
            relative to the project root.
        stage: the Dockerfile stage the command runs in.
        context: the local directory the image is built from.
        env: variables the config sets for the process (Dockerfile ENV, compose, fly, ...).
        mounts: container path -> local directory bind-mounted there (compose volumes).
    """

    source: str
    location: Location
    call: ServerCall
    exec_form: bool = False
    production: bool = True
    container: bool = False
    platform: str | None = None
    cwd: str = "."
    stage: Stage | None = None
    context: Path | None = None
    env: tuple[tuple[str, str], ...] = ()
    mounts: tuple[tuple[str, Path], ...] = ()
    internal_port: str | None = None

    @property
    def label(self) -> str:
        """How the command's origin is named in messages: ``Dockerfile``, ``Procfile``, ..."""
        return self.source

    @property
    def workdir(self) -> str:
        """The directory the server starts in, after ``cd`` and ``--chdir``."""
        cwd = self.cwd
        if self.call.cd:
            cwd = posixpath.normpath(posixpath.join(cwd, self.call.cd))
        chdir = self.call.option("--chdir") if self.call.server == "gunicorn" else None
        if chdir:
            cwd = posixpath.normpath(posixpath.join(cwd, chdir))
        return cwd

    def env_value(self, name: str) -> str | None:
        """A variable set by the config or on the command line."""
        for key, value in (*self.env, *self.call.env):
            if key == name:
                return value
        return None

    def local_path(self, path: str, root: Path) -> Path | bool | None:
        """The local file or directory behind ``path`` (relative to the workdir, or absolute).

        Returns:
            an existing Path; ``False`` when the path is known to hold nothing from the
            project; ``None`` when it cannot be known (a base image or an external stage).
        """
        if self.stage is None and not self.mounts:
            local = root / self.workdir / path
            return local if local.exists() else False
        container = posixpath.normpath(posixpath.join(self.workdir, path))
        for mount, local_root in sorted(self.mounts, key=lambda m: -len(m[0])):
            if container == mount or container.startswith(mount.rstrip("/") + "/"):
                rest = container[len(mount.rstrip("/")) :].lstrip("/")
                found = local_root / rest if rest else local_root
                return found if found.exists() else False
        if self.stage is None or self.context is None:
            return None
        return self.stage.to_local(container, self.context)
