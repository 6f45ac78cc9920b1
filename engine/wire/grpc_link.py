"""The carrier's side of protocol v2 as a gRPC service over mutual TLS.

Why gRPC: it is a well-kept RPC stack with HTTP/2 flow control (the scope and the indicators
stream partition by partition, so neither side holds a whole list it has not asked for),
deadlines on every call, bounded message sizes, and TLS with client certificates from the same
library. We use it without generated stubs: each method is a *generic* handler whose request and
response are the bytes of one typed message of :mod:`engine.wire.messages`, decoded (and so
validated) at the edge of every handler — no framing or crypto of our own.

One RPC per step the airline asks of the carrier (service :data:`SERVICE`)::

    Connect         AirlineKey          → CarrierHello
    Accept          QueryRequest        → QueryAccepted
    Reblind         BlindedCohort       → ReblindedCohort
    Scope           StepRequest         → stream ScopePartition
    Indicators      stream IndicatorPartition → Acknowledged
    CanaryChallenge StepRequest         → CanaryChallenge
    CheckCanaries   CanaryOpening       → Acknowledged
    NoisedSums      StepRequest         → NoisedSums
    Record          ReleasePublished    → Acknowledged
    Abandon         QueryAbandoned      → Acknowledged
    Population      PopulationRequest   → PopulationRelease   (the carrier's own statistic)
    PopulationBudget   PopulationBudgetAsk → PopulationBudget    (read only: its ledger's ρ left)
    PopulationReleases PopulationListAsk   → PopulationList      (read only: published releases)
    PopulationReopen   PopulationReopen    → PopulationReopened  (read only: one of them again)

Every call carries the protocol version in its metadata (:data:`VERSION_KEY`); the service
refuses another version before it reads the request. It also refuses a client whose certificate
(checked by TLS against the deployment's authority) is not the one pinned by SHA-256
fingerprint. Errors cross as a status whose details start with the error's class name, so the
airline raises the same :mod:`foundation.errors` class the carrier raised; a bug on the carrier
crosses as its type name only, never its message.

Every call about a query also carries its stamp (query id and step number,
:mod:`engine.wire.replay`); the service's :class:`~engine.wire.replay.ReplayGuard` refuses a
replayed Accept and any later step out of its order before the carrier runs it. The three
read-only population calls belong to no query: they carry no stamp, change nothing, and do not
wait for the step lock (they read the carrier's ledger, which has a lock of its own).

The carrier's steps are called one at a time (a lock), and a stream broken off by the airline
abandons the query at the carrier, so its reservation is recorded as abandoned; so does an
airline that connects again (a restarted airline node) for the queries it left between calls.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import grpc

from engine.wire.certificates import NodeIdentity
from engine.wire.messages import (
    PROTOCOL_VERSION,
    Acknowledged,
    AirlineKey,
    BlindedCohort,
    CanaryChallenge,
    CanaryOpening,
    CarrierHello,
    IndicatorPartition,
    Message,
    NoisedSums,
    PopulationBudget,
    PopulationBudgetAsk,
    PopulationList,
    PopulationListAsk,
    PopulationRelease,
    PopulationReopen,
    PopulationReopened,
    PopulationRequest,
    QueryAbandoned,
    QueryAccepted,
    QueryRequest,
    ReblindedCohort,
    ReleasePublished,
    ScopePartition,
    StepRequest,
    decode_message,
    encode_message,
)
from engine.wire.pinned import CROSSING, PinnedGate
from engine.wire.replay import ReplayGuard
from foundation.errors import ConfigError, CrossmeshError, PeerError, ProtocolError
from foundation.faults import fault_point

__all__ = [
    "SERVICE",
    "VERSION_KEY",
    "CarrierService",
    "CarrierSteps",
    "LinkSettings",
    "PopulationDesk",
    "Serving",
    "decode_as",
    "error_from_status",
    "serve_carrier",
]

SERVICE = "crossmesh.v2.Carrier"
FINAL_METHODS = (
    "Record",
    "Abandon",
    "Population",
)  # after these the carrier holds nothing of the query
READ_ONLY = ("PopulationBudget", "PopulationReleases", "PopulationReopen")  # no query, no stamp
VERSION_KEY = "crossmesh-protocol"
M = TypeVar("M")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkSettings:
    """Time-outs (seconds) and size bounds of the link; ``version`` only differs in tests.

    ``call_timeout`` bounds one step (the cohort's re-blinding and the noised sums are the
    longest), ``stream_timeout`` a whole scope or indicator stream, ``max_message_bytes`` any one
    message either way (a partition of indicators is ``partition_points`` × pieces × 512 bytes).
    """

    call_timeout: float = 300.0
    stream_timeout: float = 1800.0
    abandon_timeout: float = 5.0
    query_idle_timeout: float = 900.0
    max_message_bytes: int = 128 * 2**20
    version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        for name in ("call_timeout", "stream_timeout", "abandon_timeout", "query_idle_timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be a positive number of seconds")
        if self.max_message_bytes < 2**20:
            raise ConfigError("max_message_bytes must be at least 1 MiB")

    @property
    def channel_options(self) -> list[tuple[str, int]]:
        """gRPC options bounding what this end sends and accepts."""
        return [
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_receive_message_length", self.max_message_bytes),
        ]

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The metadata every call carries."""
        return ((VERSION_KEY, str(self.version)),)


