"""System-test kit for the two nodes: a carrier node as its own OS process, an airline calling it.

Test modules get it through the ``node_kit`` fixture of ``tests/conftest.py`` (the suite imports
with ``--import-mode=importlib``, so a helper module cannot be imported by name).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.nodes import CarrierNode, NodeSession
from engine.parties.carrier import CarrierParty
from engine.session import SessionSettings
from engine.wire.certificates import load_identity
from engine.wire.channel import Transcript
from engine.wire.grpc_link import LinkSettings
from engine.workspace import PartyFolder
from foundation.faults import FAULT_ENV
from tests.two_nodes_kit import spawn

ROOT = Path(__file__).resolve().parents[1]
LINK = LinkSettings(call_timeout=120, stream_timeout=300)


@dataclass
class Node:
    """A carrier node process, the address it listens on, and its folders."""

    process: subprocess.Popen[str]
    address: str
    data: Path
    workspace: Path

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) if it still runs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    @contextlib.contextmanager
    def party(self) -> Iterator[CarrierParty]:
        """The carrier party on the node's folders, to read its ledger from the test."""
        party = CarrierParty(self.data / "carrier", PartyFolder(self.workspace / "carrier"))
        try:
            yield party
        finally:
            party.close()


def start_carrier(
    data: Path,
    workspace: Path,
    certs: Path,
    airline_fingerprint: str,
    fault: str = "",
    options: Sequence[str] = (),
    *,
    prepare: bool = True,
) -> Node:
    """Prepare the carrier's folder, then start ``crossmesh carrier serve`` on a free port."""
    if prepare:
        node = CarrierNode(data, workspace)
        node.prepare()
        node.close()
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    argv = [
        "carrier", "serve", "--data", str(data), "--workspace", str(workspace),
        "--certs", str(certs), "--peer-fingerprint", airline_fingerprint,
        "--listen", "127.0.0.1:0", *options,
    ]  # fmt: skip
    process, address = spawn(argv, env, None, "carrier node listening on ", "its stderr")
    return Node(process, address, data, workspace)


def open_session(
    root: Path,
    data: Path,
    certs: Path,
    address: str,
    *,
    transcript: Transcript | None = None,
    settings: SessionSettings | None = None,
    link: LinkSettings = LINK,
) -> NodeSession:
    """The airline's prepared session on ``root`` against the carrier node at ``address``."""
    carrier = load_identity(certs, "carrier")
    session = NodeSession(
        root, data, address, load_identity(certs, "airline"), carrier.fingerprint, settings,
        link=link, transcript=transcript,
    )  # fmt: skip
    session.prepare()
    return session
