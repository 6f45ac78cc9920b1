"""The ``crossmesh`` console command.

The top-level app only routes: each group of sub-commands lives in its own module of this package
(``mesh``, ``geo``, ``generate``, ``validate``), which registers itself on :data:`app`. Errors of
the Crossmesh family are shown as one clear line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from foundation.errors import CrossmeshError

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
        bench,
        generate,
        geo,
        ledger,
        mesh,
        prepare,
        release,
        validate,
        verify,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the command line; Crossmesh errors become one message and exit status 2.

    Usage errors, ``--help`` and exit codes are handled by typer itself (standalone mode).
    """
    _register()
    try:
        app(args=argv)
    except CrossmeshError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
