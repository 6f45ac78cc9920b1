"""The airline's handle on a carrier node: the carrier's steps, called over gRPC and mutual TLS.

:class:`RemoteCarrier` has the methods the session calls on an in-process carrier
(:class:`engine.parties.carrier.CarrierParty`), with the same messages in and out, so the same
ordering of protocol v2 runs against a carrier on another machine. Each method is one call of
:mod:`engine.wire.grpc_link`, with the protocol version and the query's stamp (query id and step
number, :mod:`engine.wire.replay`) in its metadata and a deadline. :meth:`population` asks the
carrier node for one of its own population releases; :meth:`population_standing`,
:meth:`population_releases` and :meth:`population_reopen` ask it, read only and without a stamp,
how its ledger stands for them, and :class:`RemoteBudgetView` offers those three as the
:class:`~engine.population_budget.CarrierBudgetView` of an airline node.

The scope and the indicators are two streams open at the same time: :meth:`scope` opens the
indicator stream first (fed from a small bounded queue), then yields the scope's partitions as
they arrive; each :meth:`receive_indicators` puts one answer on the queue, and
:meth:`canary_challenge` closes the stream and waits for the carrier's acknowledgement. Neither
side holds more than a few partitions.

Before the first call the carrier's certificate is checked against its pinned SHA-256
fingerprint by a separate TLS handshake (gRPC Python exposes no peer certificate on the client
side); the channel itself trusts only the deployment's authority.
"""

from __future__ import annotations

import contextlib
import json
import queue
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import grpc

from engine.dp import Release
from engine.population_budget import PopulationEntry, PopulationStanding
from engine.queries import QuerySpec
from engine.wire.certificates import NodeIdentity
from engine.wire.grpc_link import SERVICE, LinkSettings, decode_as, error_from_status
from engine.wire.messages import (
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
    encode_message,
)
from engine.wire.pinning import check_pinned
from engine.wire.replay import Stamp
from foundation.errors import ConfigError, CrossmeshError, PeerError, ProtocolError

__all__ = ["RemoteBudgetView", "RemoteCarrier"]

M = TypeVar("M")
A = TypeVar("A")
QUEUED_PARTITIONS = 2  # indicator partitions waiting to be sent, at most
_END = None
# The HTTP/2 client connection preface: the fixed string and an empty SETTINGS frame (RFC 9113).


