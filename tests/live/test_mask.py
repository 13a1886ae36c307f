"""What repro and load print about a request never holds its secrets."""

from __future__ import annotations

import pytest

from fastapi_medic.live._mask import mask_body, mask_headers, mask_target


def test_masks_credential_headers_whatever_their_case() -> None:
    headers = [
        ("authorization", "Bearer abc.def.ghi"),
        ("Cookie", "sid=1"),
        ("X-API-Key", "k-123"),
        ("Set-Cookie", "a=b"),
        ("Accept", "application/json"),
    ]

    assert mask_headers(headers) == [
        ("authorization", "***"),
        ("Cookie", "***"),
        ("X-API-Key", "***"),
        ("Set-Cookie", "***"),
        ("Accept", "application/json"),
    ]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/items?limit=5", "/items?limit=5"),
        ("/items?api_key=abc&limit=5", "/items?api_key=***&limit=5"),
        ("/login?token=t0k&password=pw", "/login?token=***&password=***"),
        ("/plain", "/plain"),
    ],
)
def test_masks_secret_query_values_when_the_name_says_secret(target: str, expected: str) -> None:
    assert mask_target(target) == expected


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        (
            b'{"user": "a", "password": "pw"}',
            "application/json",
            '{"user": "a", "password": "***"}',
        ),
        (b'[{"token": "x"}]', None, '[{"token": "***"}]'),
        (b"user=a&password=pw", "application/x-www-form-urlencoded", "user=a&password=***"),
        (b"Authorization: Bearer abcdefghijkl", "text/plain", "Authorization: Bearer ***"),
        (b"not json {", "application/json", "not json {"),
        (None, None, ""),
    ],
)
def test_masks_secret_fields_of_bodies_by_content_type(
    body: bytes | None, ctype: str | None, expected: str
) -> None:
    assert mask_body(body, ctype) == expected


def test_cuts_long_bodies_and_says_how_much_was_cut() -> None:
    assert mask_body("x" * 30, "text/plain", limit=10) == "xxxxxxxxxx... (20 more characters)"
