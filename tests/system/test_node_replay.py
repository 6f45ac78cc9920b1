"""Replays and strangers against a real carrier node process (``crossmesh carrier serve``).

The airline's own session re-sends messages of a finished query (each with the stamp it carried,
:mod:`engine.wire.replay`) and sends a step out of its order: the carrier node refuses each with a
ProtocolError before running it, logs a refusal in its audit log, charges nothing, and still
refuses a replayed Accept after a restart. An airline certificate issued by the deployment's own
authority but not the pinned one is refused too. The next honest query works throughout.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.ledger.values import AuditAction
from engine.nodes import NodeSession
from engine.queries import QuerySpec
from engine.wire.certificates import NodeIdentity, create_authority, issue_node
from engine.wire.channel import Transcript
from engine.wire.messages import (
    AirlineKey,
    PopulationRelease,
    PopulationRequest,
    QueryRequest,
    decode_message,
)
from engine.wire.remote_carrier import RemoteCarrier
from foundation.errors import PeerError, ProtocolError

SPEC = QuerySpec(kind="visit-map", airport="FUK", start="2025-08-01", end="2025-08-14", epsilon=1.0)


def _write(folder: Path, identity: NodeIdentity) -> None:
    (folder / "ca.pem").write_bytes(identity.authority_pem)
    (folder / f"{identity.party}.pem").write_bytes(identity.certificate_pem)
    (folder / f"{identity.party}.key").write_bytes(identity.key_pem)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NodeIdentity]:
    """Both nodes' certificates in a folder, and an intruder's issued by the same authority."""
    folder = tmp_path_factory.mktemp("certs")
    authority = create_authority()
    for party in ("airline", "carrier"):
        _write(folder, issue_node(authority, party))
    return folder, issue_node(authority, "airline")


@pytest.fixture(scope="module")
def world(
    node_kit: ModuleType,
    tiny_dir: Path,
    deployment: tuple[Path, NodeIdentity],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """A carrier node process, and the airline's recorded session against it."""
    certs, _ = deployment
    airline = node_kit.load_identity(certs, "airline")
    workspace = tmp_path_factory.mktemp("carrier-ws")
    node = node_kit.start_carrier(tiny_dir, workspace, certs, airline.fingerprint)
    transcript = Transcript()
    session = node_kit.open_session(
        tmp_path_factory.mktemp("airline-ws"), tiny_dir, certs, node.address,
        transcript=transcript,
    )  # fmt: skip
    found: dict[str, Any] = {"node": node, "session": session, "transcript": transcript}
    yield found
    session.close()
    found["node"].stop()


def _sent(transcript: Transcript, kind: str) -> Any:
    """The last message of ``kind`` the airline sent."""
    entries = [e for e in transcript.entries if e.kind == kind and e.sender == "airline"]
    return decode_message(entries[-1].payload)


def _carrier_ledger(world: dict[str, Any]) -> tuple[float, list[str]]:
    """(ρ spent over every scope, details of the refusals) in the carrier's ledger."""
    with world["node"].party() as party:
        spent = sum(status.spent_rho for status in party.ledger.budgets())
        refusals = [e.detail for e in party.ledger.audit() if e.action == AuditAction.REFUSE]
    return spent, refusals


def test_replayed_messages_of_a_finished_query_are_refused_and_charge_nothing(
    world: dict[str, Any],
) -> None:
    """The Accept and the Reblind of a released query, sent again: refused, logged, free."""
    session: NodeSession = world["session"]
    session.release(SPEC)
    spent, refusals = _carrier_ledger(world)
    transcript = world["transcript"]
    with pytest.raises(ProtocolError, match=r"refuses this Accept call: .*replayed Accept"):
        session.carrier.accept(_sent(transcript, "query_request"))
    with pytest.raises(ProtocolError, match=r"Reblind call: .*finished or was abandoned"):
        session.carrier.reblind(_sent(transcript, "blinded_cohort"))
    spent_after, refusals_after = _carrier_ledger(world)
    assert spent_after == spent
    assert [d.split(":")[0] for d in refusals_after[len(refusals) :]] == [
        "refused Accept",
        "refused Reblind",
    ]


