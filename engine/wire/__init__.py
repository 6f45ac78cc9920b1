"""What crosses between the parties: the v2 messages and the links that carry them.

* :mod:`~engine.wire.messages` — the typed, versioned messages of protocol v2;
* :mod:`~engine.wire.channel` — the in-process channel of the embedded default and the
  transcript recorder that attack tests read;
* :mod:`~engine.wire.grpc_link` — the carrier's steps as a gRPC service over mutual TLS;
* :mod:`~engine.wire.remote_carrier` — the airline's handle on a carrier node over that link;
* :mod:`~engine.wire.certificates` — throw-away certificates and the fingerprints that pin them.
"""
