"""The typed messages the airline and carrier environments exchange — and nothing else crosses.

Every message is a frozen dataclass validated when built, with a compact binary form (msgpack of
its fields, tagged by type). Points are 32-byte ed25519 encodings packed end to end; ciphertexts are
fixed-width big-endian integers packed end to end. No message has a field for an ID, a phone
number, a period key, a mesh code or a plaintext payload: what the parties learn from one another
is exactly what these fields can hold. Group *labels* never cross either: a cohort travels as an
ordered tuple of groups, and only the airline knows what each position means.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import msgpack

from engine.errors import ProtocolError

__all__ = [
    "POINT_BYTES",
    "ActivePartitions",
    "BlindedCohort",
    "EncryptedPartition",
    "Message",
    "NoisedSums",
    "PartitionReceipt",
    "PublicKeyAnnouncement",
    "ReblindedCohort",
    "decode_message",
    "encode_message",
]

POINT_BYTES = 32


def _check_points(name: str, blob: bytes) -> None:
    if len(blob) % POINT_BYTES:
        raise ProtocolError(f"{name} must hold whole 32-byte points, not {len(blob)} bytes")


@dataclass(frozen=True)
class PublicKeyAnnouncement:
    """C → A: the carrier's Paillier public modulus ``n`` (big-endian)."""

    kind: ClassVar[str] = "public_key"
    modulus: bytes

    def __post_init__(self) -> None:
        if len(self.modulus) < 128:
            raise ProtocolError(f"Paillier modulus too short: {len(self.modulus) * 8} bits")


@dataclass(frozen=True)
class EncryptedPartition:
    """C → A (C1): blinded keys ``H(k)^c`` and their encrypted payloads for one partition.

    ``partition_id`` is an opaque random label: it does not name the period it holds.
    """

    kind: ClassVar[str] = "encrypted_partition"
    partition_id: str
    family: str
    ciphertexts_per_record: int
    ciphertext_bytes: int
    points: bytes
    ciphertexts: bytes

    def __post_init__(self) -> None:
        _check_points("partition points", self.points)
        expected = self.record_count * self.ciphertexts_per_record * self.ciphertext_bytes
        if len(self.ciphertexts) != expected:
            raise ProtocolError(
                f"partition {self.partition_id}: {len(self.ciphertexts)} ciphertext bytes, "
                f"expected {expected} for its records"
            )

    @property
    def record_count(self) -> int:
        """How many records the partition holds."""
        return len(self.points) // POINT_BYTES


@dataclass(frozen=True)
class PartitionReceipt:
    """A → C: the airline stored a partition intact (its SHA-256 matched)."""

    kind: ClassVar[str] = "partition_receipt"
    partition_id: str
    sha256: str


@dataclass(frozen=True)
class ActivePartitions:
    """C → A: the partitions that now make up a view family; the airline drops all others.

    Sent after every partition of an ingest has arrived, so that an ingest killed midway leaves
    the airline answering from the previous, complete set.
    """

    kind: ClassVar[str] = "active_partitions"
    family: str
    partition_ids: tuple[str, ...]


@dataclass(frozen=True)
class BlindedCohort:
    """A → C (A2): per group, the padded and shuffled points ``H(k)^a``."""

    kind: ClassVar[str] = "blinded_cohort"
    request_id: str
    groups: tuple[bytes, ...]

    def __post_init__(self) -> None:
        for group in self.groups:
            _check_points("cohort group", group)


@dataclass(frozen=True)
class ReblindedCohort:
    """C → A (C2): per group, ``H(k)^{ac}`` shuffled within the group."""

    kind: ClassVar[str] = "reblinded_cohort"
    request_id: str
    groups: tuple[bytes, ...]

    def __post_init__(self) -> None:
        for group in self.groups:
            _check_points("re-blinded group", group)


@dataclass(frozen=True)
class NoisedSums:
    """A → C (A4): per group, encrypted sums with encrypted DP noise added, re-randomised.

    ``release_id`` is the ledger reservation the noise was drawn for; the carrier decrypts a
    reservation's sums once. ``segment_lengths`` gives the slots of each packed segment, in order
    (public layout facts); ``labels`` are the release's row groups, public once released.
    """

    kind: ClassVar[str] = "noised_sums"
    release_id: str
    spec_hash: str
    ciphertext_bytes: int
    ciphertexts_per_group: int
    segment_lengths: tuple[int, ...]
    labels: tuple[tuple[str, ...], ...]
    ciphertexts: bytes

    def __post_init__(self) -> None:
        expected = len(self.labels) * self.ciphertexts_per_group * self.ciphertext_bytes
        if len(self.ciphertexts) != expected:
            raise ProtocolError(
                f"noised sums: {len(self.ciphertexts)} ciphertext bytes, expected {expected}"
            )


Message = (
    PublicKeyAnnouncement
    | EncryptedPartition
    | PartitionReceipt
    | ActivePartitions
    | BlindedCohort
    | ReblindedCohort
    | NoisedSums
)
_TYPES: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        PublicKeyAnnouncement,
        EncryptedPartition,
        PartitionReceipt,
        ActivePartitions,
        BlindedCohort,
        ReblindedCohort,
        NoisedSums,
    )
}


def encode_message(message: Message) -> bytes:
    """The message's compact binary form: msgpack of ``[kind, {field: value}]``."""
    body = {f.name: getattr(message, f.name) for f in fields(message)}
    return msgpack.packb([message.kind, body], use_bin_type=True)


def decode_message(blob: bytes) -> Message:
    """Rebuild (and so re-validate) a message from its binary form."""
    try:
        kind, body = msgpack.unpackb(blob, raw=False, use_list=False)
        cls = _TYPES[kind]
    except (ValueError, KeyError, TypeError, msgpack.UnpackException) as err:
        raise ProtocolError(f"not a Crossmesh message ({type(err).__name__})") from err
    message: Message = cls(**body)
    return message
