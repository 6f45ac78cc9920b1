"""``crossmesh demo``: both parties as nodes and the dashboard, on 127.0.0.1, in one command.

What ``make run`` starts. In order, with a progress line for each step:

1. the demo data (generated into ``--data`` if it holds no world yet);
2. throw-away certificates for this run (``ROOT/certs``, :mod:`engine.wire.certificates`);
3. the carrier node (``crossmesh carrier serve --prepare``) on its own folders
   ``ROOT/carrier/{workspace,ledgers}``, log ``ROOT/carrier/node.log``;
4. the airline node (``crossmesh airline serve``) on ``ROOT/airline/…``, calling the carrier;
5. the dashboard (Streamlit) as a client of the airline node (``CROSSMESH_NODE``), at
   ``http://127.0.0.1:PORT``.

The nodes listen on ports the system picks (127.0.0.1 only). Ctrl-C or SIGTERM stops the three
processes in reverse order, each given time to finish what it is doing; if any of them ends on
its own, the others are stopped too and the launcher exits with status 1.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from cli import app
from cli.arguments import writable_folder
from cli.processes import Child
from engine.ledger import LEDGER_HOME_ENV
from engine.wire.certificates import write_demo_certificates
from foundation.errors import ConfigError
from foundation.faults import FAULT_ENV

ROOT = Path(__file__).resolve().parents[1]
STARTUP = 600.0  # the demo carrier's first preparation takes a while on two cores
PLAIN = ("CROSSMESH_WORKSPACE", "CROSSMESH_DATA", LEDGER_HOME_ENV, FAULT_ENV)


def _say(text: str) -> None:
    typer.echo(text)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PLAIN}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _node(party: str, root: Path, argv: list[str]) -> Child:
    folder = root / party
    return Child(
        f"{party} node", [sys.executable, "-m", "cli", *argv], folder / "node.log",
        _env(**{LEDGER_HOME_ENV: str(folder / "ledgers")}), ROOT, _say,
    )  # fmt: skip


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@app.command("demo")
def demo(
    data: Annotated[
        Path, typer.Option("--data", help="The demo world (generated here if missing).")
    ] = Path("data/demo"),
    root: Annotated[
        Path,
        typer.Option(
            "--root",
            help="Folder for each node's workspace, ledgers and log.",
            callback=writable_folder,
        ),
    ] = Path("nodes"),
    port: Annotated[
        int, typer.Option(help="The dashboard's port on 127.0.0.1.", min=1, max=65535)
    ] = 8501,
    scale: Annotated[str, typer.Option(help="Scale of a world generated here.")] = "demo",
    seed: Annotated[int, typer.Option(help="Seed of a world generated here.", min=0)] = 7,
) -> None:
    """Start the carrier node, the airline node and the dashboard on 127.0.0.1; Ctrl-C stops all."""
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    if _answers(port):
        raise ConfigError(f"port {port} is in use on 127.0.0.1; choose another with --port")
    _say(f"[1/5] demo data: {data}")
    if not (data / "manifest.json").is_file():
        from sample_data import generate  # imported late: only a first run needs it

        generate(scale, seed, data, progress=lambda line: _say(f"  {line}"))
    certs = root / "certs"
    prints = write_demo_certificates(certs)
    _say(f"[2/5] throw-away certificates: {certs}")
    children: list[Child] = []
    try:
        _say("[3/5] carrier node: preparing its views and starting")
        carrier = _node("carrier", root, [
            "carrier", "serve", "--data", str(data),
            "--workspace", str(root / "carrier" / "workspace"), "--certs", str(certs),
            "--peer-fingerprint", prints["airline"], "--listen", "127.0.0.1:0", "--prepare",
        ])  # fmt: skip
        children.append(carrier)
        line = carrier.wait_ready(lambda t: t.startswith("carrier node listening"), STARTUP, stop)
        carrier_address = line.split()[-1] if line else ""
        if not stop.is_set():
            _say("[4/5] airline node: its key pair, then the link to the carrier")
            airline = _node("airline", root, [
                "airline", "serve", "--data", str(data),
                "--workspace", str(root / "airline" / "workspace"), "--certs", str(certs),
                "--carrier", carrier_address, "--carrier-fingerprint", prints["carrier"],
                "--dashboard-fingerprint", prints["dashboard"], "--listen", "127.0.0.1:0",
            ])  # fmt: skip
            children.append(airline)
            line = airline.wait_ready(
                lambda t: t.startswith("airline node listening"), STARTUP, stop
            )
        if not stop.is_set():
            _say("[5/5] dashboard: starting")
            dashboard = Child(
                "dashboard",
                [
                    sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"),
                    "--server.address", "127.0.0.1", "--server.port", str(port),
                    "--server.headless", "true", "--browser.gatherUsageStats", "false",
                ],
                root / "dashboard.log",
                _env(CROSSMESH_NODE=line.split()[-1], CROSSMESH_NODE_CERTS=str(certs)),
                ROOT, lambda _line: None,
            )  # fmt: skip
            children.append(dashboard)
            _wait_for_port(dashboard, port, stop)
        if not stop.is_set():
            _say(f"Crossmesh is running: http://127.0.0.1:{port}  (Ctrl-C stops all)")
        while not stop.wait(0.5):
            ended = [child.name for child in children if not child.running()]
            if ended:
                _say(f"the {ended[0]} stopped on its own; see its log in {root}")
                raise typer.Exit(1)
    finally:
        for child in reversed(children):
            child.stop()
            _say(f"stopped the {child.name}")


def _wait_for_port(child: Child, port: int, stop: threading.Event, timeout: float = 120.0) -> None:
    """Wait until the dashboard accepts connections (ConfigError if it ends or never does)."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and not _answers(port):
        if not child.running():
            raise ConfigError(f"the dashboard stopped at start; see {child.log}")
        if time.monotonic() > deadline:
            raise ConfigError(f"the dashboard did not start in {timeout:.0f} s; see {child.log}")
        time.sleep(0.3)
