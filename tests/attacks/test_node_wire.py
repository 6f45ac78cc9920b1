"""An observer of the socket between two node processes, and of the messages at the airline's end.

A carrier node runs as its own OS process (``crossmesh carrier serve``); the airline reaches it
through a TCP relay on 127.0.0.1 that records every byte either way, and its gRPC stub carries a
client interceptor that records every request and response body. One query of every cross kind
runs through them (2048-bit keys: the node accepts no smaller ones), and one population release
(the carrier's own statistic: one call, the question and the published release). Then:

* every message body — the protocol's messages and the control messages between the nodes —
  carries no phone number, ID, date, mesh or municipality code or label (the transcript test's
  scanner, ``tests/attacks/conftest.py``), and its ciphertexts are all above ``n``;
* the socket bytes are TLS records from the first byte on, both ways (handshake ``0x16 0x03``,
  then records of known types only), hold none of the plaintext message bodies, and none of the
  forbidden tokens either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.ledger import Scope
from engine.nodes import CarrierNode
from engine.queries import KINDS as ALL_KINDS
from engine.queries import QuerySpec
from engine.wire.certificates import load_identity, write_demo_certificates
from engine.wire.messages import decode_message
from engine.wire.remote_carrier import RemoteCarrier

pytestmark = pytest.mark.slow

KINDS = tuple(kind for kind in ALL_KINDS if kind != "population")  # the cross kinds
POPULATION = QuerySpec(
    kind="population", region="nanki_shirahama", start="2025-08-01", end="2025-08-03", epsilon=1.0
)
TLS_TYPES = {20, 21, 22, 23}  # change_cipher_spec, alert, handshake, application_data
WINDOW, STRIDE = 48, 1 << 16  # body windows searched for in the socket bytes (a sample:
# a body crossing in plaintext would show every one of its windows)


def _budgets(ledger: Any, kit: ModuleType) -> None:
    for month in kit.MONTHS:
        for pair in ("airline+carrier", "carrier"):
            ledger.set_budget(Scope(pair, month), kit.BUDGET, "attack-test")


@pytest.fixture(scope="module")
def recorded(
    kit: ModuleType,
    node_kit: ModuleType,
    tiny_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """Per kind the bodies of its release; the relay's connections; the airline's modulus."""
    certs = tmp_path_factory.mktemp("certs")
    prints = write_demo_certificates(certs)
    carrier_ws = tmp_path_factory.mktemp("carrier-ws")
    carrier = CarrierNode(tiny_dir, carrier_ws)
    carrier.prepare()
    _budgets(carrier.party.ledger, kit)
    carrier.close()
    node = node_kit.start_carrier(tiny_dir, carrier_ws, certs, prints["airline"], prepare=False)
    relay = kit.SocketRelay(node.address)
    recorder = kit.MessageRecorder()
    found: dict[str, Any] = {}
    try:
        session = node_kit.open_session(
            tmp_path_factory.mktemp("airline-ws"), tiny_dir, certs, relay.address
        )
        session.carrier.close()  # the same link, through the relay and the recorder
        session.carrier = RemoteCarrier(
            relay.address, load_identity(certs, "airline"), prints["carrier"],
            node_kit.LINK, interceptors=[recorder],
        )  # fmt: skip
        with session:
            _budgets(session.airline.ledger, kit)
            for kind in KINDS:
                before = len(recorder.bodies)
                session.release(QuerySpec(kind=kind, epsilon=1.0, **kit.WIRE_SPECS[kind]))
                found[kind] = recorder.bodies[before:]
            before = len(recorder.bodies)
            found["population_rows"] = len(session.release(POPULATION).values)
            found["population"] = recorder.bodies[before:]
            found["n"] = int(session.airline.keys.public.n)
    finally:
        relay.close()
        node.stop()
    found["connections"] = relay.connections
    yield found


@pytest.mark.parametrize("kind", [*KINDS, "population"])
def test_every_message_body_carries_nothing_identifying(
    kind: str,
    recorded: dict[str, Any],
    kit: ModuleType,
    forbidden: tuple[set[bytes], set[bytes]],
    identifiers: set[bytes],
) -> None:
    """Each body of the kind's release, both ways, is clean; every step of the query crossed."""
    bodies = recorded[kind]
    methods = {body.method for body in bodies}
    if kind == "population":  # one call: the question, and the published release
        assert [(b.method, b.direction) for b in bodies] == [
            ("Population", "request"),
            ("Population", "response"),
        ]
        assert recorded["population_rows"] > 0
    else:
        assert methods >= {"Accept", "Reblind", "Scope", "Indicators", "NoisedSums", "Record"}
    scanner = kit.Scanner(*forbidden)
    for body in bodies:
        kit.assert_clean(decode_message(body.payload), scanner, identifiers, recorded["n"])


def _tls_records(stream: bytes) -> Iterator[tuple[int, int]]:
    """(content type, length) of each TLS record of one direction of a connection."""
    offset = 0
    while offset + 5 <= len(stream):
        kind, major, length = stream[offset], stream[offset + 1], stream[offset + 3 : offset + 5]
        assert major == 3, f"not a TLS record at byte {offset}"
        size = int.from_bytes(length, "big")
        assert size <= 2**14 + 2048, f"a TLS record of {size} bytes at byte {offset}"
        yield kind, size
        offset += 5 + size


def test_the_socket_carries_tls_records_only(recorded: dict[str, Any]) -> None:
    """Every connection opens with a TLS handshake both ways and is TLS records to the end."""
    connections = [c for c in recorded["connections"] if c.upstream]
    assert len(connections) >= 2  # the pinning handshake and the gRPC channel
    for connection in connections:
        for stream in (bytes(connection.upstream), bytes(connection.downstream)):
            assert stream[:2] == b"\x16\x03"
            kinds = {kind for kind, _ in _tls_records(stream)}
            assert kinds <= TLS_TYPES and 23 in kinds  # application data, all encrypted


def test_the_socket_holds_no_plaintext_body_and_no_forbidden_token(
    recorded: dict[str, Any],
    kit: ModuleType,
    forbidden: tuple[set[bytes], set[bytes]],
) -> None:
    """No window of any message body, and no forbidden token, is in the bytes on the socket."""
    streams = [
        bytes(stream)
        for connection in recorded["connections"]
        for stream in (connection.upstream, connection.downstream)
    ]
    assert sum(map(len, streams)) > 1_000_000
    scanner = kit.Scanner(*forbidden)
    for stream in streams:
        leaked = scanner.leaked(stream)
        assert not leaked, f"the socket carries {sorted(leaked)[:5]}"
    bodies = [body.payload for kind in [*KINDS, "population"] for body in recorded[kind]]
    windows = {
        body[start : start + WINDOW]
        for body in bodies
        for start in range(0, max(1, len(body) - WINDOW + 1), STRIDE)
    }
    assert len(windows) > 100
    plain = b"".join(bodies)  # the search is live: unencrypted, every window would be found
    assert all(window in plain for window in windows)
    for stream in streams:
        assert not [w for w in windows if w in stream], "a message body crossed in plaintext"
