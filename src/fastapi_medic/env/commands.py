"""Start commands as the shell and the servers read them.

A command is split with :mod:`shlex`, wrappers are peeled (``sh -c``, ``exec``, ``cd X &&``,
``uv run``, ``poetry run``, ``python -m``, ``opentelemetry-instrument``, ...), and the
server's own options are read with the same flag tables the servers use.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from collections.abc import Sequence

__all__ = ["SERVERS", "ServerCall", "parse_argv", "parse_shell", "split_bind"]

SERVERS = frozenset({"uvicorn", "gunicorn", "fastapi", "hypercorn", "granian", "daphne"})

# Options that take no value; every other option takes the next word unless written `--x=v`.
_FLAGS: dict[str, frozenset[str]] = {
    "uvicorn": frozenset(
        [
            "--reload",
            "--factory",
            "--proxy-headers",
            "--no-proxy-headers",
            "--access-log",
            "--no-access-log",
            "--use-colors",
            "--no-use-colors",
            "--server-header",
            "--no-server-header",
            "--date-header",
            "--no-date-header",
            "--reset-contextvars",
            "--version",
            "--help",
        ]
    ),
    "gunicorn": frozenset(
        [
            "--reload",
            "--preload",
            "-D",
            "--daemon",
            "-R",
            "--enable-stdio-inheritance",
            "--capture-output",
            "--check-config",
            "--print-config",
            "--no-sendfile",
            "--reuse-port",
            "--strip-header-spaces",
            "--version",
            "-v",
            "--help",
            "--spew",
            "--paste",
        ]
    ),
    "fastapi": frozenset(
        ["--reload", "--no-reload", "--proxy-headers", "--no-proxy-headers", "--help", "--verbose"]
    ),
    "hypercorn": frozenset(["--reload", "--debug", "--help", "--version"]),
    "granian": frozenset(
        [
            "--reload",
            "--no-reload",
            "--factory",
            "--no-factory",
            "--no-ws",
            "--ws",
            "--log",
            "--no-log",
            "--access-log",
            "--no-access-log",
            "--help",
            "--version",
        ]
    ),
    "daphne": frozenset(["--proxy-headers", "--no-server-name", "--help", "-v"]),
}
_WRAPPERS = frozenset(
    {"exec", "nohup", "dumb-init", "tini", "ddtrace-run", "doppler", "infisical", "chamber"}
)
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye", "pixi"})
_RUNNER_VALUE_OPTIONS = frozenset(
    {
        "--with",
        "--env-file",
        "--python",
        "-p",
        "--project",
        "--directory",
        "--package",
        "--extra",
        "--group",
        "--only-group",
        "-e",
        "--env",
        "--index",
    }
)
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")


@dataclasses.dataclass(frozen=True)
class ServerCall:
    """What a start command runs, read from its words.

    Attributes:
        server: ``uvicorn``, ``gunicorn``, ``fastapi``, ``hypercorn``, ``granian``,
            ``daphne``, or ``python`` for ``python script.py`` / ``python -m module``.
        app: the import string (``module:attr``), or the path given to ``fastapi run``.
        options: each option with its value (``None`` for a flag), last one wins.
        cd: the directory changed to before the server starts (``cd X && ...``).
        env: variables assigned on the command line (``PORT=80 uvicorn ...``).
        script: for ``python path.py``, the path; module: for ``python -m pkg.mod``.
        words: the server's own words.
    """

    server: str
    app: str | None = None
    options: tuple[tuple[str, str | None], ...] = ()
    cd: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    script: str | None = None
    module: str | None = None
    subcommand: str | None = None
    words: tuple[str, ...] = ()
    shell: bool = False

    def option(self, *names: str) -> str | None:
        """The value of the last of ``names`` given (a flag gives ``""``), else None."""
        found: str | None = None
        for name, value in self.options:
            if name in names:
                found = "" if value is None else value
        return found

    def flag(self, *names: str) -> bool:
        """True when one of ``names`` was given."""
        return any(name in names for name, _ in self.options)

    @property
    def text(self) -> str:
        """The server's words joined back into one line."""
        return shlex.join(self.words)


def split_bind(bind: str) -> tuple[str | None, str | None]:
    """``0.0.0.0:80`` -> (host, port); ``[::]:80``; ``unix:/x`` -> (None, None)."""
    if bind.startswith(("unix:", "fd://")):
        return None, None
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        return host, rest.lstrip(":") or None
    if bind.count(":") == 1:
        host, port = bind.split(":")
        return host or None, port or None
    if bind.isdigit():
        return None, bind
    return bind or None, None


