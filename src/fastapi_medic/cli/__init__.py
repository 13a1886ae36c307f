"""The ``fastapi-medic`` command line: the only place that prints and chooses exit codes.

Exit codes: 0 nothing at or above the fail level, 1 findings at or above it, 2 could not run
(bad options, bad configuration, unreadable input, or a bug of ours).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from fastapi_medic._version import __version__
from fastapi_medic.errors import MedicError

__all__ = ["main", "root"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Root(click.Group):
    """Turns every failure into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except MedicError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # the reader went away (`| head`): stop quietly, as other command-line tools do
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_CLEAN)
        except Exception as exc:  # the error boundary of the whole tool
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            else:
                click.echo(
                    f"fastapi-medic failed unexpectedly: {type(exc).__name__}: {str(exc)[:300]}\n"
                    "Run again with --debug for the traceback, and please report it.",
                    err=True,
                )
            ctx.exit(EXIT_ERROR)
        return None


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastapi-medic")
@click.option("--debug", is_flag=True, help="Show tracebacks of fastapi-medic's own errors.")
@click.pass_context
def root(ctx: click.Context, debug: bool) -> None:
    """Diagnose and prevent the production failures of FastAPI applications."""
    ctx.obj = {"debug": debug}
    if debug:
        import os

        os.environ["FASTAPI_MEDIC_DEBUG"] = "1"  # rules re-raise instead of reporting MED904


def _register() -> None:
    from fastapi_medic.cli.check import check
    from fastapi_medic.cli.doctor import doctor
    from fastapi_medic.cli.env import env
    from fastapi_medic.cli.load import load
    from fastapi_medic.cli.logs import logs
    from fastapi_medic.cli.repro import repro
    from fastapi_medic.cli.routes import routes
    from fastapi_medic.cli.rules import rules

    for command in (doctor, check, env, logs, repro, load, rules, routes):
        root.add_command(command)


_register()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI (the console script and ``python -m fastapi_medic``)."""
    root.main(args=list(argv) if argv is not None else None, prog_name="fastapi-medic")
    sys.exit(EXIT_CLEAN)
