"""The airline node: the airline party on its own folders, the carrier's node as its peer, and
the local API its dashboard calls.

An airline node reads ``DATA/airline`` and ``WS/airline`` only — it never opens anything of the
carrier's — and keeps its ledger in the airline's ledger home (:mod:`engine.ledger.home`). Every
release runs protocol v2 with the pinned carrier node over mutual TLS
(:class:`~engine.nodes.NodeSession`); the dashboard reaches the facade
(:class:`engine.service.CrossmeshService` over that session) through
:mod:`engine.wire.airline_api`, on 127.0.0.1 by default, admitting only the pinned dashboard
certificate.

A carrier node that restarts has forgotten the airline's key: the first query after it fails
(the carrier says it has no key; the airline's reservation for it is abandoned, as for any failed
query), and the session hands its key over again before the next one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.dp import Release
from engine.nodes.node_session import NodeSession
from engine.parties.airline import AirlineStatus
from engine.queries import QuerySpec
from engine.service import CrossmeshService
from engine.session import SessionSettings
from engine.wire.airline_api import ApiServing, serve_airline_api
from engine.wire.certificates import NodeIdentity
from engine.wire.grpc_link import LinkSettings
from foundation.errors import PeerError, ProtocolError
from geo.areas import AreaMap

__all__ = ["AirlineNode"]


class _ReconnectingSession(NodeSession):
    """A node session for many callers: one query at a time on the link (its streams are the
    session's), and the airline's key handed over again after the link failed."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._one_query = threading.RLock()

    def connect(self) -> None:
        if self._key_sent:  # no wait behind a running query for what is already done
            return
        with self._one_query:
            super().connect()

    def release(
        self, spec: QuerySpec, progress: Callable[[str, float], None] | None = None
    ) -> Release:
        with self._one_query:
            try:
                return super().release(spec, progress)
            except (PeerError, ProtocolError):
                self._key_sent = False  # the carrier node may have restarted without our key
                raise


class AirlineNode:
    """The airline's half of Crossmesh as a service: its party, its link to the carrier node,
    and the API its dashboard calls."""

    def __init__(
        self,
        data_dir: Path,
        workspace: Path,
        carrier_address: str,
        identity: NodeIdentity,
        carrier_fingerprint: str,
        settings: SessionSettings | None = None,
        *,
        link: LinkSettings | None = None,
        area_map: AreaMap | None = None,
    ) -> None:
        self.session = _ReconnectingSession(
            workspace, data_dir, carrier_address, identity, carrier_fingerprint, settings,
            link=link,
        )  # fmt: skip
        self.identity = identity
        self.service = CrossmeshService(
            workspace, data_dir, settings, area_map, session=self.session
        )
        self.serving: ApiServing | None = None

    def prepare(self) -> AirlineStatus:
        """The airline's offline step: its inputs checked, its key pair made once."""
        return self.session.prepare()

    def connect(self) -> None:
        """Hand the airline's key to the carrier node now (PeerError, clearly, if it cannot);
        the randomiser pool, if any, starts filling now rather than at the first release."""
        self.session.connect()
        self.session.airline.encryptor  # noqa: B018 - loading the key starts the pool

    def serve(self, dashboard_fingerprint: str, listen: str) -> int:
        """Start the dashboard's API on ``listen``; return the port it listens on."""
        self.serving = serve_airline_api(self.service, self.identity, dashboard_fingerprint, listen)
        return self.serving.port

    def close(self, grace: float = 5.0) -> None:
        """Stop the API (calls under way get ``grace`` seconds), then the facade and session."""
        if self.serving is not None:
            self.serving.stop(grace)
            self.serving = None
        self.service.close()
