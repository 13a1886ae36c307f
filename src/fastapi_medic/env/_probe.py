"""Facts about the interpreter that runs this file: stdlib only, so any Python can run it.

``python _probe.py`` prints them as one JSON document (how ``--python`` inspects another
interpreter); :func:`probe` returns them in-process.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from typing import Any


def probe() -> dict[str, Any]:
    """Python version, distributions, import names, marker environment, stdlib names."""
    dists: dict[str, str] = {}
    requires: dict[str, list[str]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in dists:
            dists[name] = dist.version
            requires[name] = list(dist.requires or ())
    try:
        modules = {k: sorted(set(v)) for k, v in metadata.packages_distributions().items()}
    except Exception:  # a broken distribution's metadata must not stop the check
        modules = {}
    markers = {
        "implementation_name": sys.implementation.name,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }
    return {
        "python": platform.python_version(),
        "dists": dists,
        "requires": requires,
        "modules": modules,
        "markers": markers,
        "stdlib": sorted(getattr(sys, "stdlib_module_names", ())),
        "executable": sys.executable,
        "virtualenv": sys.prefix != sys.base_prefix,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(probe()))
