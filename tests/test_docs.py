"""The documentation stays true: generated rule pages are current, examples are real output.

- ``scripts/gen_rule_docs.py --check`` fails when docs/rules/ or the README's rule list is stale.
- Every ```console block in README.md and docs/*.md that runs ``fastapi-medic`` (without a
  pipe) is run again; each line it shows must appear in the real output, in order (``...``
  marks trimmed lines).
- Relative links point at files that exist, and no page holds a path of one machine.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_medic.catalog import load_catalog

REPO = Path(__file__).resolve().parents[1]
GEN_RULE_DOCS = REPO / "scripts" / "gen_rule_docs.py"
NEW_RULE = REPO / "scripts" / "new_rule.py"
PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])

_CONSOLE_BLOCK = re.compile(r"^```console\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
# Lines that differ from run to run: the cache counter and the timing.
_VOLATILE = re.compile(r"^(cached|fixed): \d+$")


def _script(script: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def _copy_docs(target: Path) -> Path:
    shutil.copytree(REPO / "docs", target / "docs")
    shutil.copy(REPO / "README.md", target / "README.md")
    return target


class TestGeneratedRuleDocs:
    def test_rule_docs_are_current(self) -> None:
        done = _script(GEN_RULE_DOCS, "--check")

        assert done.returncode == 0, f"{done.stdout}{done.stderr}"

    def test_every_registered_rule_has_a_page_and_a_row(self) -> None:
        index = (REPO / "docs" / "rules" / "index.md").read_text(encoding="utf-8")
        for rule in load_catalog():
            page = REPO / "docs" / "rules" / f"{rule.code}.md"
            assert page.read_text(encoding="utf-8").splitlines()[2] == f"# {rule.code} {rule.name}"
            assert f"| [{rule.code}]({rule.code}.md) | `{rule.name}`" in index

    def test_check_fails_on_an_edited_page(self, tmp_path: Path) -> None:
        root = _copy_docs(tmp_path)
        page = root / "docs" / "rules" / f"{load_catalog()[0].code}.md"
        page.write_text(page.read_text(encoding="utf-8") + "\nEdited by hand.\n", encoding="utf-8")

        done = _script(GEN_RULE_DOCS, "--check", "--root", root)

        assert done.returncode == 1
        assert f"stale: docs/rules/{page.name}" in done.stdout

    def test_check_fails_on_a_missing_and_an_unknown_page(self, tmp_path: Path) -> None:
        root = _copy_docs(tmp_path)
        (root / "docs" / "rules" / "index.md").unlink()
        (root / "docs" / "rules" / "MED998.md").write_text("# MED998\n", encoding="utf-8")

        done = _script(GEN_RULE_DOCS, "--check", "--root", root)

        assert done.returncode == 1
        assert "missing: docs/rules/index.md" in done.stdout
        assert "no such rule: docs/rules/MED998.md" in done.stdout

    def test_check_fails_on_a_stale_readme_rule_list(self, tmp_path: Path) -> None:
        root = _copy_docs(tmp_path)
        readme = root / "README.md"
        text = readme.read_text(encoding="utf-8")
        readme.write_text(text.replace("): MED1", "): MED0", 1), encoding="utf-8")

        done = _script(GEN_RULE_DOCS, "--check", "--root", root)

        assert done.returncode == 1
        assert "stale: README.md" in done.stdout

    def test_writing_makes_stale_docs_current(self, tmp_path: Path) -> None:
        root = _copy_docs(tmp_path)
        (root / "docs" / "rules" / "index.md").write_text("old\n", encoding="utf-8")

        assert _script(GEN_RULE_DOCS, "--root", root).returncode == 0
        assert _script(GEN_RULE_DOCS, "--check", "--root", root).returncode == 0
        assert (root / "docs" / "rules" / "index.md").read_text(encoding="utf-8") == (
            REPO / "docs" / "rules" / "index.md"
        ).read_text(encoding="utf-8")


class TestNewRuleScaffold:
    @staticmethod
    def _tree(tmp_path: Path) -> Path:
        rules = Path("src") / "fastapi_medic" / "static" / "rules"
        shutil.copytree(REPO / rules, tmp_path / rules)
        return tmp_path

    def test_writes_a_preview_rule_class_and_its_fixture(self, tmp_path: Path) -> None:
        root = self._tree(tmp_path)
        family = root / "src" / "fastapi_medic" / "static" / "rules" / "tool.py"

        done = _script(NEW_RULE, "MED998", "config-typo", "--family", "tool", "--root", root)

        assert done.returncode == 0, done.stderr
        text = family.read_text(encoding="utf-8")
        compile(text, str(family), "exec")
        assert "class ConfigTypo(StaticRule):" in text
        assert 'code = "MED998"' in text
        assert "preview = True" in text
        assert '"ConfigTypo"' in text  # added to __all__
        for heading in ("## What it does", "## Why it matters", "## Example", "Use instead:"):
            assert heading in text
        fixture = root / "tests" / "static" / "fixtures" / "MED998.py"
        assert "`# expect: MED998`" in fixture.read_text(encoding="utf-8")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["MED101", "other-name", "--family", "blocking"], "MED101 is already"),
            (["MED998", "dangling-task", "--family", "tool"], "'dangling-task' is already"),
            (["MED198", "x-y", "--family", "tool"], "belongs to MED1xx"),
            (["MED998", "x-y", "--family", "missing"], "missing.py does not exist"),
            (["MED99", "x-y", "--family", "tool"], "is not MED and three digits"),
            (["MED998", "no-typo", "--family", "tool"], "is not a kebab-case name"),
        ],
    )
    def test_refuses_codes_names_and_families_it_cannot_use(
        self, tmp_path: Path, args: list[str], message: str
    ) -> None:
        root = self._tree(tmp_path)
        before = {p: p.read_text(encoding="utf-8") for p in root.rglob("*.py")}

        done = _script(NEW_RULE, *args, "--root", root)

        assert done.returncode == 2
        assert message in done.stderr
        assert {p: p.read_text(encoding="utf-8") for p in root.rglob("*.py")} == before

    def test_refuses_a_code_it_already_scaffolded(self, tmp_path: Path) -> None:
        root = self._tree(tmp_path)
        args = ("MED998", "config-typo", "--family", "tool", "--root", root)
        assert _script(NEW_RULE, *args).returncode == 0

        done = _script(NEW_RULE, *args)

        assert done.returncode == 2
        assert "MED998 is already written in" in done.stderr


def _console_examples() -> list[tuple[str, str, list[str]]]:
    examples = []
    for page in PAGES:
        for block in _CONSOLE_BLOCK.finditer(page.read_text(encoding="utf-8")):
            lines = block.group("body").splitlines()
            command = lines[0].removeprefix("$ ")
            if not lines[0].startswith("$ fastapi-medic ") or "|" in command:
                continue
            examples.append((page.relative_to(REPO).as_posix(), command, lines[1:]))
    return examples


@pytest.mark.parametrize(
    ("page", "command", "shown"), _console_examples(), ids=lambda v: str(v)[:60]
)
def test_console_example_is_real_output(page: str, command: str, shown: list[str]) -> None:
    args = shlex.split(command)[1:]
    if args and args[0] in {"check", "routes"}:
        args.insert(1, "--no-cache")
    done = subprocess.run(
        [sys.executable, "-m", "fastapi_medic", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    real = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
    expected = [line.rstrip() for line in shown if line.strip() != "..."]
    remaining = iter(line for line in real if not _VOLATILE.match(line))
    missing = [line for line in expected if not _VOLATILE.match(line) and line not in remaining]
    assert not missing, f"{page}: `{command}` no longer prints, in this order:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_point_at_existing_files(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for match in _LINK.finditer(text):
        target = match.group("target").split("#", 1)[0]
        if not target or re.match(r"^[a-z]+:", target):
            continue
        if not (page.parent / target).exists():
            broken.append(match.group("target"))
    assert not broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_page_holds_a_machine_path(page: Path) -> None:
    text = page.read_text(encoding="utf-8")

    assert not re.search(r"(?<![\w.])/(home|root|tmp|work|Users|var)/", text)
