"""Partition files: blinded keys and their ciphertexts, written atomically and checksummed.

A partition holds the records of one view family for one period and one hash bucket. On disk it is
one file::

    b"XMSHPART" · version (1 byte) · header length (4 bytes, big-endian) · header (JSON) · body

The header names the partition (an opaque random id — never the period), its family, the record
count, the ciphertexts per record, the ciphertext width, and the SHA-256 of the body. The body is
the 32-byte points end to end, then the ciphertexts end to end. Files are written through
:mod:`engine.atomic`, so a killed ingest leaves the store as it was; every read checks the
checksum, so one flipped byte anywhere is detected with an :class:`~engine.errors.IntegrityError`.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import atomic_write_bytes
from engine.errors import IntegrityError
from engine.messages import POINT_BYTES

__all__ = ["StoredPartition", "read_partition", "write_partition"]

MAGIC = b"XMSHPART"
VERSION = 1
_PREFIX = struct.Struct(">8sBI")


@dataclass(frozen=True)
class StoredPartition:
    """One partition's records: points and the ciphertexts that go with them."""

    partition_id: str
    family: str
    ciphertexts_per_record: int
    ciphertext_bytes: int
    points: bytes
    ciphertexts: bytes

    @property
    def record_count(self) -> int:
        """How many records the partition holds."""
        return len(self.points) // POINT_BYTES

    @property
    def sha256(self) -> str:
        """SHA-256 of the body (points then ciphertexts)."""
        digest = hashlib.sha256(self.points)
        digest.update(self.ciphertexts)
        return digest.hexdigest()

    def point(self, row: int) -> bytes:
        """The point of record ``row``."""
        return self.points[row * POINT_BYTES : (row + 1) * POINT_BYTES]

    def record_ciphertexts(self, row: int) -> list[int]:
        """The ciphertexts of record ``row`` as integers."""
        width = self.ciphertext_bytes
        start = row * self.ciphertexts_per_record * width
        return [
            int.from_bytes(self.ciphertexts[start + i * width : start + (i + 1) * width], "big")
            for i in range(self.ciphertexts_per_record)
        ]


def write_partition(path: Path, partition: StoredPartition) -> str:
    """Write ``partition`` to ``path`` atomically; return the body's SHA-256."""
    checksum = partition.sha256
    header = json.dumps(
        {
            "partition_id": partition.partition_id,
            "family": partition.family,
            "records": partition.record_count,
            "ciphertexts_per_record": partition.ciphertexts_per_record,
            "ciphertext_bytes": partition.ciphertext_bytes,
            "sha256": checksum,
        },
        sort_keys=True,
    ).encode("utf-8")
    blob = _PREFIX.pack(MAGIC, VERSION, len(header)) + header + partition.points
    atomic_write_bytes(path, blob + partition.ciphertexts)
    return checksum


def _damaged(path: Path, what: str) -> IntegrityError:
    return IntegrityError(
        f"partition file {path} is damaged ({what}); delete it and re-run 'crossmesh ingest' "
        "to rebuild it"
    )


def read_partition(path: Path) -> StoredPartition:
    """Read a partition back, checking its structure and checksum."""
    blob = Path(path).read_bytes()
    if len(blob) < _PREFIX.size:
        raise _damaged(path, "truncated header")
    magic, version, header_len = _PREFIX.unpack_from(blob)
    if magic != MAGIC or version != VERSION:
        raise _damaged(path, "not a Crossmesh partition of a known version")
    try:
        header = json.loads(blob[_PREFIX.size : _PREFIX.size + header_len])
        records = int(header["records"])
        per_record = int(header["ciphertexts_per_record"])
        width = int(header["ciphertext_bytes"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise _damaged(path, "unreadable header") from err
    body = blob[_PREFIX.size + header_len :]
    points_len = records * POINT_BYTES
    if len(body) != points_len + records * per_record * width:
        raise _damaged(path, "wrong length")
    partition = StoredPartition(
        partition_id=str(header["partition_id"]),
        family=str(header["family"]),
        ciphertexts_per_record=per_record,
        ciphertext_bytes=width,
        points=body[:points_len],
        ciphertexts=body[points_len:],
    )
    if partition.sha256 != header.get("sha256"):
        raise _damaged(path, "checksum mismatch")
    return partition
