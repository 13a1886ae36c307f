"""Dockerfile stages: ARG and ENV substitution, WORKDIR, inheritance, COPY mappings."""

from __future__ import annotations

from pathlib import Path

from fastapi_medic.env.dockerfile import parse_dockerfile, substitute

MULTI = """\
ARG PY=3.12
FROM python:${PY}-slim AS base
ENV APP_HOME=/srv PORT=8000
WORKDIR $APP_HOME
COPY app/ ./app/

FROM base AS prod
WORKDIR api
ENTRYPOINT ["uvicorn"]
CMD ["app.main:app", \\
     "--host", "0.0.0.0"]
"""


def test_stage_inherits_env_and_workdir_when_built_from_another_stage() -> None:
    base, prod = parse_dockerfile(MULTI)

    assert base.image == "python:3.12-slim"
    assert prod.parent is base
    assert prod.env["PORT"] == "8000"
    assert prod.workdir == "/srv/api"
    assert prod.root_image == ("python:3.12-slim", 2)


def test_build_arg_overrides_the_default_when_given() -> None:
    base, _ = parse_dockerfile(MULTI, build_args={"PY": "3.11"})

    assert base.image == "python:3.11-slim"


def test_exec_entrypoint_gets_cmd_appended_when_both_are_set() -> None:
    _, prod = parse_dockerfile(MULTI)

    assert prod.start() == (("uvicorn", "app.main:app", "--host", "0.0.0.0"), True, 10)


def test_shell_form_runs_through_sh_when_cmd_is_not_json() -> None:
    (stage,) = parse_dockerfile("FROM python:3.12\nCMD uvicorn main:app\n")

    assert stage.start() == (("/bin/sh", "-c", "uvicorn main:app"), False, 2)


def test_copy_maps_container_paths_to_project_files(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("")
    base, _ = parse_dockerfile(MULTI)

    assert base.to_local("/srv/app/main.py", tmp_path) == tmp_path / "app" / "main.py"
    assert base.to_local("/srv/app/missing.py", tmp_path) is False
    # Nothing is copied to /opt, and the official python image holds no project files.
    assert base.to_local("/opt/main.py", tmp_path) is False


def test_unknown_base_image_may_hold_the_file_when_nothing_covers_it(tmp_path: Path) -> None:
    (stage,) = parse_dockerfile("FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11\n")

    assert stage.to_local("/app/main.py", tmp_path) is None


def test_variables_are_substituted_with_defaults_and_alternatives() -> None:
    env = {"A": "1", "EMPTY": ""}

    assert substitute("${A}-$A-${B:-two}-${EMPTY:-d}-${A:+yes}-$B", env) == "1-1-two-d-yes-$B"
