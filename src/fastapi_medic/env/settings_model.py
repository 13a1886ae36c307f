"""The environment variables a pydantic-settings class expects, read with ast.

Names follow pydantic-settings: ``env_prefix`` + field name, or a string ``alias`` /
``validation_alias`` without the prefix; matching is case-insensitive by default.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from fastapi_medic.env.code_scan import EnvRead
from fastapi_medic.findings import Location

__all__ = ["settings_reads"]


def _is_settings(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
        if name == "BaseSettings":
            return True
    return False


def _prefix(node: ast.ClassDef) -> str:
    for stmt in node.body:
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
        ):
            value = stmt.value
        if isinstance(value, ast.Call):
            for keyword in value.keywords:
                if keyword.arg == "env_prefix" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                if (
                    isinstance(inner, ast.Assign)
                    and isinstance(inner.value, ast.Constant)
                    and any(getattr(t, "id", "") == "env_prefix" for t in inner.targets)
                ):
                    return str(inner.value.value)
    return ""


def _field(value: ast.expr | None) -> tuple[bool, str | None, str | None]:
    """(required, literal default, alias) of a field's assigned value."""
    if value is None:
        return True, None, None
    if (
        isinstance(value, ast.Call)
        and getattr(value.func, "id", getattr(value.func, "attr", "")) == "Field"
    ):
        alias = None
        required = True
        default = None
        for keyword in value.keywords:
            if keyword.arg in ("alias", "validation_alias") and isinstance(
                keyword.value, ast.Constant
            ):
                alias = str(keyword.value.value)
            if keyword.arg in ("default", "default_factory"):
                required = False
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    default = keyword.value.value
        if value.args:
            first = value.args[0]
            is_ellipsis = isinstance(first, ast.Constant) and first.value is Ellipsis
            required = is_ellipsis
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                default = first.value
        return required, default, alias
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return False, value.value, None
    return False, None, None


def settings_reads(node: ast.ClassDef, rel: str) -> Iterator[EnvRead]:
    """The variables a ``BaseSettings`` subclass reads (nothing for other classes)."""
    if not _is_settings(node):
        return
    prefix = _prefix(node)
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        name = stmt.target.id
        if name.startswith("_") or name == "model_config":
            continue
        required, default, alias = _field(stmt.value)
        env_name = alias if alias else f"{prefix}{name}"
        yield EnvRead(
            env_name.upper(), Location(rel, stmt.lineno, stmt.col_offset), required, default
        )
