"""Dotted names of expressions: the one spelling every part of the analyser uses."""

from __future__ import annotations

import ast

__all__ = ["dotted"]


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes; ``f().x`` when a link is a call.

    Iterative, and None for chains longer than any real code writes.
    """
    parts: list[str] = []
    calls = 0
    while len(parts) < _MAX_CHAIN:
        kind = type(node)
        if kind is ast.Attribute:
            parts.append(node.attr + "()" * calls)  # type: ignore[attr-defined]
            calls = 0
            node = node.value  # type: ignore[attr-defined]
        elif kind is ast.Name:
            parts.append(node.id + "()" * calls)  # type: ignore[attr-defined]
            parts.reverse()
            return ".".join(parts)
        elif kind is ast.Call:
            calls += 1
            node = node.func  # type: ignore[attr-defined]
        else:
            return None
    return None


_MAX_CHAIN = 64
