"""MED406: secrets and whole payloads written to the logs."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi_medic.findings import Cause, Finding, Location, Severity
from fastapi_medic.static.context import ProjectContext
from fastapi_medic.static.model import FunctionInfo
from fastapi_medic.static.project import Project
from fastapi_medic.static.walker import StaticRule

__all__ = ["SecretInLog", "secret_name"]


_DATABASES = frozenset(
    {"database", "db", "postgres", "postgresql", "mysql", "redis", "sqlalchemy", "mongo", "amqp"}
)
_SECRET_PARTS = frozenset(
    {"password", "passwd", "pwd", "secret", "apikey", "authorization", "cookie", "credentials"}
)
_SECRET_TAILS = frozenset({"token", "key"})  # access_token, api_key, private_key; not tokens
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("secret", "key")})
#: Parts that make the identifier about a secret, not the secret (secret_name, token_count).
_NOT_SECRET = frozenset(
    {
        "hash",
        "hashed",
        "length",
        "len",
        "count",
        "reset",
        "policy",
        "min",
        "max",
        "name",
        "names",
        "path",
        "endpoint",
        "url",
        "uri",
        "manager",
        "id",
        "ids",
        "type",
        "arn",
        "file",
        "prefix",
        "field",
        "env",
        "var",
        "expiry",
        "expires",
        "ttl",
        "valid",
        "is",
        "has",
        "header",
        "headers",
        "mode",
        "source",
        "provider",
    }
)


def secret_name(name: str) -> bool:
    """True when an identifier names a secret value (``password``, ``access_token``,
    ``api_key``), and not a derived or harmless one (``password_hash``, ``max_tokens``)."""
    parts = [p for p in name.lower().replace("-", "_").split("_") if p]
    if not parts:
        return False
    if parts[-1] in ("url", "uri", "dsn") and _DATABASES.intersection(parts[:-1]):
        return True  # database_url, SQLALCHEMY_DATABASE_URI: they carry the password
    if _NOT_SECRET.intersection(parts):
        return False
    if _SECRET_PARTS.intersection(parts):
        return True
    if parts[-1] == "token" or parts == ["key"]:
        return len(parts) > 1 or parts == ["token"]
    return len(parts) >= 2 and (parts[-2], parts[-1]) in _SECRET_PAIRS


class SecretInLog(StaticRule):
    """A password, token, key or whole request payload passed to a logger or `print`.

    ## What it does
    Checks for logging calls (`logger.info(...)`, `logging.warning(...)`, ...) and `print`
    whose arguments show a secret: a variable or attribute named like one (`password`,
    `access_token`, `api_key`, `client_secret`, `authorization`, `cookie`, a database URL
    such as `database_url`, which carries the password), a header looked
    up by such a name, the request's headers, cookies or body (`await request.json()`), or
    a Pydantic model dumped with `.model_dump()` / `.dict()` whose class has such a field.
    F-strings, `%` arguments and `extra=` are all read, and so is a message built earlier in
    the same function (`msg = f"... {token}"; logger.info(msg)`). Derived values are not
    secrets: names such as `password_hash`, `max_tokens` or `token_count`; values passed
    through a hashing or masking call, `len()` or `bool()`; a local reassigned to a prefix
    (`key[:8] + "***"`); a SQLAlchemy 2 URL rendered with `str()` (its password is hidden);
    and the name given to a secret lookup (`get_secret(name)`, `os.getenv(name)`).

    ## Why it matters
    Logs are copied to aggregators, tickets, chat and laptops, and kept for months: a
    credential written there is leaked to everyone who can read them, and rotating it is
    the only remedy. Log an identifier (the user id, the key's last four characters)
    instead of the value.

    ## Example
    ```python
    import logging

    from fastapi import FastAPI
    from pydantic import BaseModel

    logger = logging.getLogger(__name__)
    app = FastAPI()


    class Login(BaseModel):
        email: str
        password: str


    @app.post("/login")
    def login(payload: Login):
        logger.info(f"login attempt {payload.email} {payload.password}")
        return {"ok": True}
    ```

    Use instead:
    ```python
    import logging

    from fastapi import FastAPI
    from pydantic import BaseModel

    logger = logging.getLogger(__name__)
    app = FastAPI()


    class Login(BaseModel):
        email: str
        password: str


    @app.post("/login")
    def login(payload: Login):
        logger.info("login attempt for %s", payload.email)
        return {"ok": True}
    ```

    ## Known problems
    A project that fills a field with hashes (`Key(token=hash_token(raw))`) is taken to
    keep hashes under that name everywhere: attributes, model fields and dictionary keys
    called `token` are then not reported. Names with `password` or `secret` are exempt from
    this, since a raw request field and a hashed column often share them.
    """

    code = "MED406"
    name = "secret-in-log"
    severity = Severity.ERROR
    cause = Cause.SECRETS
    tags = frozenset({"logging", "security"})
    project_wide = True

    def check_project(self, project: Project, ctx: ProjectContext) -> Iterable[Finding]:
        """Report log and print calls whose arguments carry a secret or a whole payload."""
        model = ctx.project
        hashed = _hashed_fields(model)
        for rel, summary in model.modules.items():
            flows: dict[tuple[str, str], tuple[str, ...]] = {
                (where, name): shown for where, name, shown in summary.text_flows
            }
            derived = set(summary.derived_locals)
            derived.update(
                (where, name)
                for where, name, key in summary.key_locals
                if _hashed_here(key, hashed)
            )
            for where, callee, line, column, direct in summary.log_calls:
                fn = summary.functions.get(where) if where else None
                if not self._is_log_call(model, rel, fn, callee):
                    continue
                masked = {m[7:] for m in direct if m.startswith("masked:")}
                mentions = [m for m in direct if (where or "", m) not in derived]
                if where is not None:  # one step of data flow: a message built earlier
                    built = (s for m in mentions for s in flows.get((where, m), ()))
                    mentions += [s for s in built if s not in masked and (where, s) not in derived]
                what = self._secret(model, rel, fn, mentions, hashed)
                if what is None:
                    continue
                yield self.finding(
                    f"{what} written to the log",
                    location=Location(rel, line, column),
                    fix="Log an identifier instead of the value, or mask it",
                    subject=ctx.route_label(rel, fn) if fn is not None else None,
                )

    @staticmethod
    def _is_log_call(model: Project, rel: str, fn: FunctionInfo | None, callee: str) -> bool:
        if callee == "print":
            symbol = model.resolve(rel, fn, callee)
            return symbol is not None and symbol.external == "print"
        head = callee.split(".", 1)[0].lower()
        if "log" in head:  # logger.info, log.error, logging.warning, verbose_logger.debug
            return True
        symbol = model.resolve(rel, fn, callee)
        return symbol is not None and symbol.external.startswith(
            ("logging.", "structlog.", "loguru.")
        )

    @staticmethod
    def _secret(
        model: Project,
        rel: str,
        fn: FunctionInfo | None,
        mentions: list[str],
        hashed: frozenset[str],
    ) -> str | None:
        for mention in mentions:
            kind, _, rest = mention.partition(":")
            if not rest:
                if secret_name(mention):
                    return f"Secret `{mention}`"
            elif kind in ("attr", "key"):
                # a field the project fills with hashes (`Key(token=hash_token(raw))`)
                if secret_name(rest) and not _hashed_here(rest, hashed):
                    return f"Secret `{rest}`"
            elif kind == "payload":
                return f"Request payload `{rest}()`"
            elif kind == "headers":
                return f"Request `{rest.rpartition('.')[2]}`"
            elif kind == "dump":
                symbol = model.resolve(rel, fn, rest)
                if symbol is None or symbol.kind != "class":
                    continue
                for _, info in model.mro(symbol.rel, symbol.qualname):
                    fields = [
                        f for f in info.attr_types if secret_name(f) and not _hashed_here(f, hashed)
                    ]
                    if fields:
                        return f"Model `{rest}` with field `{fields[0]}`"
        return None


def _hashed_fields(model: Project) -> frozenset[str]:
    """Field and key names the project assigns hashed or masked values to, anywhere."""
    return frozenset(name for summary in model.modules.values() for name in summary.hashed_fields)


#: Names whose hashed and raw forms usually share the spelling (a `password` request field
#: next to a `password` column holding its hash): the project's convention is not applied.
_RAW_BY_CONVENTION = ("password", "passwd", "pwd", "secret")


def _hashed_here(name: str, hashed: frozenset[str]) -> bool:
    """Whether the project stores hashes under ``name`` (``Key(token=hash_token(raw))``)."""
    return name in hashed and not any(part in name for part in _RAW_BY_CONVENTION)