class CarrierSteps(Protocol):
    """The carrier's steps the service calls (:class:`engine.parties.carrier.CarrierParty`)."""

    def receive_key(self, message: AirlineKey) -> CarrierHello: ...
    def accept(self, message: QueryRequest) -> QueryAccepted: ...
    def reblind(self, message: BlindedCohort) -> ReblindedCohort: ...
    def scope(self, query_id: str) -> Iterator[ScopePartition]: ...
    def receive_indicators(self, message: IndicatorPartition) -> None: ...
    def canary_challenge(self, query_id: str) -> CanaryChallenge: ...
    def check_canaries(self, message: CanaryOpening) -> None: ...
    def noised_sums(self, query_id: str) -> NoisedSums: ...
    def record(self, message: ReleasePublished) -> Any: ...
    def abandon(self, query_id: str, reason: str) -> None: ...
    def busy(self) -> contextlib.AbstractContextManager[None]: ...


class PopulationDesk(Protocol):
    """The carrier's own population releases and what the airline may know of them
    (:class:`engine.nodes.carrier_node.CarrierNode`)."""

    def population(self, message: PopulationRequest) -> PopulationRelease: ...
    def population_budget(self, message: PopulationBudgetAsk) -> PopulationBudget: ...
    def population_releases(self, message: PopulationListAsk) -> PopulationList: ...
    def population_reopen(self, message: PopulationReopen) -> PopulationReopened: ...


def decode_as(blob: bytes, expected: type[M]) -> M:
    """Decode one message and check that it is of the type this step expects."""
    message = decode_message(blob)
    if not isinstance(message, expected):
        raise ProtocolError(f"expected a {expected.__name__} message, got {message.kind}")
    return message


