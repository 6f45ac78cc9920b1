"""What both of Crossmesh's gRPC services check on every call, and how their errors cross.

The carrier node's service (:mod:`engine.wire.grpc_link`, for the airline) and the airline
node's API (:mod:`engine.wire.airline_api`, for the dashboard) each answer one pinned client:
a :class:`PinnedGate` admits a call only if it speaks the service's version and presents the
certificate whose SHA-256 fingerprint the node was started with. A failure crosses as a gRPC
status whose details start with the name of the :mod:`foundation.errors` class it is (the
nearest one the peer knows, :func:`crossing_name`), so the caller raises the same class; a bug
crosses as its type name only, never its message, which stays in the node's log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NoReturn

import grpc

from engine.wire.certificates import fingerprint
from foundation import errors
from foundation.errors import CrossmeshError
from foundation.faults import fault_point

__all__ = ["CROSSING", "PinnedGate", "Refused", "crossing_name"]

log = logging.getLogger(__name__)

# The error classes that may cross by name; anything else arrives as a PeerError.
CROSSING: dict[str, type[CrossmeshError]] = {
    name: getattr(errors, name) for name in errors.__all__ if name != "CrossmeshError"
}
_CODES: dict[str, grpc.StatusCode] = {
    "InputError": grpc.StatusCode.INVALID_ARGUMENT,
    "BudgetExceeded": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "BusyError": grpc.StatusCode.ABORTED,
    "ProtocolError": grpc.StatusCode.FAILED_PRECONDITION,
    "ConfigError": grpc.StatusCode.FAILED_PRECONDITION,
}


class Refused(Exception):
    """A call the service refuses before or while running it (status code and details)."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def crossing_name(err: CrossmeshError) -> str:
    """The nearest class of the family the peer knows by name."""
    for cls in type(err).__mro__:
        if cls.__name__ in CROSSING:
            return cls.__name__
    return "PeerError"


@dataclass(frozen=True)
class PinnedGate:
    """One service's admission rule and error mapping.

    ``node`` names this node in messages ("carrier node"); ``version_key`` and ``version`` are
    the metadata entry every call must carry; ``client`` names the pinned caller ("airline");
    ``pinned`` is its certificate's fingerprint; ``fix`` says what to check when another
    certificate is presented; ``faults`` prefixes the fault points tests kill the node at.
    """

    node: str
    version_key: str
    version: int
    version_words: str  # "protocol version", "API version"
    caller: str  # how a caller speaking another version is named: "the caller", "the dashboard"
    upgrade: str  # what to do about another version
    client: str
    pinned: str
    fix: str
    faults: str

    def __post_init__(self) -> None:
        # Fingerprints are compared as lower-case hex without colons, however they were typed.
        object.__setattr__(self, "pinned", self.pinned.lower().replace(":", ""))

    def admit(self, method: str, context: grpc.ServicerContext) -> None:
        """Refuse another version or a client whose certificate is not the pinned one."""
        versions = [v for k, v in context.invocation_metadata() if k == self.version_key]
        if versions != [str(self.version)]:
            spoken = versions[0] if versions else "none"
            raise Refused(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"ProtocolError: this {self.node} speaks {self.version_words} {self.version}, "
                f"{self.caller} {spoken}; {self.upgrade}",
            )
        presented = context.auth_context().get("x509_pem_cert", [])
        seen = fingerprint(presented[0]) if presented else "no certificate"
        if seen != self.pinned:
            log.warning("%s refused %s from a client with certificate %s", self.node, method, seen)
            raise Refused(
                grpc.StatusCode.PERMISSION_DENIED,
                f"PeerError: this {self.node} pins the {self.client} certificate "
                f"{self.pinned[:16]}…, the caller presented {seen[:16]}…; {self.fix}",
            )
        fault_point(f"{self.faults}.{method}")

    def fail(self, method: str, err: BaseException, context: grpc.ServicerContext) -> NoReturn:
        """Abort the call with ``err``: refusals and Crossmesh errors by name, bugs by type."""
        if isinstance(err, Refused):
            context.abort(err.code, err.details)
        if isinstance(err, CrossmeshError):
            name = crossing_name(err)
            context.abort(_CODES.get(name, grpc.StatusCode.ABORTED), f"{name}: {err}")
        log.exception("bug in the %s's %s", self.node, method)  # its message stays in our log
        context.abort(
            grpc.StatusCode.INTERNAL,
            f"internal error in the {self.node}'s {method} ({type(err).__name__}); see its log",
        )
        raise AssertionError("grpc's abort raises")  # pragma: no cover
