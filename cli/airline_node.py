"""``crossmesh airline serve``: the airline as its own node, with the API its dashboard calls.

The node runs the airline party on its own folders (``DATA/airline``, ``WS/airline``, its ledger
home), hands its key to the pinned carrier node (``--carrier``) over mutual TLS, and answers the
pinned dashboard on ``--listen`` (127.0.0.1 by default) until it is stopped (Ctrl-C or
SIGTERM). It prints ``airline node listening on HOST:PORT`` once it accepts calls.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from cli import app
from cli.arguments import existing_folder, writable_folder
from cli.nodes import _fingerprint, _listen_address, _wait_for_stop
from engine.ledger import LEDGER_HOME_ENV
from engine.session import SessionSettings
from engine.wire.certificates import load_identity

airline = typer.Typer(
    help="The airline's node: its own data, workspace and ledger; the dashboard's API.",
    no_args_is_help=True,
)
app.add_typer(airline, name="airline")


@airline.command("serve")
def serve(
    data: Annotated[
        Path,
        typer.Option("--data", help="Folder holding airline/ inputs.", callback=existing_folder),
    ],
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace", help="Workspace (its airline/ only).", callback=writable_folder
        ),
    ],
    certs_dir: Annotated[
        Path,
        typer.Option(
            "--certs", help="Folder with airline.pem/.key and ca.pem.", callback=existing_folder
        ),
    ],
    carrier: Annotated[
        str,
        typer.Option(help="HOST:PORT of the carrier node.", callback=_listen_address),
    ],
    carrier_fingerprint: Annotated[
        str,
        typer.Option(
            help="SHA-256 fingerprint of the carrier's certificate.", callback=_fingerprint
        ),
    ],
    dashboard_fingerprint: Annotated[
        str,
        typer.Option(
            help="SHA-256 fingerprint of the dashboard's certificate.", callback=_fingerprint
        ),
    ],
    listen: Annotated[
        str,
        typer.Option(
            help="HOST:PORT of the dashboard's API (port 0: any).", callback=_listen_address
        ),
    ] = "127.0.0.1:50062",
    ledger_home: Annotated[
        Path | None,
        typer.Option(
            help="The airline's ledger home (else $CROSSMESH_LEDGER_HOME or the default)."
        ),
    ] = None,
) -> None:
    """Run the airline's half of protocol v2 against the carrier node; answer the dashboard."""
    from engine.nodes.airline_node import AirlineNode  # imported late: the engine is heavy

    if ledger_home is not None:
        os.environ[LEDGER_HOME_ENV] = str(ledger_home)
    identity = load_identity(certs_dir, "airline")
    settings = SessionSettings.for_service()
    node = AirlineNode(data, workspace, carrier, identity, carrier_fingerprint, settings)
    try:
        node.prepare()
        node.connect()  # a carrier that cannot be reached, or the wrong one, is said now
        typer.echo(f"airline node connected to the carrier node at {carrier}")
        port = node.serve(dashboard_fingerprint, listen)
        typer.echo(
            f"airline node listening on {listen.rpartition(':')[0]}:{port}",
        )
        _wait_for_stop()
    finally:
        node.close()
    typer.echo("airline node stopped")
