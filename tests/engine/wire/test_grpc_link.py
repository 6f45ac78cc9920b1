"""The carrier's gRPC service over mutual TLS, against a stand-in carrier (no data, no Paillier).

The service runs in this process on 127.0.0.1 with a fresh authority and certificates; the
stand-in carrier answers each step with fixed, valid messages, so these tests check the link
itself: messages, streams, the version, the pinned certificates and how errors cross. The real
carrier as its own OS process is tested in ``tests/system/test_two_nodes.py``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.dp.accounting import PrivacyCost
from engine.dp.bounds import ContributionBounds
from engine.dp.mechanisms import mechanism_for
from engine.dp.release import build_release
from engine.queries import QuerySpec
from engine.wire.certificates import NodeIdentity, create_authority, issue_node
from engine.wire.grpc_link import LinkSettings, serve_carrier
from engine.wire.messages import (
    AirlineKey,
    BlindedCohort,
    CanaryChallenge,
    CanaryOpening,
    CarrierHello,
    IndicatorPartition,
    NoisedSums,
    PopulationBudget,
    PopulationBudgetAsk,
    PopulationList,
    PopulationListAsk,
    PopulationRelease,
    PopulationReopen,
    PopulationReopened,
    PopulationRequest,
    QueryAccepted,
    QueryRequest,
    ReblindedCohort,
    ReleasePublished,
    ScopePartition,
)
from engine.wire.remote_carrier import RemoteBudgetView, RemoteCarrier
from foundation.errors import BudgetExceeded, InputError, PeerError, ProtocolError

QUERY = "a" * 24
KEY = AirlineKey(b"\x01" * 256)
WIDTH = 256


@dataclass
class StandIn:
    """A carrier that answers every step with fixed messages and remembers what it was sent."""

    partitions: int = 3
    partition_bytes: int = 64
    fail_accept: Exception | None = None
    gate: threading.Event | None = None  # set: Accept waits for it (holding the step lock)
    received: list[int] = field(default_factory=list)
    abandoned: list[tuple[str, str]] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)

    def receive_key(self, message: AirlineKey) -> CarrierHello:
        return CarrierHello("2025-08-01", "2025-08-31")

    def accept(self, message: QueryRequest) -> QueryAccepted:
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail_accept is not None:
            raise self.fail_accept
        return QueryAccepted(message.query_id)

    def reblind(self, message: BlindedCohort) -> ReblindedCohort:
        return ReblindedCohort(message.query_id, message.groups)

    def scope(self, query_id: str) -> Iterator[ScopePartition]:
        for index in range(self.partitions):
            points = bytes([index % 256]) * self.partition_bytes
            yield ScopePartition(query_id, index, self.partitions, points)

    def receive_indicators(self, message: IndicatorPartition) -> None:
        self.received.append(message.index)

    def canary_challenge(self, query_id: str) -> CanaryChallenge:
        return CanaryChallenge(query_id, (1, 2))

    def check_canaries(self, message: CanaryOpening) -> None:
        pass

    def noised_sums(self, query_id: str) -> NoisedSums:
        return NoisedSums(query_id, WIDTH, (1,), b"\x02" * WIDTH)

    def record(self, message: ReleasePublished) -> None:
        self.recorded.append(message.release)

    def abandon(self, query_id: str, reason: str) -> None:
        self.abandoned.append((query_id, reason))

    def busy(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


@dataclass(frozen=True)
class Deployment:
    """One authority's certificates for both nodes, and an intruder's under the same one."""

    airline: NodeIdentity
    carrier: NodeIdentity
    intruder: NodeIdentity


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    """Fresh certificates for 127.0.0.1."""
    authority = create_authority()
    return Deployment(
        issue_node(authority, "airline"),
        issue_node(authority, "carrier"),
        issue_node(authority, "airline"),
    )


@pytest.fixture
def node(deployment: Deployment) -> Iterator[tuple[StandIn, str]]:
    """The stand-in carrier behind the service on a free port of 127.0.0.1."""
    carrier = StandIn()
    serving = serve_carrier(
        carrier, deployment.carrier, deployment.airline.fingerprint, "127.0.0.1:0",
        LinkSettings(call_timeout=10, stream_timeout=20, query_idle_timeout=2.0),
    )  # fmt: skip
    yield carrier, f"127.0.0.1:{serving.port}"
    serving.stop(0)


def _remote(address: str, identity: NodeIdentity, pinned: str, **settings: Any) -> RemoteCarrier:
    link = LinkSettings(call_timeout=10, stream_timeout=20, **settings)
    return RemoteCarrier(address, identity, pinned, link)


def _through_reblind(remote: RemoteCarrier, query_id: str = QUERY) -> None:
    """Steps 0 and 1 of a query (the carrier's replay guard wants every step in order)."""
    remote.accept(QueryRequest(query_id, "b" * 32, "{}"))
    remote.reblind(BlindedCohort(query_id, (b"\x05" * 64,)))


def _whole_query(remote: RemoteCarrier, query_id: str) -> None:
    """Every step of one query, in order."""
    _through_reblind(remote, query_id)
    for partition in remote.scope(query_id):
        remote.receive_indicators(
            IndicatorPartition(query_id, partition.index, 1, WIDTH, b"\x03" * WIDTH * 2)
        )
    remote.canary_challenge(query_id)
    remote.check_canaries(CanaryOpening(query_id, WIDTH, b"\x04" * WIDTH))
    remote.noised_sums(query_id)
    remote.record(ReleasePublished(query_id, "{}"))


def test_each_step_crosses_as_its_typed_message(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """Every step of one query crosses, and the streams carry every partition in order."""
    carrier, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    try:
        assert remote.receive_key(KEY) == CarrierHello("2025-08-01", "2025-08-31")
        assert remote.accept(QueryRequest(QUERY, "b" * 32, "{}")).query_id == QUERY
        cohort = BlindedCohort(QUERY, (b"\x05" * 64,))
        assert remote.reblind(cohort).groups == cohort.groups
        indices = []
        for partition in remote.scope(QUERY):
            indices.append(partition.index)
            remote.receive_indicators(
                IndicatorPartition(QUERY, partition.index, 1, WIDTH, b"\x03" * WIDTH * 2)
            )
        assert remote.canary_challenge(QUERY).positions == (1, 2)
        assert carrier.received == indices == [0, 1, 2]
        remote.check_canaries(CanaryOpening(QUERY, WIDTH, b"\x04" * WIDTH))
        assert remote.noised_sums(QUERY).outputs_per_piece == (1,)
        remote.record(ReleasePublished(QUERY, '{"x": 1}'))
        assert carrier.recorded == ['{"x": 1}']
    finally:
        remote.close()


def test_another_protocol_version_is_refused(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A caller speaking version 3 is refused before its message is read, as a ProtocolError."""
    _, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint, version=3)
    with pytest.raises(ProtocolError, match="protocol version 2, the caller 3"):
        remote.receive_key(KEY)
    remote.close()


def test_an_unpinned_client_certificate_is_refused(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A certificate of the same authority but not the pinned airline's is refused by name."""
    _, address = node
    remote = _remote(address, deployment.intruder, deployment.carrier.fingerprint)
    with pytest.raises(PeerError, match="pins the airline certificate"):
        remote.receive_key(KEY)
    remote.close()


def test_a_client_certificate_of_another_authority_fails_the_handshake(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A certificate the deployment's authority did not issue never gets past TLS."""
    _, address = node
    stranger = issue_node(create_authority(), "airline")
    trusting = NodeIdentity(
        "airline", stranger.certificate_pem, stranger.key_pem, deployment.airline.authority_pem
    )
    remote = _remote(address, trusting, deployment.carrier.fingerprint)
    with pytest.raises(PeerError, match="refused this airline"):
        remote.receive_key(KEY)
    remote.close()


def test_the_airline_pins_the_carrier_certificate(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A carrier node that is not the pinned one is refused before any message is sent."""
    _, address = node
    remote = _remote(address, deployment.airline, deployment.intruder.fingerprint)
    with pytest.raises(PeerError, match="pins the carrier's"):
        remote.receive_key(KEY)
    remote.close()


def test_a_carrier_error_crosses_as_its_own_class(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A refusal of the carrier's ledger arrives as BudgetExceeded with its message; a bug
    arrives as a PeerError naming its type only."""
    carrier, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    carrier.fail_accept = BudgetExceeded("the carrier@2025-08 budget has ρ 0 left")
    with pytest.raises(BudgetExceeded, match="carrier@2025-08 budget"):
        remote.accept(QueryRequest(QUERY, "b" * 32, "{}"))
    carrier.fail_accept = KeyError("090-1234-5678")
    with pytest.raises(PeerError, match="KeyError") as caught:
        remote.accept(QueryRequest("d" * 24, "b" * 32, "{}"))
    assert "090" not in str(caught.value)
    remote.close()


def test_a_broken_indicator_stream_abandons_the_query_at_the_carrier(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """An indicator that is not an IndicatorPartition ends the stream and the carrier's query."""
    carrier, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    remote.receive_key(KEY)
    _through_reblind(remote)
    stream = remote.scope(QUERY)
    next(stream)
    remote.receive_indicators(IndicatorPartition(QUERY, 0, 1, WIDTH, b"\x03" * WIDTH))
    remote.receive_indicators(IndicatorPartition("b" * 24, 1, 1, WIDTH, b"\x03" * WIDTH))
    remote.receive_indicators(IndicatorPartition(QUERY, 2, 1, WIDTH, b"\x03" * WIDTH))
    with pytest.raises(ProtocolError, match="one indicator stream carries one query"):
        remote.canary_challenge(QUERY)
    assert carrier.abandoned and carrier.abandoned[0][0] == QUERY
    remote.close()


def test_abandon_never_raises_when_the_carrier_is_gone(deployment: Deployment) -> None:
    """Giving up a query on a node that is not there is quiet; the next call says why."""
    remote = _remote("127.0.0.1:9", deployment.airline, deployment.carrier.fingerprint)
    remote.abandon(QUERY, "PeerError")
    with pytest.raises(PeerError, match="cannot be reached"):
        remote.receive_key(KEY)
    remote.close()


def test_a_scope_stream_the_airline_drops_abandons_the_query_at_the_carrier(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """An airline that goes away mid-scope (its call cancelled) makes the carrier abandon."""
    carrier, address = node
    carrier.partitions, carrier.partition_bytes = 40, 2**20  # more than HTTP/2 flow control lets by
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    _through_reblind(remote)
    stream = remote.scope(QUERY)
    next(stream)
    remote._cancel_streams()  # as a killed airline process would
    for _ in range(100):
        if carrier.abandoned:
            break
        time.sleep(0.05)
    assert carrier.abandoned == [(QUERY, "the airline broke off the scope stream")]
    remote.close()


def test_a_query_the_airline_leaves_idle_is_abandoned_at_the_carrier(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """Accepted, then silence: after the idle time-out the carrier abandons the query; a query
    whose release was recorded is not touched."""
    carrier, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    other = "c" * 24
    remote.accept(QueryRequest(QUERY, "b" * 32, "{}"))
    _whole_query(remote, other)
    for _ in range(200):
        if carrier.abandoned:
            break
        time.sleep(0.05)
    assert carrier.abandoned == [(QUERY, "the airline sent nothing for 2 s")]
    remote.close()


def test_a_node_without_population_releases_refuses_them(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A service given no population handler says so, as a ProtocolError."""
    _, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    spec = QuerySpec(
        kind="population", region="nanki_shirahama", start="2025-08-01", end="2025-08-03",
        epsilon=1.0,
    )  # fmt: skip
    with pytest.raises(ProtocolError, match="does not serve population releases"):
        remote.population(spec)
    remote.close()


POPULATION = QuerySpec(
    kind="population", region="nanki_shirahama", start="2025-08-01", end="2025-08-03", epsilon=1.0
)


def _published(spec: QuerySpec) -> str:
    cost = PrivacyCost.from_epsilon(1.0)
    return build_release(
        [40], mechanism_for(cost, ContributionBounds(3, 1, 2)), cost,
        row_labels=[("visitor", "50353700")], label_names=["residency", "mesh_code"],
        query_spec=spec.canonical(),
    ).to_json()  # fmt: skip


@dataclass
class StandInDesk:
    """Population answers of a carrier with one published population release (id 3), and a
    cross copy (id 4) it refuses to reopen; remembers the specs it was asked about."""

    asked: list[str] = field(default_factory=list)
    reopen_as: int | None = None  # set: reopen answers with another id (a confused carrier)

    def population(self, message: PopulationRequest) -> PopulationRelease:
        return PopulationRelease(message.query_id, _published(POPULATION))

    def population_budget(self, message: PopulationBudgetAsk) -> PopulationBudget:
        self.asked.append(json.loads(message.spec)["kind"])
        if json.loads(message.spec)["kind"] != "population":
            raise ProtocolError("a population budget question for a visit-map query")
        return PopulationBudget(("carrier@2025-08",), (0.375,), 3)

    def population_releases(self, message: PopulationListAsk) -> PopulationList:
        spec = json.dumps(POPULATION.canonical(), sort_keys=True)
        return PopulationList(((3, "population nanki_shirahama", "2025-08-04", 1.0, 0.0, spec),))

    def population_reopen(self, message: PopulationReopen) -> PopulationReopened:
        if message.release_id == 4:
            raise InputError("carrier release 4 is not a population release")
        number = self.reopen_as or message.release_id
        return PopulationReopened(number, _published(POPULATION))


@pytest.fixture
def desk_node(deployment: Deployment) -> Iterator[tuple[StandIn, StandInDesk, Any, str]]:
    """The stand-in carrier with population answers, on a free port of 127.0.0.1."""
    carrier, desk = StandIn(), StandInDesk()
    serving = serve_carrier(
        carrier, deployment.carrier, deployment.airline.fingerprint, "127.0.0.1:0",
        LinkSettings(call_timeout=10, stream_timeout=20), population=desk,
    )  # fmt: skip
    yield carrier, desk, serving, f"127.0.0.1:{serving.port}"
    serving.stop(0)


def test_the_population_questions_cross_as_typed_messages(
    desk_node: tuple[StandIn, StandInDesk, Any, str], deployment: Deployment
) -> None:
    """The ρ left, the list and a reopened release arrive as the view's values; being read
    only, they claim no stamp in the carrier's replay guard."""
    _, _, serving, address = desk_node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    view = RemoteBudgetView(remote)
    try:
        assert view.answers()
        standing = view.standing(POPULATION)
        assert dict(standing.remaining_rho) == {"carrier@2025-08": 0.375}
        assert standing.release_id == 3 and standing.cached
        (entry,) = view.releases()
        assert (entry.release_id, dict(entry.spec)) == (3, POPULATION.canonical())
        assert view.reopen(3).query_spec == POPULATION.canonical()
        assert serving.service.guard.open_queries() == []
        rows = serving.service.guard._db.execute("SELECT COUNT(*) FROM queries").fetchone()
        assert rows == (0,)
    finally:
        remote.close()


def test_the_carriers_refusals_of_population_questions_cross_by_class(
    desk_node: tuple[StandIn, StandInDesk, Any, str], deployment: Deployment
) -> None:
    """A cross spec's budget and a cross copy's reopening are refused at the carrier, by class;
    a reopened release with another id than asked is refused at the airline."""
    _, desk, _, address = desk_node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    cross = QuerySpec(
        kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-03", epsilon=1.0
    )
    try:
        with pytest.raises(ProtocolError, match="budget question for a visit-map query"):
            remote.population_standing(cross)
        assert desk.asked == ["visit-map"]
        with pytest.raises(InputError, match="not a population release"):
            remote.population_reopen(4)
        desk.reopen_as = 5
        with pytest.raises(ProtocolError, match="another release than the one asked"):
            remote.population_reopen(3)
    finally:
        remote.close()


def test_population_questions_do_not_wait_for_a_running_step(
    desk_node: tuple[StandIn, StandInDesk, Any, str], deployment: Deployment
) -> None:
    """While a step holds the carrier's step lock, the dashboard's budget question is answered."""
    carrier, _, _, address = desk_node
    carrier.gate = threading.Event()
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    accepting = threading.Thread(target=remote.accept, args=(QueryRequest(QUERY, "b" * 32, "{}"),))
    accepting.start()
    try:
        time.sleep(0.3)  # the Accept call is inside the step lock now
        assert accepting.is_alive()
        assert remote.population_standing(POPULATION).release_id == 3
    finally:
        carrier.gate.set()
        accepting.join(10)
        remote.close()


def test_a_node_without_population_answers_refuses_the_questions(
    node: tuple[StandIn, str], deployment: Deployment
) -> None:
    """A service given no population desk refuses the questions too; the view says it does
    not answer."""
    _, address = node
    remote = _remote(address, deployment.airline, deployment.carrier.fingerprint)
    try:
        with pytest.raises(ProtocolError, match="does not serve population releases"):
            remote.population_standing(POPULATION)
        assert not RemoteBudgetView(remote).answers()
    finally:
        remote.close()
