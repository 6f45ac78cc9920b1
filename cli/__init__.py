"""The ``crossmesh`` console command.

The top-level app only routes: each group of sub-commands lives in its own module of this package
(``mesh``, ``geo``, ``generate``, ``validate``, …), which registers itself on :data:`app`.

No traceback reaches a user. :func:`main` is the one boundary:

* usage errors (unknown option, bad value, missing argument) are typer's: a message, exit 2;
* errors of the Crossmesh family and operating-system errors (a file that cannot be read or
  written) are one ``error:`` line on stderr, exit 2;
* anything else is a bug: one line naming the exception type and where it happened — never its
  message, which may quote a value from the inputs — and exit 1. ``CROSSMESH_DEBUG=1`` re-raises
  it with its traceback for a developer.
"""

from __future__ import annotations

import os
import sys
import traceback

import typer

from foundation.errors import CrossmeshError

USAGE_EXIT = 2
BUG_EXIT = 1

app = typer.Typer(
    name="crossmesh",
    help="Privacy-preserving cross statistics on JIS X 0410 meshes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Import the command modules so that they attach themselves to :data:`app`."""
    from cli import (  # noqa: F401
        airline_node,
        bench,
        demo,
        generate,
        geo,
        ledger,
        mesh,
        nodes,
        prepare,
        release,
        validate,
        verify,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the command line; every error becomes one message and an exit status, never a trace.

    Usage errors, ``--help`` and exit codes of the commands are handled by typer itself
    (standalone mode); see the module docstring for the rest.
    """
    _register()
    try:
        app(args=argv)
    except CrossmeshError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(USAGE_EXIT)
    except OSError as err:
        typer.echo(f"error: {_os_error(err)}", err=True)
        sys.exit(USAGE_EXIT)
    except Exception as err:
        if os.environ.get("CROSSMESH_DEBUG"):
            raise
        typer.echo(f"internal error: {_bug_line(err)}", err=True)
        sys.exit(BUG_EXIT)


def _os_error(err: OSError) -> str:
    """'cannot use PATH: Permission denied' — the path and the system's reason, nothing else."""
    reason = err.strerror or type(err).__name__
    if err.filename is None:
        return f"{reason}; check the paths given"
    return f"cannot use {err.filename}: {reason}; check the path and its permissions"


def _bug_line(err: Exception) -> str:
    """The exception's type and innermost frame only: its message may quote personal values."""
    frames = traceback.extract_tb(err.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" in {os.path.basename(last.filename)}:{last.lineno} ({last.name})"
    return (
        f"{type(err).__name__}{where}. This is a bug in crossmesh, not in your data; please "
        "report it with the command you ran (set CROSSMESH_DEBUG=1 to see the traceback, which "
        "may show values from your files)"
    )
