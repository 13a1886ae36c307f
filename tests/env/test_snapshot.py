"""``snapshot``, ``load_snapshot`` and ``diff``: versioned, redacted, what matters first."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from envcheck import PROJECTS

from fastapi_medic.env import diff, load_snapshot, snapshot
from fastapi_medic.env.snapshot import SCHEMA_VERSION
from fastapi_medic.errors import UsageError

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
URL = "postgresql+psycopg://shop:Pa55wordXyz@db.internal:5432/shop"


def _snap(environ: dict[str, str], key: str | None = None) -> dict[str, Any]:
    return snapshot(SHOP, environ=environ, key=key)


def test_schema_version_comes_first_when_serialised() -> None:
    data = _snap({})

    assert next(iter(data)) == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION
    assert json.loads(json.dumps(data)) == data


def test_start_commands_and_packages_are_recorded() -> None:
    data = _snap({})

    apps = {(c["source"], c["app"], c["workdir"]) for c in data["start_commands"]}
    assert ("Dockerfile", "main:app", "/srv") in apps
    assert ("Procfile", "app.main:app", ".") in apps
    assert "fastapi" in data["packages"]
    assert "fastapi" in data["imports"]


def test_url_is_kept_as_its_shape_when_a_variable_holds_one() -> None:
    data = _snap({"DATABASE_URL": URL})

    entry = data["env"]["DATABASE_URL"]
    assert entry["url"] == {
        "scheme": "postgresql+psycopg",
        "host": "db.internal",
        "port": "5432",
        "driver": "psycopg",
    }
    assert "Pa55wordXyz" not in json.dumps(data)


def test_secret_gets_no_hash_when_no_key_is_given() -> None:
    data = _snap({"SECRET_KEY": "abc", "DATABASE_URL": URL, "APP_ENV": "prod"})

    assert "hash" not in data["env"]["SECRET_KEY"]
    assert "hash" not in data["env"]["DATABASE_URL"]
    assert "hash" in data["env"]["APP_ENV"]
    assert data["key"]["user_supplied"] is False


def test_same_value_gives_same_hash_on_two_machines_when_key_is_shared() -> None:
    a = _snap({"SECRET_KEY": "abc"}, key="team-key")
    b = _snap({"SECRET_KEY": "abc"}, key="team-key")
    c = _snap({"SECRET_KEY": "abd"}, key="team-key")

    assert a["env"]["SECRET_KEY"]["hash"] == b["env"]["SECRET_KEY"]["hash"]
    assert a["env"]["SECRET_KEY"]["hash"] != c["env"]["SECRET_KEY"]["hash"]


def test_python_minor_comes_before_packages_and_variables_when_all_differ() -> None:
    local = _snap({"DATABASE_URL": URL, "APP_ENV": "dev"})
    prod = copy.deepcopy(local)
    prod["python"].update(version="3.99.1", minor="3.99")
    prod["packages"]["fastapi"]["version"] = "0.1.0"
    del prod["env"]["APP_ENV"]
    prod["env"]["DATABASE_URL"]["url"]["scheme"] = "postgres"

    result = diff(local, prod)

    categories = [(e.category, e.subject) for e in result.important]
    assert categories[:4] == [
        ("python", "version"),
        ("package", "fastapi"),
        ("env", "APP_ENV"),
        ("url", "DATABASE_URL"),
    ]


def test_no_differences_when_snapshots_are_equal() -> None:
    data = _snap({})

    result = diff(data, data)

    assert result.entries == ()
    assert result.lines() == ["No differences."]


def test_values_are_not_compared_when_keys_differ() -> None:
    a = _snap({"APP_ENV": "dev"}, key="one")
    b = _snap({"APP_ENV": "prod"}, key="two")

    result = diff(a, b)

    assert [e for e in result.entries if e.subject == "APP_ENV"] == []
    assert any("different keys" in note for note in result.notes)


def test_value_difference_is_reported_when_keys_match() -> None:
    a = _snap({"APP_ENV": "dev"}, key="k")
    b = _snap({"APP_ENV": "prod"}, key="k")

    (entry,) = [e for e in diff(a, b).entries if e.subject == "APP_ENV"]

    assert (entry.a, entry.b) == ("value", "another value")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a JSON snapshot"),
        ('{"python": {}}', "no schema_version"),
        ('{"schema_version": 99}', "schema version 99"),
        ('{"schema_version": 1, "python": {}}', "'packages' is missing"),
    ],
)
def test_bad_snapshot_file_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "snap.json"
    path.write_text(content)

    with pytest.raises(UsageError, match=message):
        load_snapshot(path)


def test_snapshot_of_a_missing_directory_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a directory"):
        snapshot(PROJECTS / "no-such-project", environ={})
