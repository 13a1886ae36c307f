"""The app is found like the ``fastapi`` command finds it, and imported in the child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_medic.errors import AppImportError, UsageError
from fastapi_medic.live.curl import parse_request
from fastapi_medic.live.loader import AppTarget, resolve_target
from fastapi_medic.live.repro import repro

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "module", "sub_root"),
    [
        ({"main.py": APP, "app.py": APP}, "main", ""),
        ({"api.py": APP}, "api", ""),
        ({"app/__init__.py": "", "app/main.py": APP}, "app.main", ""),
        ({"app/main.py": APP}, "main", "app"),
        ({"app/__init__.py": "", "app/api.py": APP}, "app.api", ""),
    ],
)
def test_finds_the_entry_module_in_the_fastapi_cli_order_when_no_app_is_given(
    tmp_path: Path, files: dict[str, str], module: str, sub_root: str
) -> None:
    root = _write(tmp_path, files)

    target = resolve_target(root)

    assert target == AppTarget((root / sub_root).resolve(), module)


def test_uses_the_pyproject_entrypoint_when_it_is_declared(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {"pyproject.toml": '[tool.fastapi]\nentrypoint = "svc.web:application"\n', "main.py": APP},
    )

    assert resolve_target(root) == AppTarget(root.resolve(), "svc.web", "application")


def test_reads_a_file_path_in_app_when_given_as_file_and_attribute(tmp_path: Path) -> None:
    root = _write(tmp_path, {"src/svc/__init__.py": "", "src/svc/web.py": APP})

    target = resolve_target(root, "src/svc/web.py:app")

    assert target == AppTarget((root / "src").resolve(), "svc.web", "app")


def test_raises_when_no_candidate_file_exists(tmp_path: Path) -> None:
    with pytest.raises(AppImportError, match=r"no app found in .*main\.py, app\.py"):
        resolve_target(tmp_path)


def test_raises_a_usage_error_when_app_has_no_module(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give it as module:attr"):
        resolve_target(tmp_path, ":app")


FACTORY = """\
from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def index() -> dict[str, str]:
        return {"made": "by factory"}

    return app
"""


@pytest.mark.parametrize("app", [None, "main:create_app"])
def test_calls_the_factory_when_the_module_holds_one(tmp_path: Path, app: str | None) -> None:
    root = _write(tmp_path, {"main.py": FACTORY})

    result = repro(root, parse_request("GET /"), app=app)

    assert result.app == "main:create_app()"
    assert result.exchange is not None
    assert result.exchange.body == '{"made": "by factory"}'


def test_raises_when_the_named_module_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(AppImportError, match=r"cannot import nowhere\.mod .*: no such module"):
        repro(tmp_path, parse_request("GET /"), app="nowhere.mod:app")


def test_reports_the_missing_import_when_the_module_imports_something_absent(
    tmp_path: Path,
) -> None:
    root = _write(tmp_path, {"main.py": "import not_installed_anywhere\n" + APP})

    with pytest.raises(AppImportError, match=r"ModuleNotFoundError: .*not_installed_anywhere"):
        repro(root, parse_request("GET /"))
