"""The embedded session: both parties in one process, each on its own folders, joined by a channel.

:class:`SecureSession` only *orders* the messages of protocol v2 (DESIGN §3); it holds no data and
decides nothing. The airline party reads ``DATA/airline`` and ``WS/airline`` only, the carrier
party ``DATA/carrier`` and ``WS/carrier`` only, and every message between them is encoded,
optionally recorded in a :class:`~engine.wire.channel.Transcript`, and decoded again, so that what
crosses is exactly what a network would carry.

One cross query::

    A open_query ─QueryRequest→ C accept ─QueryAccepted→ A
    A blinded_cohort ─BlindedCohort→ C reblind ─ReblindedCohort→ A
    C scope ─ScopePartition→ A indicators ─IndicatorPartition→ C   (per partition, streamed)
    C canary_challenge ─CanaryChallenge→ A open_canaries ─CanaryOpening→ C check_canaries
    C noised_sums ─NoisedSums→ A publish ─ReleasePublished→ C record

Any failure abandons the query on both sides: each ledger records its reservation as abandoned.
``population`` releases are the carrier's own and never reach the airline.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.dp import Release
from engine.parallel import make_runner
from engine.parties.airline import AirlineParty
from engine.parties.carrier import CarrierParty, PrepareSummary
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.wire.channel import Channel, Transcript
from engine.wire.messages import (
    AirlineKey,
    BlindedCohort,
    CanaryChallenge,
    CanaryOpening,
    CarrierHello,
    IndicatorPartition,
    NoisedSums,
    QueryAccepted,
    QueryRequest,
    ReblindedCohort,
    ReleasePublished,
    ScopePartition,
)
from engine.workspace import Workspace
from foundation.errors import ConfigError, ProtocolError
from foundation.faults import fault_point
from geo.areas import DEFAULT_GEO_DIR, AreaMap, load_area_map

__all__ = [
    "POOL_ENV",
    "PRODUCT_MASKS",
    "PRODUCT_POOL",
    "PRODUCT_PREBLIND",
    "CarrierPeer",
    "QueryOrder",
    "SecureSession",
    "SessionSettings",
]

POOL_ENV = "CROSSMESH_RANDOMISER_POOL"
PRODUCT_POOL = 100_000  # ≈ 55 MB of residues: the largest demo release without waiting
PRODUCT_MASKS = 1_000  # ≈ 0.5 MB: the outputs of several releases (≈ 60 to 330 each)
PRODUCT_PREBLIND = 250_000  # ≈ 60–80 MB a party when full; the demo carrier's every record fits

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SessionSettings:
    """Tunable parameters of a session.

    ``randomiser_pool`` is how many of the airline's single-use Paillier randomisers, and
    ``mask_pool`` how many of the carrier's uniform masks, are computed ahead while idle
    (:mod:`engine.crypto.pool`); the product's long-running services use :data:`PRODUCT_POOL`
    and :data:`PRODUCT_MASKS`, one-shot commands and tests none. ``preblind`` is how many of
    its own recently blinded points each party raises to the next query's scalar while idle
    (:mod:`engine.crypto.preblind`; the services use :data:`PRODUCT_PREBLIND`).
    ``carrier_scheduler`` is where the carrier's per-partition products run
    (:func:`engine.parallel.make_runner`: in this process by default, ``threads``, ``local`` for
    its own Dask cluster, or a scheduler address); those tasks carry the public modulus, slot
    numbers and ciphertexts only.
    """

    key_bits: int = 2048
    policy: SideChannelPolicy = field(default_factory=SideChannelPolicy)
    randomiser_pool: int = 0
    mask_pool: int = 0
    preblind: int = 0
    carrier_scheduler: str = "synchronous"
    carrier_workers: int | None = None
    min_peer_key_bits: int = 2048

    @classmethod
    def for_service(cls, **fields: Any) -> SessionSettings:
        """A long-running service's or node's settings: pools and pre-blinding on.

        ``CROSSMESH_RANDOMISER_POOL`` sets the airline's pool size; 0 turns the pools and the
        pre-blinding off (tests, and machines short of memory). ``fields`` set the rest.
        """
        pool = int(os.environ.get(POOL_ENV, PRODUCT_POOL))
        masks, preblind = (PRODUCT_MASKS, PRODUCT_PREBLIND) if pool else (0, 0)
        return cls(randomiser_pool=pool, mask_pool=masks, preblind=preblind, **fields)


class CarrierPeer(Protocol):
    """The carrier's steps the session orders: a :class:`CarrierParty` in this process, or a
    :class:`~engine.wire.remote_carrier.RemoteCarrier` calling a carrier node."""

    def receive_key(self, message: AirlineKey) -> CarrierHello: ...
    def accept(self, message: QueryRequest) -> QueryAccepted: ...
    def reblind(self, message: BlindedCohort) -> ReblindedCohort: ...
    def scope(self, query_id: str) -> Iterator[ScopePartition]: ...
    def receive_indicators(self, message: IndicatorPartition) -> None: ...
    def canary_challenge(self, query_id: str) -> CanaryChallenge: ...
    def check_canaries(self, message: CanaryOpening) -> None: ...
    def noised_sums(self, query_id: str) -> NoisedSums: ...
    def record(self, message: ReleasePublished) -> object: ...
    def abandon(self, query_id: str, reason: str) -> None: ...
    def busy(self) -> contextlib.AbstractContextManager[None]: ...


class QueryOrder:
    """The order of protocol v2's messages between an airline party and a carrier peer.

    Subclasses build the two ends: :class:`SecureSession` both parties in this process,
    :class:`engine.nodes.NodeSession` the airline here and the carrier on its own node.
    """

    airline: AirlineParty
    carrier: CarrierPeer
    channel: Channel
    _key_sent: bool = False

    def connect(self) -> None:
        """Hand the airline's public key to the carrier, and the carrier's data period back."""
        if not self._key_sent:
            hello = self.carrier.receive_key(
                self.channel.deliver("airline", "carrier", self.airline.key_message())
            )
            self.airline.receive_hello(self.channel.deliver("carrier", "airline", hello))
            self._key_sent = True

    def release(self, spec: QuerySpec, progress: Progress | None = None) -> Release:
        """Run one release (or serve it from the airline's ledger) and return it."""
        tell = progress or (lambda _step, _fraction: None)
        if spec.kind == "population":
            return self._population_release(spec)
        opened = self.airline.open_query(spec)
        if isinstance(opened, Release):
            tell("cached", 1.0)
            return opened
        try:
            self.connect()
            with self.airline.busy(), self.carrier.busy():
                release = self._run(opened, tell)
        except BaseException as err:
            self.airline.abandon(opened.query_id, type(err).__name__)
            self.carrier.abandon(opened.query_id, type(err).__name__)
            served = self.airline.cached_release(spec) if isinstance(err, ProtocolError) else None
            if served is None:  # else: an identical release in another process got there first
                raise
            release = served
        tell("done", 1.0)
        return release

    def _run(self, request: QueryRequest, tell: Progress) -> Release:
        a, c, send = self.airline, self.carrier, self.channel.deliver
        served = a.accepted(
            send("carrier", "airline", c.accept(send("airline", "carrier", request)))
        )
        if served is not None:  # released by another process meanwhile: the carrier's side goes
            c.abandon(request.query_id, "served from the airline's cache")
            return served
        fault_point("query.reserved")  # tests kill the airline here, and at the two below
        tell("join", 0.1)
        cohort = send("airline", "carrier", a.blinded_cohort(request.query_id))
        a.receive_reblinded(send("carrier", "airline", c.reblind(cohort)))
        tell("scope", 0.3)
        for partition in c.scope(request.query_id):
            answer = a.indicators(send("carrier", "airline", partition))
            c.receive_indicators(send("airline", "carrier", answer))
            fault_point("query.indicators")
        challenge = send("carrier", "airline", c.canary_challenge(request.query_id))
        c.check_canaries(send("airline", "carrier", a.open_canaries(challenge)))
        tell("sums", 0.8)
        sums = send("carrier", "airline", c.noised_sums(request.query_id))
        release, published = a.publish(sums)
        fault_point("query.published")
        c.record(send("airline", "carrier", published))
        return release

    def _population_release(self, spec: QuerySpec) -> Release:
        """A carrier-only release: the carrier's own, never the airline's."""
        raise ConfigError("population releases are the carrier's own; ask the carrier's node")


class SecureSession(QueryOrder):
    """The airline and the carrier parties of one workspace, and the channel between them."""

    carrier: CarrierParty

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        settings: SessionSettings | None = None,
        *,
        transcript: Transcript | None = None,
        area_map: AreaMap | None = None,
    ) -> None:
        settings = settings or SessionSettings()
        self.workspace = Workspace.open(workspace)
        data_dir = Path(data_dir)
        self.airline = AirlineParty(
            data_dir / "airline", self.workspace.airline,
            key_bits=settings.key_bits, policy=settings.policy,
            randomiser_pool=settings.randomiser_pool, preblind=settings.preblind,
        )  # fmt: skip
        self.carrier = CarrierParty(
            data_dir / "carrier", self.workspace.carrier, policy=settings.policy,
            mask_pool=settings.mask_pool, preblind=settings.preblind,
            runner=make_runner(settings.carrier_scheduler, settings.carrier_workers),
            min_key_bits=settings.min_peer_key_bits,
        )  # fmt: skip
        self.channel = Channel(transcript)
        self._area_map = area_map
        self._key_sent = False

    @property
    def area_map(self) -> AreaMap:
        """The municipal areas the carrier's views use."""
        if self._area_map is None:
            self._area_map = load_area_map(DEFAULT_GEO_DIR)
        return self._area_map

    def prepare(self, progress: Callable[[str, int, int], None] | None = None) -> PrepareSummary:
        """Both parties' offline steps: the carrier's views, the airline's key pair."""
        self.airline.prepare()
        return self.carrier.prepare(self.area_map, progress)

    def _population_release(self, spec: QuerySpec) -> Release:
        """The carrier's own release, in this process."""
        return self.carrier.population_release(spec, self.area_map)

    def close(self) -> None:
        """Close both ledgers, the pools and the carrier's runner."""
        self.airline.close()
        self.carrier.close()
        self.carrier.runner.close()

    def __enter__(self) -> SecureSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
