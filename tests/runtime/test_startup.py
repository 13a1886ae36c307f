"""The startup report: versions, engines with secrets masked, environment variables."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import QueuePool

from fastapi_medic.findings import Severity
from fastapi_medic.runtime import Instrumentation
from fastapi_medic.runtime.startup import build_report, env_names_in, redact_url

Instrument = Callable[..., Instrumentation]
SECRET_URL = "postgresql+psycopg://app:hunter2@db.internal:5432/prod?sslmode=require&api_key=k3y"


def test_url_masks_the_password_and_every_query_value_when_both_are_present() -> None:
    assert redact_url(SECRET_URL) == (
        "postgresql+psycopg://app:***@db.internal:5432/prod?api_key=***&sslmode=***"
    )


def test_url_is_kept_whole_when_it_has_no_secret_parts() -> None:
    assert redact_url("sqlite:///data/app.db") == "sqlite:///data/app.db"


def test_sqlalchemy_alone_leaves_query_secrets_visible_when_it_renders_a_url() -> None:
    from sqlalchemy.engine import make_url

    rendered = make_url(SECRET_URL).render_as_string(hide_password=True)

    assert "k3y" in rendered  # the reason the report renders URLs itself
    assert "k3y" not in redact_url(SECRET_URL)


def test_engine_pool_settings_are_reported_when_an_engine_is_given(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'a.db'}", poolclass=QueuePool, pool_size=3, max_overflow=2
    )

    report, _ = build_report([engine], {})
    engine.dispose()

    [entry] = report["engines"]
    assert entry["name"] == "default"
    assert entry["dialect"] == "sqlite"
    assert entry["pool"] == {
        "class": "QueuePool",
        "size": 3,
        "timeout": 30.0,
        "max_overflow": 2,
        "pre_ping": False,
        "recycle": -1,
    }
    assert report["python"] == platform.python_version()
    assert report["packages"]["fastapi"] is not None


def test_env_names_are_found_with_their_defaults_when_the_source_reads_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "settings.py").write_text(
        "import os\n"
        "from os import environ, getenv\n"
        "A = os.environ['REQUIRED_A']\n"
        "B = os.getenv('WITH_DEFAULT_B', '1')\n"
        'C = environ.get("OPTIONAL_C")\n'
        "D = getenv(name)\n"
    )

    assert env_names_in(tmp_path) == {
        "REQUIRED_A": False,
        "WITH_DEFAULT_B": True,
        "OPTIONAL_C": False,
    }


def test_missing_variable_is_a_warning_when_it_has_no_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MEDIC_TEST_REQUIRED", raising=False)

    report, findings = build_report([], {"MEDIC_TEST_REQUIRED": False})

    assert report["env"] == {"MEDIC_TEST_REQUIRED": "missing"}
    [finding] = [f for f in findings if f.code == "MED704"]
    assert finding.severity is Severity.WARNING
    assert finding.subject == "env MEDIC_TEST_REQUIRED"


def test_missing_variable_is_info_when_the_code_gives_a_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MEDIC_TEST_DEFAULTED", raising=False)

    _, findings = build_report([], {"MEDIC_TEST_DEFAULTED": True})

    assert [(f.code, f.severity) for f in findings if f.code == "MED704"] == [
        ("MED704", Severity.INFO)
    ]


def test_set_variable_is_reported_as_set_without_its_value_when_present(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDIC_TEST_TOKEN", "tok-hunter2")

    report, findings = build_report([], {"MEDIC_TEST_TOKEN": False})

    assert report["env"] == {"MEDIC_TEST_TOKEN": "set"}
    assert [f for f in findings if f.code == "MED704"] == []
    assert "tok-hunter2" not in json.dumps(report)


def test_otel_sqlalchemy_is_flagged_when_sqlalchemy_is_2_1() -> None:
    from fastapi_medic.runtime.startup import _checks

    findings = _checks({"env": {}, "packages": {"sqlalchemy": "2.1.9"}, "python": "3.11"}, {})

    assert [f.code for f in findings] == ["MED705"]


def test_otel_sqlalchemy_is_not_flagged_when_sqlalchemy_is_2_0() -> None:
    from fastapi_medic.runtime.startup import _checks

    findings = _checks({"env": {}, "packages": {"sqlalchemy": "2.0.58"}, "python": "3.11"}, {})

    assert findings == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="uvicorn honours it from 3.12 on")
def test_asyncio_debug_is_flagged_when_set_under_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn  # noqa: F401 - the check looks for a loaded uvicorn

    from fastapi_medic.runtime.startup import _checks

    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")

    findings = _checks({"env": {}, "packages": {}, "python": "3.11"}, {})

    assert [f.code for f in findings] == ["MED706"]


def test_asyncio_debug_is_not_flagged_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi_medic.runtime.startup import _checks

    monkeypatch.delenv("PYTHONASYNCIODEBUG", raising=False)

    assert _checks({"env": {}, "packages": {}, "python": "3.11"}, {}) == []


def test_workers_come_from_web_concurrency_when_it_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "4")

    report, _ = build_report([], {})

    assert report["workers"] == 4


def test_no_secret_reaches_any_output_when_engine_url_and_env_hold_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instrumented: Instrument
) -> None:
    monkeypatch.setenv("MEDIC_TEST_DB_PASSWORD", "pw-hunter2")
    url = f"sqlite:///{tmp_path / 'x.db'}?api_key=k3y-hunter2"
    engine: Engine = create_engine(url.replace("?api_key=k3y-hunter2", ""))
    engine.url = engine.url.update_query_dict({"api_key": "k3y-hunter2"})
    sink = tmp_path / "medic.jsonl"

    inst = instrumented(
        FastAPI(),
        engine,
        startup_report=True,
        sink=sink,
        env_vars=["MEDIC_TEST_DB_PASSWORD", "MEDIC_TEST_MISSING_TOKEN"],
        watchdog=False,
    )
    inst.flush()
    texts = [
        sink.read_text(),
        json.dumps(inst.startup),
        repr(inst.findings()),
        repr(inst.metrics()),
    ]
    engine.dispose()

    for text in texts:
        assert "hunter2" not in text
    assert inst.startup["env"]["MEDIC_TEST_DB_PASSWORD"] == "set"
    assert inst.startup["engines"][0]["url"].endswith("?api_key=***")
    assert [
        f.subject
        for f in inst.findings()
        if f.code == "MED704" and str(f.subject).startswith("env MEDIC_TEST")
    ] == ["env MEDIC_TEST_MISSING_TOKEN"]
