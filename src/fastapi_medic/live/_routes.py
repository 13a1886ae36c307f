"""The app's HTTP routes, flattened, and which of them can be called without any input."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["RouteInfo", "list_routes", "simple_get_routes"]

_SKIPPED = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


@dataclasses.dataclass(frozen=True)
class RouteInfo:
    """One route: its methods, path template, endpoint name and whether it needs input."""

    methods: tuple[str, ...]
    path: str
    name: str
    needs_input: bool

    @property
    def subject(self) -> str:
        """``GET /items/{id}``, as findings name routes."""
        return f"{','.join(self.methods)} {self.path}"


def _iter_routes(app: Any) -> Iterator[Any]:
    routes = list(getattr(app, "routes", ()))
    try:  # FastAPI versions that keep included routers as a unit
        from fastapi.routing import iter_route_contexts
    except ImportError:
        yield from routes
    else:
        yield from iter_route_contexts(routes)


def _required(field: Any) -> bool:
    info = getattr(field, "field_info", None)
    is_required = getattr(info, "is_required", None)
    if callable(is_required):
        return bool(is_required())
    return bool(getattr(field, "required", False))


def _needs_input(dependant: Any) -> bool:
    if dependant is None:
        return False
    if getattr(dependant, "path_params", None):
        return True
    for kind in ("query_params", "header_params", "cookie_params", "body_params"):
        if any(_required(f) for f in getattr(dependant, kind, ()) or ()):
            return True
    return any(_needs_input(sub) for sub in getattr(dependant, "dependencies", ()) or ())


def list_routes(app: Any) -> list[RouteInfo]:
    """Every HTTP route of ``app`` with a path (documentation routes left out)."""
    out: list[RouteInfo] = []
    for route in _iter_routes(app):
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if not path or not methods or path in _SKIPPED:
            continue
        dependant = getattr(route, "dependant", None)
        needs = _needs_input(dependant) or bool(re.search(r"{[^}]+}", path))
        name = str(getattr(route, "name", "") or "")
        ordered = tuple(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in methods)
        out.append(RouteInfo(ordered or tuple(sorted(methods)), path, name, needs))
    return out


def simple_get_routes(app: Any) -> list[RouteInfo]:
    """The GET routes that need no path, query, header, cookie or body input."""
    return [r for r in list_routes(app) if "GET" in r.methods and not r.needs_input]
