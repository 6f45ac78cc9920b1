"""The airline's session against a carrier node on another machine.

:class:`NodeSession` orders protocol v2 exactly as the embedded
:class:`~engine.session.SecureSession` does (:class:`~engine.session.QueryOrder`), but only the
airline party lives here — on ``DATA/airline`` and ``WS/airline`` — and the carrier is a
:class:`~engine.wire.remote_carrier.RemoteCarrier`: every step is a call over mutual TLS to the
pinned carrier node. A failure of the link (a killed node, a refused certificate, a time-out) is
a :class:`~foundation.errors.PeerError`; the airline's reservation is then recorded as abandoned,
as for any failed query. Population releases are the carrier node's own (its data, ledger and
noise); :meth:`NodeSession.budget_view` reads how the carrier's ledger stands for them.
"""

from __future__ import annotations

from pathlib import Path

from engine.dp import Release
from engine.parties.airline import AirlineParty, AirlineStatus
from engine.queries import QuerySpec
from engine.session import QueryOrder, SessionSettings
from engine.wire.certificates import NodeIdentity
from engine.wire.channel import Channel, Transcript
from engine.wire.grpc_link import LinkSettings
from engine.wire.remote_carrier import RemoteBudgetView, RemoteCarrier
from engine.workspace import PartyFolder

__all__ = ["NodeSession"]


class NodeSession(QueryOrder):
    """The airline party here, the carrier at ``address`` (pinned by ``carrier_fingerprint``)."""

    carrier: RemoteCarrier

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        address: str,
        identity: NodeIdentity,
        carrier_fingerprint: str,
        settings: SessionSettings | None = None,
        *,
        link: LinkSettings | None = None,
        transcript: Transcript | None = None,
    ) -> None:
        settings = settings or SessionSettings()
        self.airline = AirlineParty(
            Path(data_dir) / "airline", PartyFolder(Path(workspace) / "airline"),
            key_bits=settings.key_bits, policy=settings.policy,
            randomiser_pool=settings.randomiser_pool, preblind=settings.preblind,
        )  # fmt: skip
        self.carrier = RemoteCarrier(address, identity, carrier_fingerprint, link)
        self.channel = Channel(transcript)
        self._key_sent = False

    def _population_release(self, spec: QuerySpec) -> Release:
        """The carrier node's own statistic: its data, ledger and noise (none of the airline's)."""
        return self.carrier.population(spec)

    def budget_view(self) -> RemoteBudgetView:
        """What the airline may know of the carrier's population releases: the carrier node's
        ledger, read over the link (budgets left and published releases, never counts)."""
        return RemoteBudgetView(self.carrier)

    def prepare(self) -> AirlineStatus:
        """The airline's offline step: its inputs checked, its key pair made once."""
        return self.airline.prepare()

    def close(self) -> None:
        """Close the airline's ledger and pools, and the link to the carrier."""
        self.airline.close()
        self.carrier.close()

    def __enter__(self) -> NodeSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
