"""Protocol step C1 as pure tasks: payload records → blinded keys and packed ciphertexts.

The carrier turns each (subscriber, period) payload of a view family into one record: the point
``H(k)^c`` for its join key ``k = (family, E.164 number, period)`` and the Paillier ciphertexts of
its packed slot vector. Records are then split into hash buckets by their point and shuffled within
each partition with a cryptographic RNG, so a partition's order says nothing about who is in it.

:func:`encrypt_chunk` is a top-level function of picklable arguments, so the carrier's runner can
send chunks to worker processes; each process builds its fixed-base encryption tables once per key
(:func:`_encryptor`) and reuses them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engine.crypto.blinding import BlindingKey, JoinKey
from engine.crypto.packing import SlotCodec
from engine.crypto.paillier import Encryptor, PaillierKeys
from engine.layout import PackedLayout
from engine.messages import POINT_BYTES
from engine.views import view_family

__all__ = ["EncryptedChunk", "RecordChunk", "encrypt_chunk", "split_buckets"]


@dataclass(frozen=True)
class RecordChunk:
    """Up to a few thousand records of one family and one period, ready to encrypt."""

    family: str
    period: str
    family_size: int
    phones: tuple[str, ...]
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]


@dataclass(frozen=True)
class EncryptedChunk:
    """The chunk's records, in the same order: points end to end and ciphertexts end to end."""

    points: bytes
    ciphertexts: bytes
    ciphertexts_per_record: int


@lru_cache(maxsize=2)
def _encryptor(p: int, q: int) -> Encryptor:
    return Encryptor.for_key_holder(PaillierKeys.from_primes(p, q))


def _dense(chunk: RecordChunk) -> npt.NDArray[np.int64]:
    rows = len(chunk.phones)
    matrix = np.zeros((rows, chunk.family_size), dtype=np.int64)
    row_of = np.repeat(np.arange(rows), np.diff(chunk.indptr))
    matrix[row_of, chunk.indices] = 1
    return matrix


def encrypt_chunk(
    primes: tuple[int, int], scalar: bytes, slot_bits: int, chunk: RecordChunk
) -> EncryptedChunk:
    """Blind the chunk's join keys and encrypt its packed payloads (runs in a worker process)."""
    encryptor = _encryptor(*primes)
    layout = PackedLayout.of(
        view_family(chunk.family), SlotCodec.for_modulus(int(encryptor.n), slot_bits)
    )
    keys = [JoinKey(chunk.family, phone, chunk.period) for phone in chunk.phones]
    points = BlindingKey(scalar).blind_keys(keys)
    plaintexts = layout.pack_rows(_dense(chunk))
    flat = [value for row in plaintexts for value in row]
    ciphertexts = encryptor.to_bytes(encryptor.encrypt_many(flat))
    return EncryptedChunk(b"".join(points), ciphertexts, layout.ciphertexts_per_record)


def split_buckets(
    chunks: list[EncryptedChunk], buckets: int, ciphertext_bytes: int
) -> list[tuple[bytes, bytes]]:
    """Records of ``chunks`` split by ``point[0] mod buckets``, each bucket securely shuffled.

    Returns, per bucket, ``(points, ciphertexts)`` end to end.
    """
    per_record = chunks[0].ciphertexts_per_record if chunks else 0
    record_bytes = per_record * ciphertext_bytes
    bins: list[list[tuple[bytes, bytes]]] = [[] for _ in range(buckets)]
    for chunk in chunks:
        for row in range(len(chunk.points) // POINT_BYTES):
            point = chunk.points[row * POINT_BYTES : (row + 1) * POINT_BYTES]
            body = chunk.ciphertexts[row * record_bytes : (row + 1) * record_bytes]
            bins[point[0] % buckets].append((point, body))
    shuffler = secrets.SystemRandom()
    result = []
    for records in bins:
        shuffler.shuffle(records)
        result.append((b"".join(p for p, _ in records), b"".join(c for _, c in records)))
    return result
