"""``crossmesh certs`` and ``crossmesh carrier serve``: the carrier as its own node.

``certs`` writes a throw-away authority and both nodes' certificates for 127.0.0.1
(:mod:`engine.wire.certificates`) and prints the fingerprints each node pins. ``carrier serve``
runs the carrier party on its own folders behind the gRPC service (:mod:`engine.wire.grpc_link`)
until it is stopped (Ctrl-C or SIGTERM), answering only the airline whose certificate has the
pinned fingerprint. It prints one line ``carrier node listening on HOST:PORT`` once it accepts
calls (with port 0, the port the system chose).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from cli import app
from cli.arguments import existing_folder, writable_folder
from engine.nodes import CarrierNode
from engine.session import SessionSettings
from engine.wire.certificates import load_identity, write_demo_certificates
from engine.wire.grpc_link import LinkSettings
from foundation.pace import seconds_left

carrier = typer.Typer(
    help="The carrier's node: its own data and workspace, served over mutual TLS.",
    no_args_is_help=True,
)
app.add_typer(carrier, name="carrier")


def _listen_address(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise typer.BadParameter(f"must be HOST:PORT, e.g. 127.0.0.1:50061, not {value!r}")
    return value


def _fingerprint(value: str) -> str:
    text = value.lower().replace(":", "")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise typer.BadParameter("must be a SHA-256 fingerprint: 64 hex digits (colons allowed)")
    return text


@app.command("certs")
def certs(
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the certificates.", callback=writable_folder),
    ] = Path("certs"),
) -> None:
    """Create a throw-away authority, both nodes' and the dashboard's certificates (127.0.0.1).

    The authority's key is discarded, so nothing else can be issued under it; node keys are
    written with mode 0600. A real deployment brings its own certificates (docs/deployment.md).
    """
    prints = write_demo_certificates(out)
    for party, value in prints.items():
        typer.echo(f"{party} fingerprint: {value}")
    typer.echo(f"certificates written to {out}")


@carrier.command("serve")
def serve(
    data: Annotated[
        Path,
        typer.Option("--data", help="Folder holding carrier/ inputs.", callback=existing_folder),
    ],
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace", help="Workspace (its carrier/ only).", callback=writable_folder
        ),
    ],
    certs_dir: Annotated[
        Path,
        typer.Option(
            "--certs", help="Folder with carrier.pem/.key and ca.pem.", callback=existing_folder
        ),
    ],
    peer_fingerprint: Annotated[
        str,
        typer.Option(
            help="SHA-256 fingerprint of the airline's certificate.", callback=_fingerprint
        ),
    ],
    listen: Annotated[
        str, typer.Option(help="HOST:PORT to listen on (port 0: any).", callback=_listen_address)
    ] = "127.0.0.1:50061",
    prepare: Annotated[
        bool, typer.Option("--prepare", help="Build (or refresh) the carrier's views first.")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Where the carrier's products run: synchronous, threads, local (its own "
            "LocalCluster, TLS) or the tls:// address of the carrier's Dask scheduler.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Workers of the carrier's local cluster (default: cores).")
    ] = None,
    query_idle_timeout: Annotated[
        float,
        typer.Option(
            "--query-idle-timeout",
            min=1.0,
            help="Abandon a query the airline sent nothing for in this many seconds.",
        ),
    ] = LinkSettings.query_idle_timeout,
) -> None:
    """Serve the carrier's steps of protocol v2 to the pinned airline until stopped."""
    identity = load_identity(certs_dir, "carrier")
    settings = SessionSettings.for_service(
        carrier_scheduler=scheduler or "synchronous", carrier_workers=workers
    )
    node = CarrierNode(data, workspace, settings)
    try:
        if prepare:
            summary = node.prepare(_progress_lines("carrier views"))
            built, kept = summary.months_prepared, summary.months_unchanged
            typer.echo(f"carrier views: {built} month(s) built, {kept} unchanged")
        link = LinkSettings(query_idle_timeout=query_idle_timeout)
        port = node.serve(identity, peer_fingerprint, listen, link)
        host = listen.rpartition(":")[0]
        typer.echo(f"carrier node listening on {host}:{port}")
        _wait_for_stop()
    finally:
        node.close()
    typer.echo("carrier node stopped")


def _progress_lines(what: str) -> Callable[[str, int, int], None]:
    """A progress callback printing ``WHAT: DONE of TOTAL (about N s left)`` per step done."""
    started = time.monotonic()

    def say(_step: str, done: int, total: int) -> None:
        left = seconds_left(time.monotonic() - started, done / total) if total else None
        estimate = "" if left is None else f" (about {left:.0f} s left)"
        typer.echo(f"{what}: {done} of {total}{estimate}")

    return say


def _wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    while not stop.wait(1.0):
        pass
