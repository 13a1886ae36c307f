"""Start-up and shutdown code: lifespan handlers and startup/shutdown event handlers."""

from __future__ import annotations

from fastapi_medic.static.fastapi_model import AppModel
from fastapi_medic.static.model import CallRef, Ref, SimpleValue
from fastapi_medic.static.project import Project

__all__ = ["lifespan_functions"]


def _refs(value: SimpleValue) -> list[str]:
    if isinstance(value, Ref):
        return [value.dotted]
    if isinstance(value, tuple):
        return [v.dotted for v in value if isinstance(v, Ref)]
    return []


def lifespan_functions(project: Project, app: AppModel) -> frozenset[tuple[str, str]]:
    """(module, qualname) of every lifespan function and startup/shutdown handler."""
    found: set[tuple[str, str]] = set()

    def add(rel: str, where: str | None, dotted: str) -> None:
        fn = project.modules[rel].functions.get(where) if where else None
        symbol = project.resolve(rel, fn, dotted)
        if symbol is not None and symbol.kind == "function":
            found.add((symbol.rel, symbol.qualname))

    for (rel, name), obj in app.objects.items():
        call = project.modules[rel].assigned_calls.get(name)
        if not obj.is_app or call is None:
            continue
        where = name.rpartition(":")[0] or None
        for key in ("lifespan", "on_startup", "on_shutdown"):
            for dotted in _refs(call.kwarg(key)):
                add(rel, where, dotted)
    for rel, summary in project.modules.items():
        for fn in summary.functions.values():
            for decorator in fn.decorators:
                value = decorator.value
                if isinstance(value, CallRef) and value.func.endswith("on_event"):
                    found.add((rel, fn.qualname))
        for callee, call, where in summary.wiring:
            if callee.endswith("add_event_handler") and len(call.args) > 1:
                for dotted in _refs(call.args[1]):
                    add(rel, where, dotted)
    return frozenset(found)
