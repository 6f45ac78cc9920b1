"""Two node processes on 127.0.0.1 for system tests: each party's node with its own folders.

A test starts ``crossmesh carrier serve`` and ``crossmesh airline serve`` as separate OS
processes, each with its own workspace, ledger home and log file (``node.log`` beside its
workspace), and calls the airline node as the dashboard does (:class:`~engine.nodes.
airline_client.AirlineClient`). ``fault`` sets :data:`foundation.faults.FAULT_ENV` in one node
only, to kill it at a named step (``query.reserved:kill``…).

Layout of one party's folder (``root/<party>``)::

    root/<party>/workspace/    the node's workspace (its <party>/ only)
    root/<party>/ledgers/      the node's ledger home
    root/<party>/node.log      what the node wrote to stderr
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from engine.ledger import LEDGER_HOME_ENV
from engine.ledger.ledger import Ledger
from engine.ledger.values import AuditAction
from engine.nodes import CarrierNode
from engine.nodes.airline_client import AirlineClient
from engine.wire.certificates import load_identity, read_fingerprints
from foundation.faults import FAULT_ENV

__all__ = [
    "NodeProcess",
    "PartyFolders",
    "Settlement",
    "TwoNodes",
    "dashboard_client",
    "ledger_of",
    "settlement",
    "spawn",
    "start_airline",
    "start_carrier",
    "start_two_nodes",
]

ROOT = Path(__file__).resolve().parents[1]
STARTUP = 90.0


@dataclass(frozen=True)
class PartyFolders:
    """One party's own folders under ``root``."""

    root: Path

    @property
    def workspace(self) -> Path:
        """The node's workspace."""
        return self.root / "workspace"

    @property
    def ledger_home(self) -> Path:
        """The node's ledger home."""
        return self.root / "ledgers"

    @property
    def log(self) -> Path:
        """The node's stderr."""
        return self.root / "node.log"


@dataclass
class NodeProcess:
    """A node process and the address it listens on."""

    process: subprocess.Popen[str]
    address: str
    folders: PartyFolders

    def stop(self) -> int:
        """Stop the process (SIGTERM, then SIGKILL) if it still runs; its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


@dataclass
class TwoNodes:
    """Both nodes of one deployment: the data, the certificates, the two processes."""

    data: Path
    certs: Path
    carrier: NodeProcess
    airline: NodeProcess


def start_two_nodes(data: Path, certs: Path, root: Path) -> TwoNodes:
    """A carrier node, then an airline node calling it, each with its own folders in ``root``."""
    carrier = start_carrier(data, PartyFolders(root / "carrier"), certs)
    try:
        airline = start_airline(data, PartyFolders(root / "airline"), certs, carrier.address)
    except BaseException:
        carrier.stop()
        raise
    return TwoNodes(data, certs, carrier, airline)


def _env(ledger_home: Path, fault: str) -> dict[str, str]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env[LEDGER_HOME_ENV] = str(ledger_home)
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    return env


@contextlib.contextmanager
def _ledger_home(folder: Path) -> Iterator[None]:
    saved = os.environ.get(LEDGER_HOME_ENV)
    os.environ[LEDGER_HOME_ENV] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(LEDGER_HOME_ENV, None)
        else:
            os.environ[LEDGER_HOME_ENV] = saved


def _start(argv: list[str], folders: PartyFolders, fault: str, ready: str) -> NodeProcess:
    folders.root.mkdir(parents=True, exist_ok=True)
    with folders.log.open("a", encoding="utf-8") as log:
        process, address = spawn(argv, _env(folders.ledger_home, fault), log, ready, folders.log)
    return NodeProcess(process, address, folders)


def spawn(
    argv: list[str], env: dict[str, str], log: IO[str] | None, ready: str, where: Path | str
) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m cli ARGV`` and wait for its line starting with ``ready``.

    Its stderr goes to ``log`` (None: this process's own); its stdout keeps being read so that
    its pipe never fills. Returns the process and the last word of that line (the address).
    ``where`` names the log in the failure messages.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=log, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)
            if line.startswith(ready):
                return
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=STARTUP)
        except queue.Empty:
            process.kill()
            raise AssertionError(f"the node did not start in time; see {where}") from None
        if line.startswith(ready):
            return process, line.split()[-1]
        if not line:
            process.wait(10)
            raise AssertionError(f"the node stopped at start; see {where}")


def start_carrier(
    data: Path, folders: PartyFolders, certs: Path, fault: str = "", listen: str = "127.0.0.1:0"
) -> NodeProcess:
    """Prepare the carrier's workspace (once), then start ``crossmesh carrier serve``."""
    if not (folders.workspace / "carrier" / "views" / "manifest.json").is_file():
        with _ledger_home(folders.ledger_home):
            node = CarrierNode(data, folders.workspace)
            node.prepare()
            node.close()
    argv = [
        "carrier", "serve", "--data", str(data), "--workspace", str(folders.workspace),
        "--certs", str(certs), "--peer-fingerprint", read_fingerprints(certs)["airline"],
        "--listen", listen,
    ]  # fmt: skip
    return _start(argv, folders, fault, "carrier node listening on ")


