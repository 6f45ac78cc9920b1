"""System-test fixtures shared by the modules that run the two nodes as OS processes.

``node_certs`` is one set of throw-away certificates for the session; ``two_nodes`` a carrier
node and an airline node on the tiny world, each in its own process and folders
(:mod:`tests.node_kit`), for the module that asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.wire.certificates import write_demo_certificates
from tests.node_kit import NodeProcess, PartyFolders, start_airline, start_carrier


@dataclass
class TwoNodes:
    """Both nodes of one deployment: the data, the certificates, the two processes."""

    data: Path
    certs: Path
    carrier: NodeProcess
    airline: NodeProcess


@pytest.fixture(scope="session")
def node_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Throw-away certificates for both nodes and the dashboard (``crossmesh certs``)."""
    folder = tmp_path_factory.mktemp("node-certs")
    write_demo_certificates(folder)
    return folder


@pytest.fixture(scope="module")
def two_nodes(
    tiny_dir: Path, node_certs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoNodes]:
    """A carrier node and an airline node on the tiny world, stopped (SIGTERM) at the end."""
    root = tmp_path_factory.mktemp("two-nodes")
    carrier = start_carrier(tiny_dir, PartyFolders(root / "carrier"), node_certs)
    try:
        airline = start_airline(
            tiny_dir, PartyFolders(root / "airline"), node_certs, carrier.address
        )
    except BaseException:
        carrier.stop()
        raise
    nodes = TwoNodes(tiny_dir, node_certs, carrier, airline)
    yield nodes
    assert nodes.airline.stop() == 0  # a clean stop
    assert nodes.carrier.stop() == 0
