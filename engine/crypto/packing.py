"""Slot packing: many small counts in one Paillier plaintext, with noise and overflow detection.

A 2048-bit Paillier plaintext can hold far more than one count, and every ciphertext costs the
same to encrypt, store, add and decrypt whatever it holds. So a payload vector is cut into fixed
**slots** of ``slot_bits`` bits (default 32) laid side by side, slot 0 in the lowest bits, and
homomorphic addition of two plaintexts adds every slot at once — as long as no slot's total ever
spills into its neighbour.

Layout of one plaintext, with ``F = ⌊(bits(n) − 1 − margin_bits) / slot_bits⌋`` fields::

    [ margin | checksum | slot S−1 | … | slot 1 | slot 0 ]      S = F − 1 data slots

**Counts and noise.** Payload slots hold non-negative counts, packed as they are. Noise is signed,
so :meth:`SlotCodec.pack_noise` stores each value plus an offset ``B = 2^(slot_bits − 2)``, and
the decoder, told how many noise vectors were added (``offsets_added = k``), subtracts ``k·B``.
Putting the offset into the counts instead would not work: a sum of ``m`` ciphertexts would carry
``m`` offsets, and ``m`` is the matched-record count the airline must keep to itself.

**Headroom rule.** A slot is decoded exactly while its raw total stays below ``2^slot_bits``, i.e.
while ``counts + noise < 2^slot_bits − k·B`` (and ``noise ≥ −k·B``, which packing guarantees).
For 32-bit slots and one noise vector that is a total below 3·2^30 ≈ 3.2 billion per slot.
:meth:`SlotCodec.ensure_headroom` checks a known bound before any work is done.

**Overflow detection.** Each plaintext also carries a checksum field holding ``−Σ slots`` mod
``2^slot_bits``. The checksum is linear, so it survives homomorphic addition; every carry out of a
field changes ``Σ slots + checksum`` by exactly +1 mod ``2^slot_bits`` (the carried field loses
``2^slot_bits``, its neighbour gains 1), so the decoder sees a mismatch unless the number of
carries is itself a multiple of ``2^slot_bits`` — which needs slot totals beyond
``2^(2·slot_bits)``.
Carries out of the checksum field fall into the margin and are ignored. A mismatch raises
:class:`CryptoError`; nothing wrong is ever decoded silently. The checksum reveals nothing new:
it is a function of the (noised) slot values the key holder decrypts anyway.

Packing and unpacking are vectorised with numpy: fields become little-endian bytes and each
plaintext is one ``int.from_bytes`` call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.errors import ConfigError, CryptoError, InputError

__all__ = ["SlotCodec"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SlotCodec:
    """Packs integer vectors into Paillier plaintexts of a ``modulus_bits``-bit key."""

    modulus_bits: int
    slot_bits: int = 32
    margin_bits: int = 16

    def __post_init__(self) -> None:
        if self.slot_bits % 8 or not 8 <= self.slot_bits <= 56:
            raise ConfigError(f"slot_bits must be a multiple of 8 in [8, 56], not {self.slot_bits}")
        if self.margin_bits < 0:
            raise ConfigError(f"margin_bits must be non-negative, not {self.margin_bits}")
        if self.fields_per_plaintext < 2:
            raise ConfigError(
                f"a {self.modulus_bits}-bit modulus leaves no room for {self.slot_bits}-bit slots"
            )

    @classmethod
    def for_modulus(cls, n: int, slot_bits: int = 32) -> SlotCodec:
        """The codec for the Paillier modulus ``n``."""
        return cls(modulus_bits=n.bit_length(), slot_bits=slot_bits)

    @property
    def fields_per_plaintext(self) -> int:
        """Data slots plus the checksum field."""
        return (self.modulus_bits - 1 - self.margin_bits) // self.slot_bits

    @property
    def slots_per_plaintext(self) -> int:
        """How many vector entries one plaintext (one ciphertext) carries."""
        return self.fields_per_plaintext - 1

    @property
    def noise_offset(self) -> int:
        """``B``: added to every slot of a noise vector, subtracted once per noise vector."""
        return 1 << (self.slot_bits - 2)

    def plaintexts_for(self, length: int) -> int:
        """How many plaintexts a vector of ``length`` entries packs into."""
        return max(1, math.ceil(length / self.slots_per_plaintext))

    def capacity(self, offsets_added: int = 1) -> int:
        """The exclusive upper bound on ``counts + noise`` per slot after ``offsets_added``."""
        self._check_offsets(offsets_added)
        return (1 << self.slot_bits) - offsets_added * self.noise_offset

    def ensure_headroom(self, max_total: int, offsets_added: int = 1) -> None:
        """Raise :class:`CryptoError` unless slot totals up to ``max_total`` decode exactly."""
        if max_total >= self.capacity(offsets_added):
            raise CryptoError(
                f"{self.slot_bits}-bit slots cannot hold the largest possible total of this sum; "
                "use wider slots (slot_bits) or split the sum"
            )

    def pack(self, values: Sequence[int] | IntArray) -> list[int]:
        """The plaintexts of one vector of non-negative counts."""
        return self.pack_many(np.asarray(values, dtype=np.int64).reshape(1, -1))[0]

    def pack_noise(self, noise: Sequence[int] | IntArray) -> list[int]:
        """The plaintexts of one signed noise vector, each slot offset by ``B``."""
        matrix = np.asarray(noise, dtype=np.int64).reshape(1, -1)
        return self.pack_many(matrix, offset=self.noise_offset)[0]

    def pack_many(self, matrix: IntArray, *, offset: int = 0) -> list[list[int]]:
        """The plaintexts of every row of ``matrix`` (rows × length), ``offset`` added per slot."""
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.integer):
            raise InputError("pack_many needs a 2-d integer array (vectors × slots)")
        fields = self._to_fields(matrix.astype(np.int64), offset)
        rows, per_row = fields.shape[0], fields.shape[1]
        ints = self._fields_to_ints(fields.reshape(rows * per_row, -1))
        return [ints[r * per_row : (r + 1) * per_row] for r in range(rows)]

    def unpack(
        self, plaintexts: Sequence[int], offsets_added: int = 0, *, length: int | None = None
    ) -> IntArray:
        """The slot values of summed plaintexts, minus ``offsets_added · B``, as int64.

        ``length`` trims the padding of the last plaintext. Raises :class:`CryptoError` when a
        slot overflowed (checksum mismatch) or a plaintext is out of range.
        """
        self._check_offsets(offsets_added)
        raw = self._ints_to_fields(plaintexts)
        self._verify_checksums(raw)
        values = raw[:, :-1].astype(np.int64) - offsets_added * self.noise_offset
        flat = values.reshape(-1)
        if length is not None:
            if not 0 <= length <= flat.size:
                raise InputError(f"length must be in [0, {flat.size}], not {length}")
            flat = flat[:length]
        return flat

    # -- internals ----------------------------------------------------------------------------

    def _check_offsets(self, offsets_added: int) -> None:
        limit = (1 << self.slot_bits) // self.noise_offset - 1
        if not 0 <= offsets_added <= limit:
            raise ConfigError(f"offsets_added must be in [0, {limit}], not {offsets_added}")

    def _to_fields(self, matrix: IntArray, offset: int) -> npt.NDArray[np.uint64]:
        """Validate, offset and pad ``matrix``; append checksums: (rows, plaintexts, fields)."""
        slot_limit = 1 << self.slot_bits
        if matrix.size and (matrix.min() + offset < 0 or matrix.max() + offset >= slot_limit):
            kind = "noise" if offset else "count"
            raise CryptoError(
                f"a {kind} value does not fit a {self.slot_bits}-bit slot"
                f"{f' after the offset {offset}' if offset else ''}; counts must be in "
                f"[0, 2^{self.slot_bits}), noise in [-B, 2^{self.slot_bits} - B)"
            )
        rows, length = matrix.shape
        per_row = self.plaintexts_for(length)
        flat = np.full((rows, per_row * self.slots_per_plaintext), offset, dtype=np.uint64)
        flat[:, :length] = (matrix + offset).astype(np.uint64)
        slots = flat.reshape(rows, per_row, self.slots_per_plaintext)
        mask = np.uint64(slot_limit - 1)
        # uint64 sums wrap mod 2^64, a multiple of 2^slot_bits, so the masked result is exact.
        checksum = (np.uint64(0) - slots.sum(axis=2, dtype=np.uint64)) & mask
        return np.concatenate([slots, checksum[..., np.newaxis]], axis=2)

    def _fields_to_ints(self, fields: npt.NDArray[np.uint64]) -> list[int]:
        """One little-endian integer per row of ``fields`` (rows × fields_per_plaintext)."""
        field_bytes = self.slot_bits // 8
        as_bytes = fields.astype("<u8").view(np.uint8).reshape(fields.shape[0], -1, 8)
        packed = np.ascontiguousarray(as_bytes[:, :, :field_bytes]).reshape(fields.shape[0], -1)
        return [int.from_bytes(row.tobytes(), "little") for row in packed]

    def _ints_to_fields(self, plaintexts: Sequence[int]) -> npt.NDArray[np.uint64]:
        """The fields of each plaintext (margin bits dropped): (plaintexts, fields)."""
        field_bytes = self.slot_bits // 8
        total_bytes = (self.modulus_bits + 7) // 8
        used = self.fields_per_plaintext * field_bytes
        limit = 1 << self.modulus_bits
        if any(not 0 <= p < limit for p in plaintexts):
            raise CryptoError(
                "a plaintext is negative or wider than this codec's modulus: wrong key or codec"
            )
        blob = b"".join(int(p).to_bytes(total_bytes, "little")[:used] for p in plaintexts)
        as_bytes = np.frombuffer(blob, dtype=np.uint8).reshape(
            -1, self.fields_per_plaintext, field_bytes
        )
        padded = np.zeros((*as_bytes.shape[:2], 8), dtype=np.uint8)
        padded[:, :, :field_bytes] = as_bytes
        return padded.view("<u8").reshape(as_bytes.shape[:2]).astype(np.uint64)

    def _verify_checksums(self, raw: npt.NDArray[np.uint64]) -> None:
        mask = np.uint64((1 << self.slot_bits) - 1)
        balance = raw.sum(axis=1, dtype=np.uint64) & mask
        bad = np.flatnonzero(balance)
        if bad.size:
            raise CryptoError(
                f"packed sum overflowed a {self.slot_bits}-bit slot (checksum mismatch in "
                f"plaintext {int(bad[0])}): a slot total reached its capacity; use wider slots "
                "(slot_bits) or split the sum"
            )
