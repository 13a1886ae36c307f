"""What logging calls show, read from the syntax tree during the single walk.

The walk records these facts in the module summary; the secret and logging rules judge
them in the project phase. A *mention* is a short string:

- ``password``: a bare name (a local, a parameter, a global);
- ``attr:password``: the last attribute of a chain (``user.password``);
- ``key:authorization``: a constant subscript key (``headers["Authorization"]``);
- ``headers:request.headers``: the request's headers or cookies;
- ``payload:request.json``: the request's body, JSON or form;
- ``dump:payload``: an object dumped whole (``payload.model_dump()``);
- ``masked:token``: a key that a dict display overrides with a masked value
  (``{**data, "token": hash_token(token)}``);
- ``exc_info``: the call passes ``exc_info=``.
"""

from __future__ import annotations

import ast

from fastapi_medic.static.names import dotted

__all__ = [
    "LOG_CALLS",
    "builds_text",
    "derived_value",
    "digests",
    "hashes",
    "masks",
    "mentions",
    "read_key",
    "root_handler",
    "secret_reference",
]

LOG_CALLS = frozenset(
    {
        "debug",
        "info",
        "warning",
        "warn",
        "error",
        "exception",
        "critical",
        "fatal",
        "log",
        "adebug",
        "ainfo",
        "awarning",
        "aerror",
        "aexception",
        "acritical",
    }
)
_PAYLOAD_CALLS = frozenset({"body", "json", "form"})
_DUMPS = frozenset({"model_dump", "dict", "model_dump_json", "json"})

#: Parts of a function name whose result no longer shows the secret it was given.
_MASKING = (
    "hash",
    "mask",
    "redact",
    "obfuscat",
    "truncat",
    "censor",
    "anonymi",
    "abbreviat",
    "printable",
    "sanitiz",
    "scrub",
    "safe_",
    "digest",
    "fingerprint",
)
#: Builtins whose result shows at most a flag, a size or a type.
_SUMMARIES = frozenset({"bool", "len", "type", "isinstance", "id", "callable"})
#: Functions given the *name* of a secret to look it up (the name is not the secret).
_LOOKUP_PREFIXES = ("get", "read", "fetch", "load", "async_get", "async_read", "aget")


def masks(method: str) -> bool:
    """Calls whose result no longer shows the secret (a flag, a length, a digest)."""
    return method in _SUMMARIES or hashes(method)


def hashes(method: str) -> bool:
    """Calls that hash, mask or redact their argument (``hash_token``, ``mask_key``)."""
    lowered = method.lower()
    return any(part in lowered for part in _MASKING)


#: The unambiguous subset: a field given such a value holds a digest, not the secret.
_DIGESTS = ("hash", "mask", "redact", "digest", "fingerprint", "obfuscat", "anonymi")


def digests(method: str) -> bool:
    """Calls whose result is a digest or a masked copy (``hash_token``, ``redact_key``)."""
    lowered = method.lower()
    return any(part in lowered for part in _DIGESTS)


def _masking_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = dotted(node.func) or ""
    return masks(func.rpartition(".")[2])


_CONTAINERS = (
    ast.JoinedStr,
    ast.FormattedValue,
    ast.BinOp,
    ast.Await,
    ast.Tuple,
    ast.List,
    ast.Dict,
)


def builds_text(value: ast.expr) -> bool:
    """An f-string, ``%``/``+`` formatting, ``.format(...)`` or a dict: a message being built."""
    if isinstance(value, (ast.JoinedStr, ast.Dict)):
        return True
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mod, ast.Add)):
        return isinstance(value.left, (ast.Constant, ast.JoinedStr))
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "format"
    )


def _overridden(node: ast.Dict) -> list[str]:
    """``{**data, "token": hash_token(token)}``: the keys a spread dict gets masked values for."""
    if None not in node.keys:
        return []
    return [
        f"masked:{key.value}"
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and _masking_call(value)
    ]


