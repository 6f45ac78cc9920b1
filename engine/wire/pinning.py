"""The certificate a gRPC server presents, read by one TLS handshake, to pin it by fingerprint.

gRPC Python gives a client no access to the server's certificate, so a client that pins its
server (the dashboard its airline node) first makes one TLS handshake of its own with the same
key pair and authority, reads the certificate the server presents and compares its SHA-256
fingerprint with the pinned one. The probe sends the HTTP/2 connection preface so that a server
which accepted the client's certificate answers at once, and one which refused it (under
TLS 1.3, after the handshake) says so on the first read.

:class:`engine.wire.remote_carrier.RemoteCarrier` pins the carrier node with it too.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
from pathlib import Path

from engine.wire.certificates import NodeIdentity, fingerprint
from foundation.errors import PeerError

__all__ = ["check_pinned"]

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def check_pinned(
    address: str,
    identity: NodeIdentity,
    pinned: str,
    what: str,
    timeout: float = 5.0,
    *,
    owner: str = "",
) -> None:
    """PeerError unless the server at ``address`` (``what``, e.g. "the airline node") presents
    the certificate whose fingerprint is ``pinned`` (``owner``'s, e.g. "the carrier's") and
    accepts ``identity``'s."""
    seen = fingerprint(_peer_certificate(address, identity, what, timeout))
    wanted = pinned.lower().replace(":", "")
    if seen != wanted:
        pins = (
            f"this {identity.party} pins {owner} {wanted[:16]}…"
            if owner
            else f"{wanted[:16]}… is pinned"
        )
        raise PeerError(
            f"{what} at {address} presents certificate {seen[:16]}…, but {pins}; check the "
            "address and the pinned fingerprint"
        )


def _peer_certificate(address: str, identity: NodeIdentity, what: str, timeout: float) -> bytes:
    host, _, port = address.rpartition(":")
    context = ssl.create_default_context(cadata=identity.authority_pem.decode())
    context.set_alpn_protocols(["h2"])  # gRPC servers speak HTTP/2 only
    with tempfile.TemporaryDirectory() as private:  # ssl loads a key pair from files only
        cert, key = Path(private, "node.pem"), Path(private, "node.key")
        cert.write_bytes(identity.certificate_pem)
        key.write_bytes(identity.key_pem)
        context.load_cert_chain(cert, key)
    der: bytes | None = None
    try:
        with (
            socket.create_connection((host, int(port)), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            refusal = _refusal(tls)
    except ssl.SSLError as err:
        raise PeerError(
            f"the TLS handshake with {what} at {address} failed "
            f"({getattr(err, 'reason', None) or err}); check that both certificates come from "
            "the deployment's authority"
        ) from None
    except OSError as err:
        raise PeerError(
            f"{what} at {address} cannot be reached ({err.strerror or err}); "
            "is it running and listening there?"
        ) from None
    if refusal is not None:
        raise PeerError(
            f"{what} at {address} refused this {identity.party}'s certificate ({refusal}); "
            "it must be issued by the deployment's authority"
        )
    if der is None:
        raise PeerError(f"{what} at {address} presented no certificate")
    return ssl.DER_cert_to_PEM_cert(der).encode()


def _refusal(tls: ssl.SSLSocket, wait: float = 2.0) -> str | None:
    """Why the server refused our certificate, or None: read once after the handshake."""
    tls.settimeout(wait)
    try:
        tls.sendall(HTTP2_PREFACE)
        answer = tls.recv(1)
    except TimeoutError:
        return None
    except ssl.SSLError as err:
        return str(err.reason or err)
    except OSError as err:
        return err.strerror or type(err).__name__
    return None if answer else "it closed the connection after the handshake"
