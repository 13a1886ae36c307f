"""YAML read the way deployment files need it: every scalar a string, every key with its line.

PyYAML's ``BaseLoader`` keeps ``3.10`` as the string ``"3.10"`` (``safe_load`` gives the
float ``3.1``) and ``no`` as ``"no"``; the composed node tree gives each key's line.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

__all__ = ["YamlDoc", "load_yaml"]

# YAML 1.1 floats a platform's loader turns into a number: `3.10` becomes 3.1.
_FLOAT = re.compile(r"^[-+]?(\d[\d_]*)?\.\d+([eE][-+]?\d+)?$")


@dataclasses.dataclass
class YamlDoc:
    """A YAML document: plain data, plus the line of every path and the plain floats.

    Attributes:
        data: the document, with every scalar a string.
        lines: 1-based line of each path (a tuple of keys and list indexes).
        plain_floats: paths whose value is an unquoted scalar that YAML 1.1 reads as a float.
    """

    data: Any
    lines: dict[tuple[str | int, ...], int]
    plain_floats: set[tuple[str | int, ...]]

    def line(self, *path: str | int, default: int = 1) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return default


def load_yaml(text: str) -> YamlDoc:
    """Parse the first document of ``text``.

    Raises:
        yaml.YAMLError: the text is not YAML.
    """
    node = yaml.compose(text, Loader=yaml.BaseLoader)
    doc = YamlDoc(data=None, lines={}, plain_floats=set())
    if node is not None:
        doc.data = _convert(node, (), doc, depth=0)
    return doc


def _convert(node: yaml.Node, path: tuple[str | int, ...], doc: YamlDoc, depth: int) -> Any:
    if depth > 50:  # anchors can build very deep trees; deployment files never need them
        return None
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            if key == "<<":
                continue
            child: tuple[str | int, ...] = (*path, key)
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, child, doc, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), doc, depth + 1) for i, item in enumerate(node.value)]
    style = getattr(node, "style", None)
    value = str(node.value)
    if style is None and value in ("", "~", "null", "Null", "NULL"):
        return None  # a YAML null, as opposed to the empty string ""
    if style is None and _FLOAT.match(value):
        doc.plain_floats.add(path)
    return value