def error_from_status(code: grpc.StatusCode, details: str, where: str) -> CrossmeshError:
    """The Crossmesh error a failed call stands for, its message naming ``where`` it failed."""
    name, _, message = (details or "").partition(": ")
    if name in CROSSING and message:
        return CROSSING[name](f"{where}: {message}")
    if code == grpc.StatusCode.UNAVAILABLE:
        if any(word in details.lower() for word in ("ssl", "handshake", "certificate", "tls")):
            return PeerError(
                f"{where}: the TLS handshake failed ({details}); check that this node's "
                "certificate is issued by the deployment's authority and trusted by the peer"
            )
        return PeerError(
            f"{where}: the peer node cannot be reached or closed the connection ({details}); "
            "is it running at that address, and does it trust this node's certificate?"
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return PeerError(f"{where}: the peer node did not answer in time; it may be overloaded")
    return PeerError(f"{where}: the call failed ({code.name}: {details})")


class CarrierService(grpc.GenericRpcHandler):
    """The carrier's steps behind gRPC, for the one airline whose certificate is pinned."""

    def __init__(
        self,
        carrier: CarrierSteps,
        airline_fingerprint: str,
        settings: LinkSettings,
        guard: ReplayGuard | None = None,
        population: PopulationDesk | None = None,
    ) -> None:
        self.carrier = carrier
        self.population = population
        self.guard = guard or ReplayGuard()
        self.gate = PinnedGate(
            node="carrier node",
            version_key=VERSION_KEY,
            version=PROTOCOL_VERSION,
            version_words="protocol version",
            caller="the caller",
            upgrade="upgrade the older node",
            client="airline",
            pinned=airline_fingerprint,
            fix="check --peer-fingerprint on the carrier and the airline's certificate",
            faults="node",
        )
        self.settings = settings
        self._lock = threading.Lock()  # the carrier's steps run one at a time
        self._activity = threading.Lock()  # guards the two tables below
        self._last_call: dict[str, float] = {}  # query id → end of its last call (monotonic)
        self._in_call: Counter[str] = Counter()  # query id → calls under way
        self._stopped = threading.Event()
        self._handlers: dict[str, grpc.RpcMethodHandler] = {
            f"/{SERVICE}/{name}": handler for name, handler in self._methods().items()
        }

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        """The handler of one method of :data:`SERVICE` (None: unknown method)."""
        return self._handlers.get(handler_call_details.method)

    def _methods(self) -> dict[str, grpc.RpcMethodHandler]:
        c = self.carrier
        unary: dict[str, tuple[type[Any], Callable[[Any], Message]]] = {
            "Connect": (AirlineKey, self._connect),
            "Accept": (QueryRequest, c.accept),
            "Reblind": (BlindedCohort, c.reblind),
            "CanaryChallenge": (StepRequest, self._canary_challenge),
            "CheckCanaries": (CanaryOpening, self._check_canaries),
            "NoisedSums": (StepRequest, self._noised_sums),
            "Record": (ReleasePublished, self._record),
            "Abandon": (QueryAbandoned, self._abandoned),
            "Population": (PopulationRequest, self._population),
            "PopulationBudget": (PopulationBudgetAsk, self._population_budget),
            "PopulationReleases": (PopulationListAsk, self._population_releases),
            "PopulationReopen": (PopulationReopen, self._population_reopen),
        }
        methods: dict[str, grpc.RpcMethodHandler] = {
            name: grpc.unary_unary_rpc_method_handler(self._unary(name, kind, step))
            for name, (kind, step) in unary.items()
        }
        methods["Scope"] = grpc.unary_stream_rpc_method_handler(self._scope)
        methods["Indicators"] = grpc.stream_unary_rpc_method_handler(self._indicators)
        return methods

    # -- queries the airline left -----------------------------------------------------------
    def _begin(self, query_id: str) -> None:
        if query_id:
            with self._activity:
                self._in_call[query_id] += 1

    def _end(self, query_id: str, *, finished: bool = False) -> None:
        if not query_id:
            return
        with self._activity:
            self._in_call[query_id] -= 1
            if self._in_call[query_id] <= 0:
                del self._in_call[query_id]
            if finished:
                self._last_call.pop(query_id, None)
            else:
                self._last_call[query_id] = time.monotonic()

    def expire_idle(self, now: float | None = None) -> list[str]:
        """Abandon every query with no call under way and none for ``query_idle_timeout``."""
        now = time.monotonic() if now is None else now
        limit = self.settings.query_idle_timeout
        with self._activity:
            idle = [
                query_id
                for query_id, last in self._last_call.items()
                if query_id not in self._in_call and now - last > limit
            ]
            for query_id in idle:
                del self._last_call[query_id]
        for query_id in idle:
            log.warning("abandoning a query the airline left idle for %.0f s", limit)
            self._abandon(query_id, f"the airline sent nothing for {limit:.0f} s")
        return idle

    def run_expiry(self) -> None:
        """Check for idle queries in a background thread until :meth:`stop`."""
        interval = min(30.0, self.settings.query_idle_timeout / 2)

        def loop() -> None:
            while not self._stopped.wait(interval):
                self.expire_idle()

        threading.Thread(target=loop, name="carrier-node-expiry", daemon=True).start()

    def stop(self) -> None:
        """Stop the background expiry."""
        self._stopped.set()

    # -- steps whose call and answer differ from the party's method ------------------------
    def _connect(self, message: AirlineKey) -> CarrierHello:
        """A (re)connecting airline: the queries its previous run left between calls are over.

        An airline node killed between two calls leaves no stream to break; when it (or its
        successor) hands its key over again, those queries are abandoned here and now rather
        than at the idle expiry, so their spec can be asked again at once.
        """
        with self._activity:
            left = [q for q in self._last_call if q not in self._in_call]
            for query_id in left:
                del self._last_call[query_id]
        for query_id in left:  # the step lock is held: call the party directly
            log.warning("abandoning a query the airline left when it connected again")
            self.carrier.abandon(query_id, "the airline connected again")
        return self.carrier.receive_key(message)

    def _canary_challenge(self, message: StepRequest) -> CanaryChallenge:
        _expect_step(message, "canary_challenge")
        return self.carrier.canary_challenge(message.query_id)

    def _noised_sums(self, message: StepRequest) -> NoisedSums:
        _expect_step(message, "noised_sums")
        return self.carrier.noised_sums(message.query_id)

    def _check_canaries(self, message: CanaryOpening) -> Acknowledged:
        self.carrier.check_canaries(message)
        return Acknowledged(message.query_id)

    def _record(self, message: ReleasePublished) -> Acknowledged:
        self.carrier.record(message)
        return Acknowledged(message.query_id)

    def _desk(self) -> PopulationDesk:
        if self.population is None:
            raise ProtocolError("this carrier node does not serve population releases")
        return self.population

    def _population(self, message: PopulationRequest) -> PopulationRelease:
        return self._desk().population(message)

    def _population_budget(self, message: PopulationBudgetAsk) -> PopulationBudget:
        return self._desk().population_budget(message)

    def _population_releases(self, message: PopulationListAsk) -> PopulationList:
        return self._desk().population_releases(message)

    def _population_reopen(self, message: PopulationReopen) -> PopulationReopened:
        return self._desk().population_reopen(message)

    def _abandoned(self, message: QueryAbandoned) -> Acknowledged:
        self.carrier.abandon(message.query_id, message.reason)
        return Acknowledged(message.query_id)

    def _unary(
        self, method: str, kind: type[Any], step: Callable[[Any], Message]
    ) -> Callable[[bytes, grpc.ServicerContext], bytes]:
        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            query_id = ""
            try:
                self.gate.admit(method, context)
                message = decode_as(request, kind)
                if method in READ_ONLY:  # the ledger's own lock, not the steps'
                    return encode_message(step(message))
                if method != "Connect":
                    self.guard.admit(method, context.invocation_metadata(), message.query_id)
                query_id = getattr(message, "query_id", "")
                self._begin(query_id)
                try:
                    with self._lock, self.carrier.busy():
                        answer = encode_message(step(message))
                finally:
                    self._end(query_id, finished=method in FINAL_METHODS)
                return answer
            except Exception as err:
                self.gate.fail(method, err, context)

        return handle

    def _scope(self, request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        query_id = ""
        try:
            self.gate.admit("Scope", context)
            ask = decode_as(request, StepRequest)
            _expect_step(ask, "scope")
            self.guard.admit("Scope", context.invocation_metadata(), ask.query_id)
            query_id = ask.query_id
            self._begin(query_id)
            try:
                partitions = self.carrier.scope(query_id)
                while True:
                    with self._lock:
                        partition = next(partitions, None)
                    if partition is None:
                        return
                    yield encode_message(partition)
            finally:
                self._end(query_id)
        except GeneratorExit:  # the airline went away mid-stream
            self._abandon(query_id, "the airline broke off the scope stream")
            raise
        except Exception as err:
            self._abandon(query_id, type(err).__name__)
            self.gate.fail("Scope", err, context)

    def _indicators(self, requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        query_id = ""
        try:
            self.gate.admit("Indicators", context)
            for blob in requests:
                partition = decode_as(blob, IndicatorPartition)
                if query_id and partition.query_id != query_id:
                    raise ProtocolError("one indicator stream carries one query")
                if not query_id:
                    self.guard.admit(
                        "Indicators", context.invocation_metadata(), partition.query_id
                    )
                    query_id = partition.query_id
                    self._begin(query_id)
                with self._lock:
                    self.carrier.receive_indicators(partition)
                fault_point("node.indicators-received")  # tests kill the node mid-stream
            self._end(query_id)
            if not query_id:
                raise ProtocolError("an indicator stream with no partition")
            return encode_message(Acknowledged(query_id))
        except Exception as err:
            self._abandon(query_id, type(err).__name__)
            self.gate.fail("Indicators", err, context)

    def _abandon(self, query_id: str, reason: str) -> None:
        if query_id:
            self.guard.close_query(query_id)
            with self._activity:
                self._last_call.pop(query_id, None)
                self._in_call.pop(query_id, None)
            with self._lock:
                self.carrier.abandon(query_id, reason)


def _expect_step(message: StepRequest, step: str) -> None:
    if message.step != step:
        raise ProtocolError(f"a call for the {step} step asks for {message.step}")


def server_credentials(identity: NodeIdentity) -> grpc.ServerCredentials:
    """TLS for a node that requires a client certificate issued by the deployment's authority."""
    return grpc.ssl_server_credentials(
        [(identity.key_pem, identity.certificate_pem)],
        root_certificates=identity.authority_pem,
        require_client_auth=True,
    )


@dataclass(frozen=True)
class Serving:
    """A running carrier service: its gRPC server, the port it listens on, the service."""

    server: grpc.Server
    port: int
    service: CarrierService

    def stop(self, grace: float | None = None) -> None:
        """Stop answering (calls under way get ``grace`` seconds) and stop the expiry."""
        self.service.stop()
        self.server.stop(grace).wait()


def serve_carrier(
    carrier: CarrierSteps,
    identity: NodeIdentity,
    airline_fingerprint: str,
    listen: str,
    settings: LinkSettings | None = None,
    guard: ReplayGuard | None = None,
    population: PopulationDesk | None = None,
) -> Serving:
    """Start the carrier's service on ``listen`` (``host:port``, port 0: any); ``guard`` keeps
    the stamps of its queries (default: in memory, for tests of the link); ``population``
    answers population releases and the read-only questions about them (None: refused)."""
    settings = settings or LinkSettings()
    service = CarrierService(carrier, airline_fingerprint, settings, guard, population)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="carrier-node"),
        handlers=[service],
        options=settings.channel_options,
    )
    port = server.add_secure_port(listen, server_credentials(identity))
    if port == 0:
        raise ConfigError(f"the carrier node cannot listen on {listen}; is the port in use?")
    server.start()
    service.run_expiry()
    return Serving(server, port, service)