def parse_shell(text: str) -> ServerCall | None:
    """The server started by a shell command line (``cd app && exec uvicorn ...``)."""
    try:
        lexer = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return None
    cd: str | None = None
    segment: list[str] = []
    for token in [*tokens, ";"]:
        if token and set(token) <= set("&|;()\n"):
            if segment and segment[0] == "cd" and len(segment) > 1:
                cd = posixpath.normpath(posixpath.join(cd or ".", segment[1]))
            elif segment:
                call = parse_argv(segment)
                if call is not None:
                    return dataclasses.replace(call, cd=_join_cd(cd, call.cd), shell=True)
            segment = []
        else:
            segment.append(token)
    return None


def _join_cd(outer: str | None, inner: str | None) -> str | None:
    if outer is None:
        return inner
    if inner is None:
        return outer
    return posixpath.normpath(posixpath.join(outer, inner))


def parse_argv(argv: Sequence[str]) -> ServerCall | None:
    """The server started by a command given as a list of words (exec form)."""
    words = list(argv)
    env: list[tuple[str, str]] = []
    cd: str | None = None
    for _ in range(12):  # wrappers nest only a few deep; the bound keeps odd input finite
        while words and _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            env.append((name, value))
        if not words:
            return None
        head = posixpath.basename(words[0])
        if head in ("sh", "bash", "dash", "ash", "zsh") and "-c" in words[1:3]:
            index = words.index("-c")
            if index + 1 < len(words):
                inner = parse_shell(words[index + 1])
                return dataclasses.replace(inner, env=(*env, *inner.env)) if inner else None
            return None
        if head in _WRAPPERS or head == "env":
            words = _drop_options(words[1:], value_options=frozenset({"-u"}))
            if words and words[0] == "run":  # doppler run -- cmd
                words = _drop_options(words[1:], value_options=frozenset())
            continue
        if head in ("newrelic-admin",) and words[1:2] == ["run-program"]:
            words = words[2:]
            continue
        if head == "opentelemetry-instrument":
            words = _drop_options(words[1:], value_options=None)
            continue
        if head in ("gosu", "su-exec") and len(words) > 2:
            words = words[2:]
            continue
        if head in _RUNNERS and len(words) > 1 and words[1] == "run":
            rest = words[2:]
            for i, word in enumerate(rest[:-1]):
                if word == "--directory":
                    cd = rest[i + 1]
            words = _drop_options(rest, value_options=_RUNNER_VALUE_OPTIONS)
            continue
        if _PYTHON.match(head):
            rest = _drop_options(words[1:], value_options=frozenset({"-W", "-X"}), stop="-m")
            if rest[:1] == ["-m"] and len(rest) > 1:
                if rest[1] in SERVERS:
                    words = [rest[1], *rest[2:]]
                    continue
                return ServerCall(
                    "python", module=rest[1], env=tuple(env), cd=cd, words=tuple(words)
                )
            if rest and rest[0].endswith(".py"):
                return ServerCall(
                    "python", script=rest[0], env=tuple(env), cd=cd, words=tuple(words)
                )
            return None
        if head in SERVERS:
            call = _server(head, words[1:])
            return dataclasses.replace(call, env=tuple(env), cd=cd, words=tuple(words))
        return None
    return None


def _drop_options(
    words: list[str], *, value_options: frozenset[str] | None, stop: str | None = None
) -> list[str]:
    """Words after the leading options; ``value_options=None`` means every option has a value."""
    i = 0
    while i < len(words) and words[i].startswith("-") and words[i] != stop:
        word = words[i]
        i += 1
        if word == "--":
            break
        takes_value = value_options is None or word in value_options
        if takes_value and "=" not in word and i < len(words):
            i += 1
    return words[i:]


def _server(server: str, words: list[str]) -> ServerCall:
    flags = _FLAGS[server]
    subcommand: str | None = None
    if server == "fastapi" and words and words[0] in ("run", "dev"):
        subcommand, words = words[0], words[1:]
    options: list[tuple[str, str | None]] = []
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            positional.extend(words[i:])
            break
        if word.startswith("-") and len(word) > 1:
            if "=" in word and word.startswith("--"):
                name, _, value = word.partition("=")
                options.append((name, value))
            elif word in flags:
                options.append((word, None))
            elif len(word) > 2 and not word.startswith("--"):
                options.append((word[:2], word[2:]))  # -b0.0.0.0:80, -w4
            elif i < len(words):
                options.append((word, words[i]))
                i += 1
            else:
                options.append((word, None))
        else:
            positional.append(word)
    app = positional[0] if positional else None
    return ServerCall(server, app=app, options=tuple(options), subcommand=subcommand)