def test_a_step_out_of_its_order_is_refused_and_the_next_query_works(
    world: dict[str, Any],
) -> None:
    """Accepted, then the noised sums asked for before the cohort: refused; the query is given
    up; the next honest query is released."""
    session: NodeSession = world["session"]
    session.connect()
    request = session.airline.open_query(dataclasses.replace(SPEC, end="2025-08-13"))
    assert isinstance(request, QueryRequest)
    session.carrier.accept(request)
    with pytest.raises(ProtocolError, match="expects step 1 now, this call is step 6"):
        session.carrier.noised_sums(request.query_id)
    session.airline.abandon(request.query_id, "test")
    session.carrier.abandon(request.query_id, "test")
    spec = dataclasses.replace(SPEC, end="2025-08-12")
    assert session.release(spec).query_spec == spec.canonical()


def test_a_replayed_accept_is_refused_after_the_carrier_restarts(
    world: dict[str, Any], node_kit: ModuleType, tiny_dir: Path, deployment: tuple[Path, Any]
) -> None:
    """The stamps are kept in the carrier's workspace: a new node process still refuses."""
    certs, _ = deployment
    # A query of this test's own (pytest-xdist may run the module's tests on several workers).
    world["session"].release(dataclasses.replace(SPEC, end="2025-08-11"))
    old = world["node"]
    old.stop()
    world["node"] = node_kit.start_carrier(
        tiny_dir, old.workspace, certs, node_kit.load_identity(certs, "airline").fingerprint,
        prepare=False,
    )  # fmt: skip
    session: NodeSession = world["session"]
    session.carrier.close()
    session.carrier = RemoteCarrier(
        world["node"].address, session.carrier.identity, session.carrier.carrier_fingerprint,
        session.carrier.settings,
    )  # fmt: skip
    session._key_sent = False
    session.connect()
    with pytest.raises(ProtocolError, match="replayed Accept"):
        session.carrier.accept(_sent(world["transcript"], "query_request"))


def test_an_unpinned_certificate_of_the_same_authority_is_refused(
    world: dict[str, Any], deployment: tuple[Path, NodeIdentity], node_kit: ModuleType
) -> None:
    """The authority issued it, but the carrier node pins another airline certificate."""
    certs, intruder = deployment
    carrier = node_kit.load_identity(certs, "carrier")
    remote = RemoteCarrier(world["node"].address, intruder, carrier.fingerprint)
    try:
        with pytest.raises(PeerError, match="pins the airline certificate"):
            remote.receive_key(AirlineKey(b"\x01" * 256))
    finally:
        remote.close()


POPULATION = QuerySpec(
    kind="population", region="nanki_shirahama", start="2025-08-01", end="2025-08-03", epsilon=1.0
)


def test_a_population_release_is_the_carrier_node_s_alone(world: dict[str, Any]) -> None:
    """Through the node: charged to the carrier's ledger only, served again for free, and its
    request, replayed, refused."""
    session: NodeSession = world["session"]
    airline_before = session.airline.ledger.totals()
    release = session.release(POPULATION)
    assert release.query_spec == POPULATION.canonical() and release.values
    assert session.airline.ledger.totals() == airline_before  # nothing of the airline's
    with world["node"].party() as party:
        assert POPULATION.spec_hash in [r.spec_hash for r in party.ledger.releases()]
        spent = party.ledger.totals().spent_rho
    assert session.release(POPULATION).values == release.values  # the carrier's cache
    with world["node"].party() as party:
        assert party.ledger.totals().spent_rho == spent
    request = PopulationRequest("e" * 24, json.dumps(POPULATION.canonical()))
    session.carrier._unary("Population", request, PopulationRelease)
    with pytest.raises(ProtocolError, match="replayed Population"):
        session.carrier._unary("Population", request, PopulationRelease)
