"""MED505: the project's import-linter contracts, read from each file import-linter reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from checking import check, lines, write

from fastapi_medic.static.contracts import matches, read_contracts

MODULES = {
    "src/shop/__init__.py": "",
    "src/shop/web/__init__.py": "",
    "src/shop/web/pages.py": "LIMIT = 3\n",
    "src/shop/core/__init__.py": "",
    "src/shop/core/rules.py": "from shop.web.pages import LIMIT\n",
}

INI_LAYERS = """\
    [importlinter]
    root_packages =
        shop

    [importlinter:contract:layers]
    name = Web above core
    type = layers
    layers =
        shop.web
        (shop.api)
        shop.core
"""


def _run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastapi_medic", "check", "--no-cache", *args, str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )


def test_upward_import_is_reported_when_an_ini_layers_contract_forbids_it(project: Path) -> None:
    write(project, {**MODULES, ".importlinter": INI_LAYERS})

    report = check(project, "MED505")

    assert lines(report.findings, "MED505") == {("MED505", "src/shop/core/rules.py", 1)}


def test_contract_in_setup_cfg_is_read_when_it_has_an_importlinter_section(
    project: Path,
) -> None:
    setup_cfg = "[metadata]\nname = shop\n\n" + textwrap.dedent(INI_LAYERS)
    write(project, {**MODULES, "setup.cfg": setup_cfg})

    report = check(project, "MED505")

    assert lines(report.findings, "MED505") == {("MED505", "src/shop/core/rules.py", 1)}


def test_pyproject_contract_with_containers_is_read_when_it_is_a_toml_table(
    project: Path,
) -> None:
    pyproject = """\
        [tool.importlinter]
        root_package = "shop"

        [[tool.importlinter.contracts]]
        name = "Layers inside shop"
        type = "layers"
        containers = ["shop"]
        layers = ["web", "core"]
    """
    write(project, {**MODULES, "pyproject.toml": pyproject})

    report = check(project, "MED505")

    assert lines(report.findings, "MED505") == {("MED505", "src/shop/core/rules.py", 1)}


def test_module_named_by_a_contract_is_reported_when_it_does_not_exist(project: Path) -> None:
    ini = INI_LAYERS.replace("shop.core\n", "shop.domain\n")
    write(project, {**MODULES, ".importlinter": ini})

    report = check(project, "MED505")

    findings = [f for f in report.findings if f.code == "MED505"]
    assert [(f.location.path, f.location.line) for f in findings if f.location] == [
        (".importlinter", 5)
    ]
    assert findings[0].message == "Contract `layers` names shop.domain, which does not exist"


def test_nothing_is_reported_when_the_project_has_no_contract(project: Path) -> None:
    write(project, MODULES)

    report = check(project, "MED505")

    assert lines(report.findings, "MED505") == set()


def test_unreadable_contract_file_gives_no_finding_when_it_does_not_parse(
    project: Path,
) -> None:
    write(project, {**MODULES, ".importlinter": "[importlinter\nroot_package = shop\n"})

    report = check(project, "MED505")

    assert [f for f in report.findings if f.code == "MED505"] == []


def test_wildcards_match_one_component_or_many_when_written_as_star_or_double_star() -> None:
    assert matches("shop.*.api", "shop.orders.api")
    assert not matches("shop.*.api", "shop.orders.v1.api")
    assert matches("shop.**.api", "shop.orders.v1.api")
    assert matches("shop.web", "shop.web.pages")
    assert not matches("shop.web", "shop.web.pages", descendants=False)
    assert not matches("shop.web", "shop.webhooks")


def test_contracts_of_unknown_types_are_left_out_when_read(project: Path) -> None:
    write(
        project,
        {
            ".importlinter": """\
                [importlinter]
                root_package = shop

                [importlinter:contract:one]
                name = Acyclic
                type = acyclic_siblings
                ancestors = shop
            """
        },
    )

    assert read_contracts(project) == []


def test_cli_reports_a_broken_contract_with_exit_1_when_selected(project: Path) -> None:
    write(project, {**MODULES, ".importlinter": INI_LAYERS})

    result = _run_cli(project, "--select", "MED505")

    assert result.returncode == 1, result.stderr
    assert "src/shop/core/rules.py" in result.stdout
    assert "MED505" in result.stdout


def test_cli_does_not_run_the_preview_rule_when_it_is_not_selected(project: Path) -> None:
    write(project, {**MODULES, ".importlinter": INI_LAYERS})

    result = _run_cli(project, "--select", "MED5")

    assert "MED505" not in result.stdout