def start_airline(
    data: Path, folders: PartyFolders, certs: Path, carrier: str, fault: str = ""
) -> NodeProcess:
    """Start ``crossmesh airline serve`` against the carrier node at ``carrier``."""
    prints = read_fingerprints(certs)
    argv = [
        "airline", "serve", "--data", str(data), "--workspace", str(folders.workspace),
        "--certs", str(certs), "--carrier", carrier,
        "--carrier-fingerprint", prints["carrier"],
        "--dashboard-fingerprint", prints["dashboard"], "--listen", "127.0.0.1:0",
    ]  # fmt: skip
    return _start(argv, folders, fault, "airline node listening on ")


def dashboard_client(certs: Path, airline: NodeProcess | str, **options: float) -> AirlineClient:
    """The dashboard's client of the airline node (its certificate, the node's pinned)."""
    address = airline if isinstance(airline, str) else airline.address
    return AirlineClient(
        address, load_identity(certs, "dashboard"), read_fingerprints(certs)["airline"],
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


def ledger_of(folders: PartyFolders, party: str) -> Ledger:
    """The ledger the party's node last used (close it; the node should be stopped)."""
    return Ledger.in_workspace(folders.workspace, party)


@dataclass(frozen=True)
class Settlement:
    """What a ledger's audit log says of its reservations: ids by state, ρ charged per scope."""

    reserved: frozenset[int]
    committed: frozenset[int]
    abandoned: frozenset[int]
    charged: dict[str, float]
    settled_rho: dict[str, float]  # per scope: ρ of committed and abandoned reservations

    @property
    def pending(self) -> frozenset[int]:
        """Reservations neither committed nor abandoned."""
        return self.reserved - self.committed - self.abandoned


def settlement(ledger: Ledger) -> Settlement:
    """Read the audit log: every reservation, how it ended, and what it charged."""
    reserved: dict[int, list[tuple[str, float]]] = {}
    ended: dict[AuditAction, set[int]] = {AuditAction.COMMIT: set(), AuditAction.ABANDON: set()}
    for entry in ledger.audit(None):
        found = re.match(r"reservation (\d+)", entry.detail)
        if found is None:
            continue
        number = int(found.group(1))
        if entry.action is AuditAction.RESERVE and entry.scope and entry.rho is not None:
            reserved.setdefault(number, []).append((entry.scope, entry.rho))
        elif entry.action in ended:
            ended[entry.action].add(number)
    charged: dict[str, float] = {}
    settled: dict[str, float] = {}
    done = ended[AuditAction.COMMIT] | ended[AuditAction.ABANDON]
    for number, charges in reserved.items():
        for scope, rho in charges:
            charged[scope] = charged.get(scope, 0.0) + rho
            if number in done:
                settled[scope] = settled.get(scope, 0.0) + rho
    return Settlement(
        frozenset(reserved), frozenset(ended[AuditAction.COMMIT]),
        frozenset(ended[AuditAction.ABANDON]), charged, settled,
    )  # fmt: skip
