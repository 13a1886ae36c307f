"""Each fixture project breaks one thing; ``env check`` reports it at the line that causes it.

Every code has a positive project here and a clean look-alike (``*-clean`` or a project that
breaks something else). Each case looks at one family prefix, so a project's other findings
(an unpinned Python, say) do not make the case depend on the machine running the tests.
"""

from __future__ import annotations

import pytest
from envcheck import PROJECTS, findings, where

CASES: list[tuple[str, str, set[tuple[str, str, int]]]] = [
    # start commands
    ("docker-module-unresolvable", "MED60", {("MED601", "Dockerfile", 4)}),
    ("docker-copy-subdir-clean", "MED60", set()),
    ("docker-installed-package-clean", "MED60", set()),
    ("docker-multistage-workdir", "MED60", set()),
    ("docker-multistage-wrong-dir", "MED60", {("MED601", "Dockerfile", 8)}),
    ("compose-working-dir", "MED60", {("MED601", "docker-compose.yml", 5)}),
    ("makefile-wrong-module", "MED60", {("MED601", "Makefile", 2)}),
    ("code-uvicorn-run-wrong-module", "MED60", {("MED601", "run.py", 4)}),
    ("pyproject-fastapi-entrypoint-missing", "MED60", {("MED601", "pyproject.toml", 6)}),
    ("attribute-missing", "MED60", {("MED602", "Procfile", 1)}),
    ("app-not-asgi", "MED60", {("MED603", "Procfile", 1)}),
    ("factory-without-flag", "MED60", {("MED604", "Procfile", 1), ("MED604", "Makefile", 2)}),
    ("factory-with-flag-clean", "MED60", set()),
    ("loopback-in-container", "MED60", {("MED605", "Dockerfile", 4)}),
    ("entrypoint-script-loopback", "MED60", {("MED605", "start.sh", 4)}),
    ("python-script-uvicorn-run", "MED60", {("MED605", "serve.py", 7)}),
    ("fastapi-dev-in-docker", "MED60", {("MED605", "Dockerfile", 4), ("MED608", "Dockerfile", 4)}),
    ("port-unexpanded-exec-form", "MED60", {("MED606", "Dockerfile", 4)}),
    ("railway-dockerfile-exec", "MED60", {("MED606", "railway.json", 3)}),
    ("port-shell-form-clean", "MED60", set()),
    ("procfile-port-ignored", "MED60", {("MED607", "Procfile", 2)}),
    ("fly-port-mismatch", "MED60", {("MED607", "fly.toml", 1)}),
    ("reload-in-procfile", "MED60", {("MED608", "Procfile", 1)}),
    ("entrypoints-disagree", "MED60", {("MED609", "Procfile", 1)}),
    ("render-python-clean", "MED60", set()),
    ("gunicorn-wsgi-worker", "MED61", {("MED611", "Procfile", 1)}),
    ("appengine-default-entrypoint", "MED61", {("MED611", "app.yaml", 1)}),
    ("gunicorn-uvicorn-worker-clean", "MED60", set()),
    ("docker-gunicorn-conf-sync-worker", "MED61", {("MED611", "Dockerfile", 4)}),
    ("docker-gunicorn-conf-uvicorn-worker-clean", "MED61", set()),
    (
        "fastapi-run-pyproject-entrypoint-missing",
        "MED60",
        {("MED601", "Dockerfile", 4), ("MED601", "pyproject.toml", 6)},
    ),
    # python versions
    ("python-pin-differs", "MED62", {("MED620", ".python-version", 1)}),
    ("poetry-python-caret", "MED62", {("MED620", "pyproject.toml", 6)}),
    (
        "python-sources-disagree",
        "MED621",
        {("MED621", ".python-version", 1), ("MED621", "Dockerfile", 1)},
    ),
    ("render-python-version-float", "MED622", {("MED622", "render.yaml", 8)}),
    ("procfile-python-unpinned", "MED62", {("MED623", "Procfile", 1)}),
    # packages
    ("requirements-package-missing", "MED63", {("MED630", "requirements.txt", 2)}),
    ("requirements-version-differs", "MED63", {("MED631", "requirements.txt", 1)}),
    ("import-undeclared", "MED63", {("MED632", "main.py", 5), ("MED632", "main.py", 6)}),
    ("optional-form-missing", "MED633", {("MED633", "main.py", 1), ("MED633", "main.py", 2)}),
    ("websocket-route-without-library", "MED633", {("MED633", "main.py", 6)}),
    ("optional-standard-extra-clean", "MED63", set()),
    ("platform-only-pin", "MED634", {("MED634", "requirements.txt", 1)}),
    ("psycopg2-on-slim-image", "MED635", {("MED635", "requirements.txt", 1)}),
    ("psycopg2-with-build-deps-clean", "MED635", set()),
    # variables and database URLs
    ("env-required-unset", "MED64", {("MED640", "main.py", 5), ("MED640", "main.py", 12)}),
    ("env-set-only-locally", "MED64", {("MED640", "main.py", 5)}),
    ("database-url-unparseable", "MED64", {("MED641", "docker-compose.yml", 5)}),
    ("database-url-postgres-scheme", "MED64", {("MED642", "render.yaml", 9)}),
    ("database-url-postgres-rewritten-clean", "MED64", set()),
    ("database-url-postgres-not-sqlalchemy-clean", "MED64", set()),
    ("database-driver-missing", "MED64", {("MED643", "docker-compose.yml", 5)}),
    ("database-url-sync-for-async-engine", "MED644", {("MED644", ".env", 1)}),
    ("database-url-sslmode-asyncpg", "MED64", {("MED645", ".env", 1)}),
    ("compose-database-localhost", "MED64", {("MED646", "docker-compose.yml", 5)}),
    ("sqlite-relative-in-container", "MED64", {("MED647", "Dockerfile", 2)}),
    ("env-value-empty", "MED64", {("MED648", "docker-compose.yml", 5)}),
    ("debug-false-string", "MED64", {("MED649", "main.py", 3)}),
    ("render-python-clean", "MED699", set()),
    ("config-unparsable", "MED699", {("MED699", "fly.toml", 2), ("MED699", "render.yaml", 2)}),
]


@pytest.mark.parametrize(("name", "prefix", "expected"), CASES, ids=[c[0] for c in CASES])
def test_project_reports_exactly_what_it_breaks(
    name: str, prefix: str, expected: set[tuple[str, str, int]]
) -> None:
    assert where(findings(PROJECTS / name, prefix)) == expected


def test_every_fixture_project_has_a_case() -> None:
    on_disk = {p.name for p in PROJECTS.iterdir() if p.is_dir()}

    assert on_disk == {name for name, _, _ in CASES}


def test_every_code_has_a_positive_and_a_clean_case() -> None:
    from fastapi_medic.catalog import load_catalog

    env_codes = {r.code for r in load_catalog() if r.code.startswith("MED6")}
    positive = {code for _, _, expected in CASES for code, _, _ in expected}
    # MED610 needs a real import: tests/env/test_import_check.py covers it.
    assert env_codes - positive == {"MED610"}
    for code in env_codes - {"MED610"}:
        clean = [
            n for n, p, e in CASES if code.startswith(p) and not any(c == code for c, _, _ in e)
        ]
        assert clean, f"{code} has no project where it stays silent"
