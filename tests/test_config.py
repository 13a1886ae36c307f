"""Reading ``[tool.fastapi-medic]``: finding the file, every key, every error, overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fastapi_medic.config import Config, find_config, load_config
from fastapi_medic.errors import ConfigError
from fastapi_medic.findings import Severity

SEVERITIES = "info, warning, error, critical"
NOT_A_CODE = "which is not ALL, MED or MED and 1 to 3 digits"
VALID_KEYS = (
    "blocking, cache-dir, exclude, extend-exclude, extend-select, fail-level, ignore, layers, "
    "max-file-bytes, max-workers, per-file-ignores, respect-gitignore, select, severity"
)


def write(directory: Path, body: str, *, table: bool = True) -> Path:
    """Write a pyproject.toml in ``directory``, with our table header unless told not to."""
    directory.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(body)
    if table:
        text = "[tool.fastapi-medic]\n" + text
    path = directory / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root as the working directory, so messages name ``pyproject.toml``."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config_error(project: Path, body: str) -> str:
    write(project, body)
    with pytest.raises(ConfigError) as caught:
        load_config(project)
    return str(caught.value)


# --- finding the file ------------------------------------------------------------------------


def test_find_config_returns_none_when_no_pyproject_up_to_git_root(project: Path) -> None:
    (project / "src" / "app").mkdir(parents=True)
    assert find_config(project / "src" / "app") is None


def test_find_config_returns_nearest_file_with_table_when_nested(project: Path) -> None:
    outer = write(project, "")
    write(project / "pkg", '[project]\nname = "pkg"\n', table=False)
    start = project / "pkg" / "sub"
    start.mkdir()
    assert find_config(start) == outer


def test_find_config_prefers_inner_file_when_both_have_table(project: Path) -> None:
    write(project, "")
    inner = write(project / "pkg", "")
    assert find_config(project / "pkg") == inner


def test_find_config_starts_at_parent_when_start_is_file(project: Path) -> None:
    path = write(project, "")
    module = project / "main.py"
    module.write_text("x = 1\n", encoding="utf-8")
    assert find_config(module) == path


def test_find_config_stops_at_git_directory_when_config_is_above_it(tmp_path: Path) -> None:
    write(tmp_path, "")
    (tmp_path / ".git").mkdir()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert find_config(repo) is None


def test_find_config_reads_pyproject_when_it_sits_next_to_git(project: Path) -> None:
    path = write(project, "")
    (project / "src").mkdir()
    assert find_config(project / "src") == path


def test_find_config_stops_at_git_file_when_in_a_worktree(tmp_path: Path) -> None:
    write(tmp_path, "")
    (tmp_path / ".git").mkdir()
    worktree = tmp_path / "worktree"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: ../.git/worktrees/x\n", encoding="utf-8")
    assert find_config(worktree) is None


def test_find_config_ignores_pyproject_when_tool_is_not_a_table(project: Path) -> None:
    write(project, "tool = 3\n", table=False)
    assert find_config(project) is None


# --- defaults and every key ------------------------------------------------------------------


def test_defaults_apply_when_no_config_exists(project: Path) -> None:
    config = load_config(project)
    assert config == Config(root=project)
    assert config.select == ("ALL",)
    assert config.fail_level is Severity.WARNING
    assert config.cache_dir == ".fastapi-medic-cache"
    assert config.max_workers is None
    assert config.layers == ()


def test_root_is_directory_of_start_when_start_is_a_file_without_config(project: Path) -> None:
    module = project / "main.py"
    module.write_text("x = 1\n", encoding="utf-8")
    assert load_config(module).root == project


def test_root_is_pyproject_directory_when_started_below_it(project: Path) -> None:
    write(project, "")
    (project / "app").mkdir()
    assert load_config(project / "app").root == project


def test_root_is_absolute_when_start_is_relative(project: Path) -> None:
    write(project, "")
    (project / "app").mkdir()
    assert load_config(Path("app")).root == project


def test_defaults_apply_when_table_is_empty(project: Path) -> None:
    write(project, "")
    assert load_config(project) == Config(root=project)


def test_every_key_is_read_when_all_are_set(project: Path) -> None:
    write(
        project,
        """\
        select = ["MED1", "med2"]
        ignore = ["MED102"]
        extend-select = ["MED150"]
        exclude = ["build/"]
        extend-exclude = ["legacy/**"]
        respect-gitignore = false
        fail-level = "Error"
        max-file-bytes = 5000
        max-workers = 3
        cache-dir = ".cache/medic"

        [tool.fastapi-medic.per-file-ignores]
        "tests/**" = ["MED101", "MED2"]
        "*/migrations/*.py" = ["ALL"]

        [tool.fastapi-medic.severity]
        MED2 = "error"
        med101 = "info"

        [tool.fastapi-medic.blocking]
        extend = ["mylib.slow_call", "input"]
        remove = ["time.sleep"]

        [tool.fastapi-medic.layers]
        routers = ["app.routers", "app/api"]
        services = "app.services"
        """,
    )
    assert load_config(project) == Config(
        root=project,
        select=("MED1", "MED2", "MED150"),
        ignore=("MED102",),
        extend_select=("MED150",),
        per_file_ignores=(("tests/**", ("MED101", "MED2")), ("*/migrations/*.py", ("ALL",))),
        severity=(("MED2", Severity.ERROR), ("MED101", Severity.INFO)),
        exclude=("build/",),
        extend_exclude=("legacy/**",),
        respect_gitignore=False,
        fail_level=Severity.ERROR,
        max_file_bytes=5000,
        blocking_extend=("mylib.slow_call", "input"),
        blocking_remove=("time.sleep",),
        layers=(("routers", ("app.routers", "app/api")), ("services", ("app.services",))),
        max_workers=3,
        cache_dir=".cache/medic",
    )


def test_select_includes_extend_select_when_config_is_built_directly() -> None:
    config = Config(select=("MED1",), extend_select=("MED150", "MED1"))
    assert config.select == ("MED1", "MED150")
    assert config.extend_select == ("MED150", "MED1")


def test_blocking_is_read_when_written_as_inline_table(project: Path) -> None:
    write(project, 'blocking = { remove = ["requests.get"] }\n')
    config = load_config(project)
    assert config.blocking_remove == ("requests.get",)
    assert config.blocking_extend == ()


def test_layers_are_read_in_order_when_given_as_list(project: Path) -> None:
    write(
        project,
        """\
        layers = [
            "app.routers",
            { name = "services", modules = ["app.services", "app/domain"] },
            { name = "models", modules = "app.models" },
        ]
        """,
    )
    assert load_config(project).layers == (
        ("app.routers", ("app.routers",)),
        ("services", ("app.services", "app/domain")),
        ("models", ("app.models",)),
    )


def test_layers_keep_file_order_when_given_as_table(project: Path) -> None:
    write(project, '[tool.fastapi-medic.layers]\nz = ["app.z"]\na = ["app.a"]\n')
    assert [name for name, _ in load_config(project).layers] == ["z", "a"]


def test_repeated_codes_are_kept_once_when_listed_twice(project: Path) -> None:
    write(project, 'ignore = ["MED101", "med101", " MED101 "]\n')
    assert load_config(project).ignore == ("MED101",)


# --- errors ----------------------------------------------------------------------------------

PREFIX = "pyproject.toml: [tool.fastapi-medic] "


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('fail-level = "loud"\n', f'fail-level = "loud" is not one of {SEVERITIES}'),
        ("fail-level = 40\n", f"fail-level = 40 is not one of {SEVERITIES}"),
        ('select = "MED1"\n', 'select = "MED1" is not a list of strings'),
        ('select = ["MED1", "E501"]\n', f'select = ["MED1", "E501"] has "E501", {NOT_A_CODE}'),
        ('ignore = ["MED1234"]\n', f'ignore = ["MED1234"] has "MED1234", {NOT_A_CODE}'),
        ('ignore = ["MEDX"]\n', f'ignore = ["MEDX"] has "MEDX", {NOT_A_CODE}'),
        ("extend-select = [101]\n", "extend-select = [101] is not a list of strings"),
        ('exclude = ["\\\\"]\n', 'exclude = ["\\\\"] has "\\\\", which is not a gitignore-style'),
        ('exclude = [""]\n', 'exclude = [""] has "", which is not a gitignore-style file pattern'),
        ('extend-exclude = "build"\n', 'extend-exclude = "build" is not a list of strings'),
        ('respect-gitignore = "yes"\n', 'respect-gitignore = "yes" is not true or false'),
        ("max-file-bytes = 0\n", "max-file-bytes = 0 is not a whole number of at least 1"),
        ("max-file-bytes = true\n", "max-file-bytes = true is not a whole number of at least 1"),
        ("max-workers = -2\n", "max-workers = -2 is not a whole number of at least 1"),
        ("max-workers = 1.5\n", "max-workers = 1.5 is not a whole number of at least 1"),
        ('cache-dir = ""\n', 'cache-dir = "" is not a directory name'),
        ("cache-dir = []\n", "cache-dir = [] is not a directory name"),
        (
            'per-file-ignores = ["tests/**"]\n',
            'per-file-ignores = ["tests/**"] is not a table of file pattern = [codes]',
        ),
        (
            '[tool.fastapi-medic.per-file-ignores]\n"tests/**" = ["X1"]\n',
            f'per-file-ignores."tests/**" = ["X1"] has "X1", {NOT_A_CODE}',
        ),
        (
            '[tool.fastapi-medic.per-file-ignores]\n"tests/**" = "MED1"\n',
            'per-file-ignores."tests/**" = "MED1" is not a list of strings',
        ),
        (
            '[tool.fastapi-medic.per-file-ignores]\n"!tests" = ["MED1"]\n',
            'per-file-ignores."!tests" = ["MED1"] has "!tests", which is not a gitignore-style',
        ),
        ('severity = "error"\n', 'severity = "error" is not a table of code = "severity"'),
        (
            '[tool.fastapi-medic.severity]\nMED101 = "loud"\n',
            f'severity.MED101 = "loud" is not one of {SEVERITIES}',
        ),
        (
            '[tool.fastapi-medic.severity]\nE501 = "error"\n',
            f'severity.E501 = "error" has "E501", {NOT_A_CODE}',
        ),
        (
            '[tool.fastapi-medic.severity]\nMED1 = "error"\nmed1 = "info"\n',
            'severity.med1 = "info" repeats the code MED1',
        ),
        (
            'blocking = ["mylib.slow"]\n',
            'blocking = ["mylib.slow"] is not a table of extend = [...] and remove = [...]',
        ),
        (
            "[tool.fastapi-medic.blocking]\nextend = ['my lib.call']\n",
            'blocking.extend = ["my lib.call"] has "my lib.call", which is not a dotted name',
        ),
        (
            "[tool.fastapi-medic.blocking]\nremove = 'time.sleep'\n",
            'blocking.remove = "time.sleep" is not a list of strings',
        ),
        (
            "layers = 3\n",
            "layers = 3 is not a table of layer = [patterns] or a list of layers",
        ),
        (
            "[tool.fastapi-medic.layers]\nrouters = []\n",
            "layers.routers = [] is not a non-empty list of module or folder patterns",
        ),
        (
            '[tool.fastapi-medic.layers]\nrouters = ["app routers"]\n',
            'layers.routers = ["app routers"] is not a non-empty list of module or folder',
        ),
        (
            "[tool.fastapi-medic.layers]\nrouters = 1\n",
            "layers.routers = 1 is not a list of strings",
        ),
        (
            'layers = [{ name = "a" }]\n',
            'layers = { name = "a" } is not a module pattern or { name = "...", modules = [...] }',
        ),
        (
            'layers = [{ name = "", modules = ["x"] }]\n',
            'layers = { name = "", modules = ["x"] } has no layer name',
        ),
        (
            'layers = ["app.a", "app.a"]\n',
            'layers = ["app.a", "app.a"] names the layer "app.a" twice',
        ),
    ],
)
def test_error_names_file_key_and_allowed_values_when_value_is_invalid(
    project: Path, body: str, message: str
) -> None:
    assert config_error(project, body).startswith(PREFIX + message)


def test_error_suggests_closest_key_when_key_is_misspelled(project: Path) -> None:
    assert config_error(project, 'selct = ["MED1"]\n') == (
        f'{PREFIX}unknown key "selct"; did you mean "select"? valid keys are {VALID_KEYS}'
    )


def test_error_suggests_kebab_case_when_key_uses_underscores(project: Path) -> None:
    message = config_error(project, 'fail_level = "error"\n')
    assert message.startswith(f'{PREFIX}unknown key "fail_level"; did you mean "fail-level"?')


def test_error_lists_valid_keys_without_suggestion_when_nothing_is_close(project: Path) -> None:
    assert config_error(project, "zzz = 1\n") == (
        f'{PREFIX}unknown key "zzz"; valid keys are {VALID_KEYS}'
    )


def test_error_names_blocking_table_when_its_key_is_unknown(project: Path) -> None:
    message = config_error(project, '[tool.fastapi-medic.blocking]\nextnd = ["x.y"]\n')
    assert message == (
        "pyproject.toml: [tool.fastapi-medic.blocking] unknown key "
        '"extnd"; did you mean "extend"? valid keys are extend, remove'
    )


def test_error_says_not_a_table_when_tool_entry_is_a_value(project: Path) -> None:
    write(project, '[tool]\n"fastapi-medic" = 3\n', table=False)
    with pytest.raises(ConfigError, match=r"^pyproject.toml: \[tool.fastapi-medic\] is not a"):
        load_config(project)


def test_error_quotes_toml_parser_position_when_file_is_not_toml(project: Path) -> None:
    message = config_error(project, "cache-dir = nope\n")
    assert message == "pyproject.toml: is not valid TOML: Invalid value (at line 2, column 13)"


def test_error_is_raised_by_find_config_when_file_is_not_toml(project: Path) -> None:
    write(project, "= 1\n", table=False)
    with pytest.raises(ConfigError, match=r"^pyproject.toml: is not valid TOML: .*line 1"):
        find_config(project)


def test_error_says_not_utf8_when_file_has_other_encoding(project: Path) -> None:
    (project / "pyproject.toml").write_bytes(b'[tool.fastapi-medic]\ncache-dir = "\xff"\n')
    with pytest.raises(ConfigError, match=r"^pyproject.toml: is not valid UTF-8 text$"):
        load_config(project)


def test_error_says_cannot_be_read_when_opening_fails(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "")

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(ConfigError, match=r"^pyproject.toml: cannot be read: Permission denied$"):
        load_config(project)


def test_error_names_absolute_path_when_file_is_outside_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write(repo, 'fail-level = "loud"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(repo)
    assert str(caught.value).startswith(f"{path}: [tool.fastapi-medic] fail-level")


# --- command-line overrides ------------------------------------------------------------------


def test_override_wins_when_file_sets_the_same_key(project: Path) -> None:
    write(project, 'fail-level = "info"\nselect = ["MED1"]\n')
    config = load_config(project, overrides={"fail_level": "critical", "select": ("MED2",)})
    assert config.fail_level is Severity.CRITICAL
    assert config.select == ("MED2",)


def test_override_accepts_severity_when_given_as_enum(project: Path) -> None:
    config = load_config(project, overrides={"fail_level": Severity.ERROR})
    assert config.fail_level is Severity.ERROR


def test_override_is_skipped_when_value_is_none(project: Path) -> None:
    write(project, 'fail-level = "info"\nmax-workers = 2\n')
    config = load_config(project, overrides={"fail_level": None, "max_workers": None})
    assert config.fail_level is Severity.INFO
    assert config.max_workers == 2


def test_override_extend_select_adds_when_file_has_extend_select(project: Path) -> None:
    write(project, 'select = ["MED1"]\nextend-select = ["MED150"]\n')
    config = load_config(project, overrides={"extend_select": ["MED250", "MED150"]})
    assert config.extend_select == ("MED150", "MED250")
    assert config.select == ("MED1", "MED150", "MED250")


def test_override_select_drops_file_extend_select_when_given(project: Path) -> None:
    write(project, 'extend-select = ["MED150"]\n')
    config = load_config(project, overrides={"extend_select": ["MED250"], "select": "MED2,MED3"})
    assert config.select == ("MED2", "MED3", "MED250")
    assert config.extend_select == ("MED250",)


def test_override_extend_exclude_adds_when_file_has_extend_exclude(project: Path) -> None:
    write(project, 'extend-exclude = ["legacy/"]\n')
    config = load_config(project, overrides={"extend_exclude": ("generated/**",)})
    assert config.extend_exclude == ("legacy/", "generated/**")


def test_override_replaces_tables_when_given_as_pairs_or_mapping(project: Path) -> None:
    write(project, '[tool.fastapi-medic.per-file-ignores]\n"tests/**" = ["MED1"]\n')
    config = load_config(
        project,
        overrides={
            "per_file_ignores": (("scripts/*.py", ("MED4",)),),
            "severity": {"MED1": Severity.CRITICAL},
            "layers": (("api", ("app.api",)), ("db", ("app.db",))),
            "blocking_extend": {"mylib.slow"},
        },
    )
    assert config.per_file_ignores == (("scripts/*.py", ("MED4",)),)
    assert config.severity == (("MED1", Severity.CRITICAL),)
    assert config.layers == (("api", ("app.api",)), ("db", ("app.db",)))
    assert config.blocking_extend == ("mylib.slow",)


def test_override_error_names_command_line_option_when_value_is_invalid(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(project, overrides={"fail_level": "loud"})
    assert str(caught.value) == f'command line: --fail-level "loud" is not one of {SEVERITIES}'


def test_override_error_uses_dashed_option_when_field_is_nested_in_file(project: Path) -> None:
    with pytest.raises(ConfigError, match=r'^command line: --blocking-extend \["a b"\] has'):
        load_config(project, overrides={"blocking_extend": ["a b"]})


def test_override_error_suggests_field_when_name_is_unknown(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(project, overrides={"fail_levle": "error"})
    message = str(caught.value)
    assert message.startswith('command line: unknown key "fail_levle"; did you mean "fail_level"?')
    assert "max_file_bytes" in message


# --- fingerprint -----------------------------------------------------------------------------


def test_fingerprint_is_stable_hex_when_configs_are_equal() -> None:
    first = Config(select=("MED1",), severity=(("MED1", Severity.ERROR),)).fingerprint()
    second = Config(select=("MED1",), severity=(("MED1", Severity.ERROR),)).fingerprint()
    assert first == second
    assert len(first) == 32
    int(first, 16)


def test_fingerprint_changes_when_select_changes() -> None:
    assert Config(select=("MED1",)).fingerprint() != Config(select=("MED2",)).fingerprint()


@pytest.mark.parametrize(
    "changes",
    [
        {"ignore": ("MED1",)},
        {"per_file_ignores": (("tests/**", ("MED1",)),)},
        {"severity": (("MED1", Severity.ERROR),)},
        {"exclude": ("build/",)},
        {"respect_gitignore": False},
        {"max_file_bytes": 10},
        {"blocking_extend": ("a.b",)},
        {"blocking_remove": ("time.sleep",)},
        {"layers": (("api", ("app.api",)),)},
    ],
)
def test_fingerprint_changes_when_an_analysis_setting_changes(changes: dict[str, object]) -> None:
    base = Config()
    changed = Config(**changes)  # type: ignore[arg-type]
    assert changed.fingerprint() != base.fingerprint()


def test_fingerprint_is_unchanged_when_only_run_settings_change(tmp_path: Path) -> None:
    base = Config().fingerprint()
    assert Config(fail_level=Severity.CRITICAL).fingerprint() == base
    assert Config(root=tmp_path).fingerprint() == base
    assert Config(cache_dir="elsewhere").fingerprint() == base
    assert Config(max_workers=8).fingerprint() == base


# --- severity_for and ignored_for_path -------------------------------------------------------


def test_severity_for_returns_default_when_no_key_covers_code() -> None:
    config = Config(severity=(("MED2", Severity.ERROR),))
    assert config.severity_for("MED101", Severity.INFO) is Severity.INFO


def test_severity_for_prefers_longest_key_when_several_cover_code() -> None:
    config = Config(
        severity=(
            ("MED101", Severity.CRITICAL),
            ("MED1", Severity.INFO),
            ("ALL", Severity.WARNING),
            ("MED", Severity.ERROR),
        )
    )
    assert config.severity_for("MED101", Severity.WARNING) is Severity.CRITICAL
    assert config.severity_for("MED102", Severity.WARNING) is Severity.INFO
    assert config.severity_for("MED201", Severity.INFO) is Severity.ERROR


def test_severity_for_uses_all_when_it_is_the_only_key() -> None:
    config = Config(severity=(("ALL", Severity.CRITICAL),))
    assert config.severity_for("MED601", Severity.INFO) is Severity.CRITICAL


IGNORES = Config(
    per_file_ignores=(
        ("tests/**", ("MED1", "MED201")),
        ("*/migrations/*.py", ("ALL",)),
        ("conftest.py", ("MED201", "MED3")),
    )
)


@pytest.mark.parametrize(
    ("relpath", "codes"),
    [
        ("tests/test_api.py", ("MED1", "MED201")),
        ("tests/unit/deep/test_x.py", ("MED1", "MED201")),
        ("tests/conftest.py", ("MED1", "MED201", "MED3")),
        ("app/conftest.py", ("MED201", "MED3")),
        ("app/migrations/0001_init.py", ("ALL",)),
        ("src/app/migrations/0001_init.py", ()),
        ("app/migrations/readme.txt", ()),
        ("app/tests/test_x.py", ()),
        ("./tests/test_api.py", ("MED1", "MED201")),
        ("tests\\test_api.py", ("MED1", "MED201")),
        ("app/main.py", ()),
    ],
)
def test_ignored_for_path_follows_gitignore_globs_when_patterns_match(
    relpath: str, codes: tuple[str, ...]
) -> None:
    assert IGNORES.ignored_for_path(relpath) == codes


def test_ignored_for_path_relativizes_when_path_is_absolute_under_root(tmp_path: Path) -> None:
    config = Config(root=tmp_path, per_file_ignores=(("tests/**", ("MED1",)),))
    assert config.ignored_for_path(str(tmp_path / "tests" / "test_a.py")) == ("MED1",)
    assert config.ignored_for_path(str(tmp_path / "app" / "main.py")) == ()


def test_ignored_for_path_matches_nothing_when_absolute_path_is_outside_root(
    tmp_path: Path,
) -> None:
    config = Config(root=tmp_path / "project", per_file_ignores=(("tests/**", ("MED1",)),))
    assert config.ignored_for_path(str(tmp_path / "tests" / "test_a.py")) == ()
