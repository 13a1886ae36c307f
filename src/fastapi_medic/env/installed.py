"""What an interpreter has installed: its version, distributions and import names.

By default the interpreter running fastapi-medic; ``--python PATH`` asks another one, in a
subprocess that prints the same facts as JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi_medic.errors import UsageError

__all__ = ["Installed"]


@functools.lru_cache(maxsize=2)
def _current(path: tuple[str, ...]) -> Installed:
    from fastapi_medic.env._probe import probe

    del path  # only the cache key: a changed sys.path may show other distributions
    return Installed._from_probe(probe())


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


@dataclasses.dataclass(frozen=True)
class Installed:
    """The installed distributions of one interpreter.

    Attributes:
        python_version: ``3.12.4``.
        versions: canonical distribution name -> version.
        names: canonical name -> the name as the distribution spells it.
        modules: top-level import name -> distributions providing it.
        markers: the PEP 508 marker environment.
        stdlib: the standard library's top-level module names.
    """

    python_version: str
    versions: Mapping[str, str]
    names: Mapping[str, str]
    modules: Mapping[str, tuple[str, ...]]
    markers: Mapping[str, str]
    stdlib: frozenset[str]
    requires: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    executable: str = ""
    virtualenv: bool = False

    @classmethod
    def _from_probe(cls, data: dict[str, Any]) -> Installed:
        dists = data.get("dists") or {}
        assert isinstance(dists, dict)
        modules = data.get("modules") or {}
        assert isinstance(modules, dict)
        return cls(
            python_version=str(data["python"]),
            versions={_canonical(k): str(v) for k, v in dists.items()},
            names={_canonical(k): str(k) for k in dists},
            modules={str(k): tuple(_canonical(d) for d in v) for k, v in modules.items()},
            markers={str(k): str(v) for k, v in (data.get("markers") or {}).items()},
            stdlib=frozenset(str(m) for m in data.get("stdlib") or ()),
            requires={
                _canonical(k): tuple(map(str, v)) for k, v in (data.get("requires") or {}).items()
            },
            executable=str(data.get("executable", "")),
            virtualenv=bool(data.get("virtualenv")),
        )

    @classmethod
    def current(cls) -> Installed:
        """The interpreter running fastapi-medic (cached while ``sys.path`` is unchanged)."""
        return _current(tuple(sys.path))

    @classmethod
    def from_interpreter(cls, python: str, timeout: float = 60.0) -> Installed:
        """Another interpreter, asked in a subprocess.

        Raises:
            UsageError: the interpreter cannot be run or prints no answer.
        """
        try:
            done = subprocess.run(
                [python, "-I", str(Path(__file__).with_name("_probe.py"))],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            return cls._from_probe(json.loads(done.stdout))
        except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as exc:
            raise UsageError(
                f"--python {python}: cannot inspect it ({type(exc).__name__})"
            ) from exc

    def version(self, name: str) -> str | None:
        """The installed version of distribution ``name`` (any spelling), or None."""
        return self.versions.get(_canonical(name))

    def closure(self, roots: dict[str, tuple[str, ...]]) -> set[str]:
        """Canonical names reachable from ``roots`` (name -> extras) through installed
        metadata: what installing ``roots`` pulls in, as far as this machine can tell."""
        from packaging.markers import Marker
        from packaging.requirements import InvalidRequirement, Requirement

        seen: set[str] = set()
        queue = list(roots.items())
        while queue:
            name, extras = queue.pop()
            name = _canonical(name)
            if name in seen and not extras:
                continue
            seen.add(name)
            for text in self.requires.get(name, ()):
                try:
                    req = Requirement(text)
                except InvalidRequirement:
                    continue
                marker: Marker | None = req.marker
                if marker is not None:
                    env = dict(self.markers)
                    try:
                        if not any(marker.evaluate({**env, "extra": e}) for e in (*extras, "")):
                            continue
                    except Exception:  # an unknown marker variable: follow the edge
                        pass
                child = _canonical(req.name)
                if child not in seen:
                    queue.append((child, tuple(req.extras)))
        return seen

    def providers(self, module: str) -> tuple[str, ...]:
        """Canonical names of the installed distributions providing top-level ``module``."""
        return self.modules.get(module, ())