class RemoteCarrier:
    """A carrier node at ``address`` (``host:port``) whose certificate has
    ``carrier_fingerprint`` (SHA-256, hex), called with the airline's ``identity``;
    ``interceptors`` see every call (tests record the message bodies with one)."""

    def __init__(
        self,
        address: str,
        identity: NodeIdentity,
        carrier_fingerprint: str,
        settings: LinkSettings | None = None,
        *,
        interceptors: Sequence[
            grpc.UnaryUnaryClientInterceptor
            | grpc.UnaryStreamClientInterceptor
            | grpc.StreamUnaryClientInterceptor
        ] = (),
    ) -> None:
        if identity.party != "airline":
            raise ConfigError(
                f"a carrier is called with the airline's certificate, not {identity.party}'s"
            )
        self.address = address
        self.identity = identity
        self.carrier_fingerprint = carrier_fingerprint.lower().replace(":", "")
        self.settings = settings or LinkSettings()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=identity.authority_pem,
            private_key=identity.key_pem,
            certificate_chain=identity.certificate_pem,
        )
        channel = grpc.secure_channel(address, credentials, self.settings.channel_options)
        self._channel = grpc.intercept_channel(channel, *interceptors) if interceptors else channel
        self._pinned = False
        self._outbox: queue.Queue[IndicatorPartition | None] | None = None
        self._indicators: grpc.Future | None = None
        self._scope_call: Any = None

    # -- the carrier's steps ----------------------------------------------------------------
    def receive_key(self, message: AirlineKey) -> CarrierHello:
        """Send the airline's public key; the carrier answers with its data period."""
        return self._unary("Connect", message, CarrierHello)

    def accept(self, message: QueryRequest) -> QueryAccepted:
        """Ask the carrier to check the query and reserve its side of the budget."""
        return self._unary("Accept", message, QueryAccepted)

    def reblind(self, message: BlindedCohort) -> ReblindedCohort:
        """The cohort raised to the carrier's fresh scalar."""
        return self._unary("Reblind", message, ReblindedCohort)

    def scope(self, query_id: str) -> Iterator[ScopePartition]:
        """The carrier's scope partitions as they arrive; opens the indicator stream first."""
        self._open_indicators(query_id)
        call = self._call("Scope", StepRequest(query_id, "scope"), stream=True)
        self._scope_call = call
        try:
            for blob in call:
                yield decode_as(blob, ScopePartition)
        except grpc.RpcError as err:
            raise self._error(err, "Scope") from None
        finally:
            self._scope_call = None

    def receive_indicators(self, message: IndicatorPartition) -> None:
        """Queue one partition of indicators on the open stream (waits while the queue is full)."""
        if self._outbox is None or self._indicators is None:
            raise PeerError("indicators before the scope stream was opened")
        while True:
            if self._indicators.done():  # the stream failed: say why instead of waiting
                self._finish_indicators()
                raise PeerError("the carrier closed the indicator stream early")
            try:
                self._outbox.put(message, timeout=0.5)
                return
            except queue.Full:
                continue

    def canary_challenge(self, query_id: str) -> CanaryChallenge:
        """Close the indicator stream, then ask for the canary challenge."""
        self._finish_indicators()
        return self._unary(
            "CanaryChallenge", StepRequest(query_id, "canary_challenge"), CanaryChallenge
        )

    def check_canaries(self, message: CanaryOpening) -> None:
        """Send the openings of the challenged indicators."""
        self._unary("CheckCanaries", message, Acknowledged)

    def noised_sums(self, query_id: str) -> NoisedSums:
        """The carrier's per-slot sums, packed and noised, in one message."""
        return self._unary("NoisedSums", StepRequest(query_id, "noised_sums"), NoisedSums)

    def record(self, message: ReleasePublished) -> None:
        """Send the published release for the carrier to check and commit."""
        self._unary("Record", message, Acknowledged)

    def abandon(self, query_id: str, reason: str) -> None:
        """Tell the carrier the query is given up, if it can still be told (never raises).

        A carrier that cannot be reached keeps its reservation pending; the carrier node records
        it as abandoned when an open stream breaks, and ``crossmesh repair`` settles the rest.
        """
        self._cancel_streams()
        with contextlib.suppress(CrossmeshError):
            self._unary(
                "Abandon", QueryAbandoned(query_id, reason[:120]), Acknowledged,
                timeout=self.settings.abandon_timeout,
            )  # fmt: skip

    def population(self, spec: QuerySpec) -> Release:
        """A population release from the carrier node (its ledger and noise; one call)."""
        query_id = secrets.token_hex(12)
        message = PopulationRequest(query_id, json.dumps(spec.canonical(), sort_keys=True))
        answer = self._unary("Population", message, PopulationRelease)
        release = Release.from_json(answer.release)
        if answer.query_id != query_id or release.query_spec != spec.canonical():
            raise ProtocolError("the carrier node answered another population question")
        return release

    def population_standing(self, spec: QuerySpec) -> PopulationStanding:
        """The ρ left in the carrier's scopes for population ``spec``, and its published
        release's id (read only; the carrier refuses a spec of another kind)."""
        text = json.dumps(spec.canonical(), sort_keys=True)
        answer = self._unary("PopulationBudget", PopulationBudgetAsk(text), PopulationBudget)
        return PopulationStanding(
            dict(zip(answer.scopes, answer.remaining_rho, strict=True)), answer.release_id or None
        )

    def population_releases(self) -> list[PopulationEntry]:
        """The carrier's published population releases, oldest first (read only)."""
        answer = self._unary("PopulationReleases", PopulationListAsk(), PopulationList)
        return [
            PopulationEntry(number, summary, created, epsilon, delta, json.loads(spec))
            for number, summary, created, epsilon, delta, spec in answer.entries
        ]

    def population_reopen(self, release_id: int) -> Release:
        """Published population release ``release_id`` of the carrier's ledger (read only)."""
        answer = self._unary("PopulationReopen", PopulationReopen(release_id), PopulationReopened)
        release = Release.from_json(answer.release)
        if answer.release_id != release_id or release.query_spec.get("kind") != "population":
            raise ProtocolError("the carrier node reopened another release than the one asked")
        return release

    def busy(self) -> contextlib.AbstractContextManager[None]:
        """The carrier node pauses its own background work during each step."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Close the channel."""
        self._cancel_streams()
        self._channel.close()

    # -- calls --------------------------------------------------------------------------------
    def _metadata(self, method: str, message: Message | None, query_id: str = "") -> Any:
        """The version, and for a call about a query its stamp (:mod:`engine.wire.replay`)."""
        query_id = query_id or str(getattr(message, "query_id", ""))
        if not query_id:
            return self.settings.metadata
        return (*self.settings.metadata, Stamp.for_call(method, query_id).metadata())

    def _call(self, method: str, message: Message, *, stream: bool = False) -> Any:
        self._pin()
        path = f"/{SERVICE}/{method}"
        if stream:
            multi = self._channel.unary_stream(path)
            return multi(
                encode_message(message), timeout=self.settings.stream_timeout,
                metadata=self._metadata(method, message),
            )  # fmt: skip
        return self._channel.unary_unary(path)

    def _unary(
        self, method: str, message: Message, expected: type[M], *, timeout: float | None = None
    ) -> M:
        multi = self._call(method, message)
        try:
            blob = multi(
                encode_message(message), timeout=timeout or self.settings.call_timeout,
                metadata=self._metadata(method, message),
            )  # fmt: skip
        except grpc.RpcError as err:
            raise self._error(err, method) from None
        return decode_as(blob, expected)

    def _error(self, err: grpc.RpcError, method: str) -> CrossmeshError:
        code = err.code() if isinstance(err, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = (err.details() if isinstance(err, grpc.Call) else "") or ""
        return error_from_status(code, details, f"carrier node {self.address}, {method}")

    def _open_indicators(self, query_id: str) -> None:
        self._pin()
        self._finish_indicators(quiet=True)
        outbox: queue.Queue[IndicatorPartition | None] = queue.Queue(QUEUED_PARTITIONS)

        def requests() -> Iterator[bytes]:
            while (message := outbox.get()) is not _END:
                yield encode_message(message)

        multi = self._channel.stream_unary(f"/{SERVICE}/Indicators")
        self._outbox = outbox
        self._indicators = multi.future(
            requests(), timeout=self.settings.stream_timeout,
            metadata=self._metadata("Indicators", None, query_id),
        )  # fmt: skip

    def _finish_indicators(self, *, quiet: bool = False) -> None:
        """End the indicator stream and wait for the carrier's answer (or its error)."""
        outbox, future = self._outbox, self._indicators
        self._outbox = self._indicators = None
        if outbox is None or future is None:
            return
        if not future.done():
            outbox.put(_END)
        try:
            decode_as(future.result(), Acknowledged)
        except grpc.RpcError as err:
            if not quiet:
                raise self._error(err, "Indicators") from None

    def _cancel_streams(self) -> None:
        if self._scope_call is not None:
            self._scope_call.cancel()
        if self._indicators is not None:
            self._indicators.cancel()
        self._outbox = self._indicators = None

    # -- pinning ------------------------------------------------------------------------------
    def _pin(self) -> None:
        """Check once that the carrier presents the pinned certificate (PeerError if not)."""
        if self._pinned:
            return
        check_pinned(
            self.address, self.identity, self.carrier_fingerprint, "the carrier node",
            self.settings.abandon_timeout, owner="the carrier's",
        )  # fmt: skip
        self._pinned = True


class RemoteBudgetView:
    """The carrier node's population budget and releases, over ``carrier``'s link: the
    :class:`~engine.population_budget.CarrierBudgetView` of an airline node."""

    def __init__(self, carrier: RemoteCarrier) -> None:
        self.carrier = carrier
        self._answered = False

    def answers(self) -> bool:
        """Whether the carrier node answers for its population releases (asked until it does:
        a node of an older release, or one not reachable now, does not)."""
        if not self._answered:
            try:
                self.carrier.population_releases()
            except CrossmeshError:
                return False
            self._answered = True
        return True

    def standing(self, spec: QuerySpec) -> PopulationStanding:
        """The ρ left for ``spec`` at the carrier, and its published release's id."""
        return self._asked(self.carrier.population_standing, spec)

    def releases(self) -> list[PopulationEntry]:
        """The carrier's published population releases, oldest first."""
        return self._asked(self.carrier.population_releases)

    def reopen(self, release_id: int) -> Release:
        """One of them again, at no cost."""
        return self._asked(self.carrier.population_reopen, release_id)

    def _asked(self, question: Callable[..., A], *arguments: Any) -> A:
        try:
            return question(*arguments)
        except PeerError:  # gone, or restarted as another release: ask again before offering
            self._answered = False
            raise
