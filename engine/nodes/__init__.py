"""Each party as its own node: the carrier behind a gRPC service, the airline calling it.

* :mod:`~engine.nodes.carrier_node` — the carrier node: :class:`CarrierParty` on its own data
  and workspace folders, served over mutual TLS (:mod:`engine.wire.grpc_link`);
* :mod:`~engine.nodes.node_session` — the airline's session against a remote carrier node: the
  same ordering of protocol v2 as the embedded :class:`~engine.session.SecureSession`.
"""

from engine.nodes.carrier_node import CarrierNode
from engine.nodes.node_session import NodeSession

__all__ = ["CarrierNode", "NodeSession"]
