"""MED502 with the layers a project configures, and the default layers on nested layouts."""

from __future__ import annotations

from pathlib import Path

from checking import check, lines, write

LAYERED = {
    "src/shop/__init__.py": "",
    "src/shop/web/__init__.py": "",
    "src/shop/web/pages.py": "from shop.core.rules import LIMIT\n",
    "src/shop/core/__init__.py": "",
    "src/shop/core/rules.py": "from shop.web.pages import LIMIT as PAGE_LIMIT\nLIMIT = 3\n",
    "src/shop/core/other.py": "from shop.data import ROWS\n",
    "src/shop/data.py": "from shop.core.rules import LIMIT\nROWS = LIMIT\n",
}


def test_configured_layers_report_upward_imports_when_patterns_name_packages(
    project: Path,
) -> None:
    write(project, LAYERED)

    report = check(
        project,
        "MED502",
        layers=(("web", ("shop.web",)), ("core", ("shop/core",)), ("data", ("shop.data",))),
    )

    assert lines(report.findings, "MED502") == {
        ("MED502", "src/shop/core/rules.py", 1),
        ("MED502", "src/shop/data.py", 1),
    }


def test_default_layers_do_not_apply_when_no_folder_is_named_after_a_layer(
    project: Path,
) -> None:
    write(project, LAYERED)

    report = check(project, "MED502")

    assert lines(report.findings, "MED502") == set()


def test_layer_folders_in_different_packages_are_not_compared_when_not_siblings(
    project: Path,
) -> None:
    # airflow: `airflow/api_fastapi/core_api/services` uses `airflow/api/common`, a library
    # package named `api` two levels up, not the routers beside those services.
    write(
        project,
        {
            "pkg/__init__.py": "",
            "pkg/api/__init__.py": "",
            "pkg/api/common.py": "MARK = 1\n",
            "pkg/web/__init__.py": "",
            "pkg/web/core/__init__.py": "",
            "pkg/web/core/routes/__init__.py": "from pkg.web.core.services.runs import MARK\n",
            "pkg/web/core/services/__init__.py": "",
            "pkg/web/core/services/runs.py": "from pkg.api.common import MARK\n",
        },
    )

    report = check(project, "MED502")

    assert lines(report.findings, "MED502") == set()
