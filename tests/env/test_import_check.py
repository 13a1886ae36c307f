"""``--import``: the app is imported for real, in a subprocess with a timeout."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from envcheck import findings, where

from fastapi_medic.env.importcheck import import_app

PROCFILE = "web: uvicorn main:{attr} --host 0.0.0.0 --port $PORT\n"


def _project(tmp_path: Path, main: str, attr: str = "app") -> Path:
    (tmp_path / "Procfile").write_text(PROCFILE.format(attr=attr))
    (tmp_path / "main.py").write_text(textwrap.dedent(main))
    return tmp_path


def test_no_finding_when_the_app_imports_cleanly(tmp_path: Path) -> None:
    project = _project(tmp_path, "from fastapi import FastAPI\n\napp = FastAPI()\n")

    assert [f for f in findings(project, "MED61", import_check=True) if f.code == "MED610"] == []
    assert findings(project, "MED60", import_check=True) == []


def test_missing_attribute_is_reported_when_only_the_import_shows_it(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """\
        import sys

        from fastapi import FastAPI

        setattr(sys.modules[__name__], "application", FastAPI())
        """,
    )

    assert findings(project, "MED602") == []  # the source alone cannot tell
    assert where(findings(project, "MED602", import_check=True)) == {("MED602", "Procfile", 1)}


def test_factory_is_reported_when_the_import_returns_a_function(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """\
        from fastapi import FastAPI


        def _builder():
            def build() -> FastAPI:
                return FastAPI()

            return build


        create_app = _builder()
        """,
        attr="create_app",
    )

    assert findings(project, "MED604") == []
    assert where(findings(project, "MED604", import_check=True)) == {("MED604", "Procfile", 1)}


def test_exception_at_import_is_reported_at_the_raising_line_without_secrets(
    tmp_path: Path,
) -> None:
    project = _project(
        tmp_path,
        """\
        from fastapi import FastAPI

        raise RuntimeError("cannot reach postgresql://admin:Hunter2Secret@db/shop")
        app = FastAPI()
        """,
    )

    (found,) = findings(project, "MED610", import_check=True)

    assert (found.location.path, found.location.line) == ("main.py", 3)  # type: ignore[union-attr]
    assert "RuntimeError" in found.message
    assert "Hunter2Secret" not in repr(found)


def test_hang_at_import_is_reported_after_the_timeout(tmp_path: Path) -> None:
    project = _project(tmp_path, "import time\n\ntime.sleep(60)\napp = None\n")

    (found,) = findings(project, "MED610", import_check=True, timeout=1.0)

    assert "hangs for more than 1s" in found.message
    assert found.location is not None
    assert found.location.path == "Procfile"


def test_missing_dependency_is_named_when_the_app_imports_it(tmp_path: Path) -> None:
    project = _project(tmp_path, "import jwt\nfrom fastapi import FastAPI\n\napp = FastAPI()\n")

    (found,) = findings(project, "MED610", import_check=True)

    assert "no module named 'jwt'" in found.message
    assert found.fix == "Install and declare PyJWT."
    assert (found.location.path, found.location.line) == ("main.py", 1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("module", "status"),
    [("main", "ok"), ("nomodule", "module-not-found")],
)
def test_probe_tells_the_target_module_from_a_dependency(
    tmp_path: Path, module: str, status: str
) -> None:
    (tmp_path / "main.py").write_text("app = lambda scope, receive, send: None\n")

    result = import_app(sys.executable, [tmp_path], module, "app", env={}, timeout=10.0)

    assert result["status"] == status
