"""Lock files produced by the real tools (uv, pip-tools, poetry, pdm, pipenv; pylock by uv),
read without the tools: a lock matching this environment is clean, a drifted one is not.

The "drift" locks pin six 1.16.0 (not installed here) and idna 3.10 (3.20 is installed);
the "clean" locks pin click, PyYAML and packaging at the installed versions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from envcheck import LOCKS, findings

from fastapi_medic.env._project import Project
from fastapi_medic.env.locks import read_declarations

KINDS = ["uv", "pylock", "piptools", "poetry", "pdm", "pipenv"]


def _copy(kind: str, state: str, tmp_path: Path) -> Path:
    project = tmp_path / f"{kind}-{state}"
    shutil.copytree(LOCKS / f"{kind}-{state}", project)
    return project


@pytest.mark.parametrize("kind", KINDS)
def test_locked_packages_are_read_with_versions(kind: str) -> None:
    declared = read_declarations(Project(LOCKS / f"{kind}-drift", {}))

    pins = {p.name: p.spec for p in declared.reference}

    assert pins["six"] == "==1.16.0"
    assert pins["idna"] == "==3.10"
    assert pins["click"] == "==8.5.1"


@pytest.mark.parametrize("kind", KINDS)
def test_no_package_findings_when_lock_matches_environment(kind: str, tmp_path: Path) -> None:
    project = _copy(kind, "clean", tmp_path)

    assert findings(project, "MED63") == []


@pytest.mark.parametrize("kind", KINDS)
def test_missing_and_drifted_packages_when_lock_drifts(kind: str, tmp_path: Path) -> None:
    project = _copy(kind, "drift", tmp_path)

    found = {(f.code, f.message.split()[0]) for f in findings(project, "MED63")}

    assert ("MED630", "six==1.16.0") in found
    assert ("MED631", "idna") in found


def test_requirement_whose_marker_excludes_linux_is_not_reported_missing() -> None:
    from envcheck import PROJECTS

    found = findings(PROJECTS / "platform-only-pin", "MED630")

    # pywinpty carries `sys_platform == "win32"`: only the unmarked pywin32 is missing here.
    assert [f.message.split()[0] for f in found] == ["pywin32==306"]


def test_lock_findings_point_at_the_package_entry(tmp_path: Path) -> None:
    project = _copy("uv", "drift", tmp_path)
    text = (project / "uv.lock").read_text().splitlines()

    six = next(f for f in findings(project, "MED630"))
    assert six.location is not None
    assert text[six.location.line - 1] == 'name = "six"'


def test_requirements_with_hashes_includes_and_markers_are_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "-r base.txt\n-c constraints.txt\n-e ./localpkg\n"
        "six==1.16.0 "
        "--hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n"
        'pywinpty==2.0.13; sys_platform == "win32"\n'
    )
    (tmp_path / "base.txt").write_text("click==8.5.1\n")
    (tmp_path / "constraints.txt").write_text("idna<4\n")

    declared = read_declarations(Project(tmp_path, {}))

    pins = {p.name: (p.spec, p.marker, p.location.path, p.location.line) for p in declared.direct}
    assert pins == {
        "click": ("==8.5.1", None, "base.txt", 1),
        "six": ("==1.16.0", None, "requirements.txt", 4),
        "pywinpty": ("==2.0.13", 'sys_platform == "win32"', "requirements.txt", 5),
    }