def mentions(call: ast.Call) -> tuple[str, ...]:
    """What a logging call's arguments show (see the module docstring for the forms)."""
    found: list[str] = ["exc_info"] if any(k.arg == "exc_info" for k in call.keywords) else []
    pending: list[ast.AST] = [*call.args, *(k.value for k in call.keywords if k.arg != "exc_info")]
    while pending and len(found) < 32:
        node = pending.pop()
        if isinstance(node, ast.Name):
            found.append(node.id)
        elif isinstance(node, ast.Attribute):
            # the attribute shown is the last one: `token.expires_in` shows no token
            found.append(f"attr:{node.attr}")
            name = dotted(node)
            if name is not None and name.endswith(("request.headers", "request.cookies")):
                found.append(f"headers:{name}")
            if isinstance(node.value, (ast.Call, ast.Subscript)):
                pending.append(node.value)
        elif isinstance(node, ast.Call):
            func = dotted(node.func) or ""
            receiver, _, method = func.rpartition(".")
            if masks(method):
                continue  # bool(key), len(token), hash_token(token=...), mask(secret)
            if method in _PAYLOAD_CALLS and receiver.endswith("request"):
                found.append(f"payload:{func}")
            elif method in _DUMPS and receiver:
                found.append(f"dump:{receiver}")
            pending.extend(node.args)
            pending.extend(k.value for k in node.keywords)
            if isinstance(node.func, ast.Attribute) and isinstance(
                node.func.value, (ast.Call, ast.Subscript)
            ):
                pending.append(node.func.value)
        elif isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Slice):
                continue  # token[:8]: a deliberate prefix
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.append(f"key:{key.value.lower().replace('-', '_')}")
            elif not isinstance(node.value, ast.Name):
                pending.append(node.value)
        elif isinstance(node, _CONTAINERS):
            if isinstance(node, ast.Dict):
                found.extend(_overridden(node))
            pending.extend(ast.iter_child_nodes(node))
    return tuple(found)


def _sqlalchemy_url(node: ast.AST) -> bool:
    """``make_url(...)`` or ``<engine>.url``: SQLAlchemy 2 renders these with the password
    hidden (``URL.__repr__`` and so ``str()`` print ``***``)."""
    if isinstance(node, ast.Call):
        func = dotted(node.func) or ""
        return func.rpartition(".")[2] == "make_url"
    if isinstance(node, ast.Attribute) and node.attr == "url":
        owner = (dotted(node.value) or "").lower()
        return "engine" in owner or owner.endswith("bind")
    return False


def derived_value(value: ast.expr) -> bool:
    """A value that no longer shows a secret: a prefix (``key[:8] + "***"``), a masking call,
    a length, or a SQLAlchemy URL (printed with its password hidden)."""
    node: ast.AST = value
    if isinstance(node, ast.Call) and (dotted(node.func) or "") == "str" and len(node.args) == 1:
        node = node.args[0]  # str(engine.url)
    if _sqlalchemy_url(node) or _masking_call(node):
        return True
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Slice)
    if isinstance(node, ast.BinOp):
        sides = (node.left, node.right)
        plain = (ast.Constant, ast.BinOp, ast.JoinedStr)
        return any(derived_value(s) for s in sides) and all(
            derived_value(s) or isinstance(s, plain) for s in sides
        )
    if isinstance(node, ast.JoinedStr):
        shown = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        return bool(shown) and all(derived_value(v) for v in shown)
    return False


def read_key(value: ast.expr) -> str | None:
    """The constant key a value is read from: ``d["token"]`` or ``d.get("token")``."""
    key: ast.AST | None = None
    if isinstance(value, ast.Subscript):
        key = value.slice
    elif (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and value.args
    ):
        key = value.args[0]
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value.lower().replace("-", "_")
    return None


def secret_reference(callee: str, call: ast.Call) -> str | None:
    """The local name a secret lookup is given (``get_secret(name)``, ``os.getenv(name)``):
    that name holds where the secret is, not the secret."""
    method = callee.rpartition(".")[2]
    lowered = method.lower()
    lookup = method == "getenv" or callee.endswith("environ.get")
    lookup = lookup or ("secret" in lowered and lowered.startswith(_LOOKUP_PREFIXES))
    if not lookup or not call.args or not isinstance(call.args[0], ast.Name):
        return None
    return call.args[0].id


def _root_name(call: ast.Call) -> bool:
    """``getLogger()``, ``getLogger(None)``, ``getLogger("")`` or ``getLogger("root")``."""
    if call.keywords or len(call.args) > 1:
        return False
    if not call.args:
        return True
    arg = call.args[0]
    return isinstance(arg, ast.Constant) and arg.value in (None, "", "root")


def root_handler(call: ast.Call) -> tuple[str, str] | None:
    """For ``<receiver>.addHandler(...)``: ("getLogger", callee) when the receiver is a
    call that returns the root logger, ("ref", dotted name) otherwise (``logging.root``, or
    a name bound at module level, resolved later), None when it cannot be the root."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "addHandler":
        return None
    receiver = func.value
    if isinstance(receiver, ast.Call):
        name = dotted(receiver.func)
        if name is None or name.rpartition(".")[2] != "getLogger" or not _root_name(receiver):
            return None
        return "getLogger", name
    name = dotted(receiver)
    return ("ref", name) if name is not None else None
