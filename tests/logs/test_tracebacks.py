"""Traceback reassembly: chains, exception groups, interleaved records and your own frame."""

from __future__ import annotations

import textwrap

from fastapi_medic.logs.tracebacks import (
    Assembler,
    Traceback,
    from_frames,
    is_user_path,
    parse_traceback_text,
)


def _parse(text: str) -> Traceback:
    tb = parse_traceback_text(textwrap.dedent(text))
    assert tb is not None
    return tb


class TestUserFrames:
    def test_application_paths_are_yours(self) -> None:
        assert is_user_path("/app/main.py")
        assert is_user_path("C:\\work\\shop\\api.py")
        assert is_user_path("/srv/lib/python_utils/dates.py")

    def test_libraries_stdlib_and_frozen_modules_are_not_yours(self) -> None:
        for path in (
            "/usr/local/lib/python3.11/site-packages/starlette/routing.py",
            "/usr/lib/python3/dist-packages/yaml/__init__.py",
            "/usr/local/lib/python3.11/asyncio/runners.py",
            "<frozen importlib._bootstrap>",
            "<frozen os>",
            "C:\\Python311\\Lib\\asyncio\\runners.py",
        ):
            assert not is_user_path(path), path


class TestChains:
    def test_direct_cause_chain_keeps_both_exceptions_root_first(self) -> None:
        tb = _parse(
            """\
            Traceback (most recent call last):
              File "/usr/lib/python3.11/site-packages/asyncpg/connect_utils.py", line 1, in c
            asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already

            The above exception was the direct cause of the following exception:

            Traceback (most recent call last):
              File "/app/cart.py", line 77, in checkout
                await session.commit()
            sqlalchemy.exc.DBAPIError: wrapped
            """
        )

        assert [s.exc_type for s in tb.segments] == [
            "asyncpg.exceptions.TooManyConnectionsError",
            "sqlalchemy.exc.DBAPIError",
        ]
        assert tb.primary.frames[0].code == "await session.commit()"

    def test_during_handling_chain_ends_with_the_exception_that_escaped(self) -> None:
        tb = _parse(
            """\
            Traceback (most recent call last):
              File "/app/a.py", line 3, in f
            KeyError: 99

            During handling of the above exception, another exception occurred:

            Traceback (most recent call last):
              File "/app/a.py", line 5, in f
            RuntimeError: price lookup failed
            """
        )

        assert tb.primary.exc_type == "RuntimeError"
        assert len(tb.segments) == 2


class TestExceptionGroups:
    def test_sub_exceptions_become_segments_after_the_group(self) -> None:
        tb = _parse(
            """\
              + Exception Group Traceback (most recent call last):
              |   File "/app/main.py", line 64, in fanout
              |     async with asyncio.TaskGroup() as tg:
              | ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)
              +-+---------------- 1 ----------------
                | Traceback (most recent call last):
                |   File "/app/main.py", line 60, in fetch
                |     raise ValueError("upstream failed")
                | ValueError: upstream failed
                +---------------- 2 ----------------
                | TypeError: bad
                +------------------------------------
            """
        )

        assert [s.exc_type for s in tb.segments] == ["ExceptionGroup", "ValueError", "TypeError"]
        assert tb.segments[1].frames[0].func == "fetch"

    def test_nested_group_is_unboxed_to_its_leaves(self) -> None:
        tb = _parse(
            """\
              + Exception Group Traceback (most recent call last):
              |   File "/app/outer.py", line 1, in run
              | ExceptionGroup: outer (1 sub-exception)
              +-+---------------- 1 ----------------
                | Exception Group Traceback (most recent call last):
                |   File "/app/inner.py", line 2, in step
                | ExceptionGroup: inner (1 sub-exception)
                +-+---------------- 1 ----------------
                  | Traceback (most recent call last):
                  |   File "/app/leaf.py", line 3, in leaf
                  | OSError: disk full
                  +------------------------------------
            """
        )

        assert tb.primary.exc_type == "OSError"
        assert tb.primary.frames[0].path == "/app/leaf.py"


class TestFormats:
    def test_loguru_frames_with_markers_and_variables_are_read(self) -> None:
        tb = _parse(
            """\
            Traceback (most recent call last):

              File "/usr/local/bin/uvicorn", line 8, in <module>
                sys.exit(main())
                │   └ <function main at 0x7f>
                └ <module 'sys' (built-in)>

            > File "/srv/api/main.py", line 3, in <module>
                from app.routers import users

            ImportError: cannot import name 'User'
            """
        )

        assert [f.path for f in tb.primary.frames] == ["/usr/local/bin/uvicorn", "/srv/api/main.py"]
        assert tb.primary.frames[0].code == "sys.exit(main())"

    def test_syntax_error_frame_without_function_is_kept(self) -> None:
        tb = _parse(
            """\
            Traceback (most recent call last):
              File "/app/main.py", line 3
                def broken(:
                           ^
            SyntaxError: invalid syntax
            """
        )

        assert tb.primary.frames[0].line == 3
        assert tb.primary.frames[0].func is None

    def test_pydantic_message_lines_belong_to_the_exception(self) -> None:
        tb = _parse(
            """\
            Traceback (most recent call last):
              File "/srv/settings.py", line 14, in get_settings
            pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings
            database_url
              Field required [type=missing, input_value={}, input_type=dict]
            """
        )

        assert "database_url" in tb.primary.message

    def test_structlog_dict_tracebacks_are_read_outermost_last(self) -> None:
        tb = from_frames(
            [
                {"exc_type": "RuntimeError", "exc_value": "outer", "frames": []},
                {
                    "exc_type": "KeyError",
                    "exc_value": "'x'",
                    "frames": [
                        {"filename": "/app/a.py", "lineno": 3, "name": "f", "line": "d['x']"}
                    ],
                },
            ]
        )

        assert tb is not None
        assert [s.exc_type for s in tb.segments] == ["KeyError", "RuntimeError"]

    def test_text_without_a_traceback_gives_none(self) -> None:
        assert parse_traceback_text("payment declined by the provider") is None


class TestAssembler:
    def test_other_records_between_frames_do_not_end_the_traceback(self) -> None:
        asm = Assembler()
        lines = [
            ("Traceback (most recent call last):", False),
            ('  File "/app/a.py", line 3, in f', False),
            ('INFO:     10.0.0.1:5 - "GET / HTTP/1.1" 200 OK', True),
            ("    return d[k]", False),
            ("KeyError: 'k'", False),
            ("INFO:     next record", True),
        ]
        consumed = []
        finished = None
        for text, record in lines:
            took, done = asm.feed(text, record=record)
            consumed.append(took)
            finished = finished or done

        assert consumed == [True, True, False, True, True, False]
        assert finished is not None
        assert finished.primary.frames[0].code == "return d[k]"

    def test_finish_returns_a_traceback_cut_off_by_the_end_of_the_log(self) -> None:
        asm = Assembler()
        asm.feed("Traceback (most recent call last):", record=False)
        asm.feed('  File "/app/a.py", line 3, in f', record=False)

        tb = asm.finish()

        assert tb is not None
        assert tb.primary.frames[0].path == "/app/a.py"
        assert not asm.active
