"""Pasted curl commands and ``METHOD PATH`` requests become the request the app receives."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from fastapi_medic.errors import UsageError
from fastapi_medic.live.curl import FormFile, RequestSpec, parse_request

JSON = ("Content-Type", "application/json")
ACCEPT = ("Accept", "application/json")
FORM = ("Content-Type", "application/x-www-form-urlencoded")

CASES: list[tuple[str, RequestSpec]] = [
    ("curl http://localhost:8000/items", RequestSpec("GET", "/items")),
    (
        "curl 'https://api.example.com/items?limit=5&q=a%20b'",
        RequestSpec("GET", "/items?limit=5&q=a%20b"),
    ),
    ("curl localhost:8000/items/3", RequestSpec("GET", "/items/3")),
    ("curl -X DELETE http://h/items/3", RequestSpec("DELETE", "/items/3")),
    ("curl -XPUT http://h/items/3", RequestSpec("PUT", "/items/3")),
    ("curl --request patch http://h/x", RequestSpec("PATCH", "/x")),
    ("curl -I http://h/x", RequestSpec("HEAD", "/x")),
    (
        "curl -H 'X-Trace: 1' -H 'Accept: text/plain' http://h/x",
        RequestSpec("GET", "/x", (("X-Trace", "1"), ("Accept", "text/plain"))),
    ),
    ("curl -H'X-Glued: yes' http://h/x", RequestSpec("GET", "/x", (("X-Glued", "yes"),))),
    ("curl -d 'a=1' -d 'b=2' http://h/form", RequestSpec("POST", "/form", (FORM,), b"a=1&b=2")),
    (
        "curl --data-raw '@not-a-file' http://h/f",
        RequestSpec("POST", "/f", (FORM,), b"@not-a-file"),
    ),
    (
        "curl --data-urlencode 'q=a b&c' http://h/s",
        RequestSpec("POST", "/s", (FORM,), b"q=a%20b%26c"),
    ),
    ("curl -G -d 'q=1' http://h/search", RequestSpec("GET", "/search?q=1")),
    (
        "curl --json '{\"a\": 1}' http://h/items",
        RequestSpec("POST", "/items", (JSON, ACCEPT), b'{"a": 1}'),
    ),
    (
        "curl -X PUT -H 'Content-Type: application/json' --data-binary '[1]' http://h/i",
        RequestSpec("PUT", "/i", (JSON,), b"[1]"),
    ),
    (
        "curl -b 'session=abc; theme=dark' http://h/x",
        RequestSpec("GET", "/x", (("Cookie", "session=abc; theme=dark"),)),
    ),
    ("curl -b cookies.txt http://h/x", RequestSpec("GET", "/x")),
    (
        "curl -u alice:pw http://h/x",
        RequestSpec(
            "GET", "/x", (("Authorization", "Basic " + base64.b64encode(b"alice:pw").decode()),)
        ),
    ),
    ("curl -F name=widget http://h/up", RequestSpec("POST", "/up", form=(("name", "widget"),))),
    ("curl -s -S -v -k -L --compressed -o out.json -m 5 http://h/x", RequestSpec("GET", "/x")),
    ("curl -sSL http://h/x", RequestSpec("GET", "/x")),
    ("curl --url http://h/x", RequestSpec("GET", "/x")),
    ("curl 'http://h/x' \\\n  -H 'A: b'", RequestSpec("GET", "/x", (("A", "b"),))),
    ("curl $'http://h/x' -H $'A: b\\'c'", RequestSpec("GET", "/x", (("A", "b'c"),))),
    ("GET /items", RequestSpec("GET", "/items")),
    ("post /items --json '{}'", RequestSpec("POST", "/items", (JSON, ACCEPT), b"{}")),
    ("DELETE /items/1 -H 'X-A: 1'", RequestSpec("DELETE", "/items/1", (("X-A", "1"),))),
    ("/items?x=1", RequestSpec("GET", "/items?x=1")),
    ("-X POST /orders --json []", RequestSpec("POST", "/orders", (JSON, ACCEPT), b"[]")),
]


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_parses_curl_and_method_path_requests_when_pasted(
    command: str, expected: RequestSpec
) -> None:
    assert parse_request(command) == expected


def test_tokens_from_the_shell_parse_like_one_pasted_string() -> None:
    tokens = ["POST", "/items", "--json", '{"a": 1}', "-H", "X-A: 1"]

    assert parse_request(tokens) == parse_request("POST /items --json '{\"a\": 1}' -H 'X-A: 1'")


def test_reads_data_from_a_file_when_given_with_at(tmp_path: Path) -> None:
    (tmp_path / "body.json").write_text('{"a":\n 1}', encoding="utf-8")

    data = parse_request("curl -d @body.json http://h/x", base=tmp_path)
    binary = parse_request("curl --data-binary @body.json http://h/x", base=tmp_path)

    assert data.body == b'{"a": 1}'
    assert binary.body == b'{"a":\n 1}'


def test_reads_form_files_when_given_with_at(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"x,y\n")

    spec = parse_request("curl -F 'doc=@a.csv;type=text/csv' -F n=1 http://h/up", base=tmp_path)

    assert spec.files == (FormFile("doc", "a.csv", b"x,y\n", "text/csv"),)
    assert spec.form == (("n", "1"),)
    assert spec.method == "POST"


def test_round_trips_through_json_when_sent_to_the_child() -> None:
    spec = RequestSpec(
        "POST", "/x", (("A", "b"),), b"\x00\xff", (("f", "v"),), (FormFile("d", "n", b"1"),)
    )

    assert RequestSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", "the request is empty"),
        ("curl -H", "option -H needs a value"),
        ("curl 'unterminated", "cannot read the request"),
        ("fetch /x", "cannot read the request 'fetch'"),
        ("curl http://h/a http://h/b", "unexpected argument"),
        ("curl -s", "the request has no URL or path"),
        ("curl -d @missing.json http://h/x", "cannot read missing.json"),
        ("curl -F a=1 -d b=2 http://h/x", "mixes -F with -d"),
    ],
)
def test_rejects_the_request_with_a_clear_message_when_unreadable(
    command: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match=message):
        parse_request(command, base=tmp_path)
