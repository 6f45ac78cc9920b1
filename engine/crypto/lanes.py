"""Group lanes: the airline's one-hot indicators, the carrier's per-slot sums, and Horner packing.

Why lanes exist. In protocol v2 (DESIGN §3) the airline answers every position of the carrier's
scope list with *one* ciphertext under its own Paillier key: the one-hot vector of the cohort
group the position matched (or zero). The carrier multiplies, for every payload slot ``s``, the
indicators of its records that have ``s`` set; the plaintext of that product is the vector of
per-group counts of slot ``s`` — one sum per group for the price of one multiplication per
non-zero slot. A plaintext of a 2048-bit key holds 84 fields of 24 bits, so the ``G`` groups of a
query are laid side by side as *lanes*, and a checksum lane holding the sum of the lanes follows
them::

    one block (one slot's sums):   [ checksum | lane G−1 | … | lane 1 | lane 0 ]    G + 1 fields

Sums of indicators keep the checksum equal to the sum of the lanes, so once decrypted a block
that does not balance has overflowed or been tampered with, and is refused. The checksum tells
the key holder nothing new: it is the sum of values it decrypts anyway.

**Pieces.** More groups than fit one plaintext (G + 1 > 84) are split into *pieces* of balanced
lane counts; a position then gets one ciphertext per piece, and everything below is done per piece.

**Horner packing.** One product per slot would mean one decryption per slot (1,152 for a visit
map). A block is only ``(G + 1) · 24`` bits, so the carrier packs ``k = ⌊84 / (G + 1)⌋`` slot
sums into one ciphertext by Horner's rule, ``acc ← acc^(2^w) · P_s`` with ``w`` the block width in
bits: the first slot ends in the highest block. Each output ciphertext then gets the carrier's DP
noise in the same layout, every lane offset by ``B = 2^22`` so that negative noise fits;
the decoder subtracts ``B`` from every lane and from the checksum.

**Headroom and lane width.** A lane of ``w`` bits decodes exactly while
``count + noise + B < 2^w`` (``B = 2^(w−2)``) and the checksum while ``Σ counts + Σ noise + B <
2^w``. Lanes are 16 to 24 bits wide: :meth:`LaneLayout.fitting` picks the narrowest that the
query's public bounds allow — the padded scope's size, which bounds every count because a record
is in one group at most, and the noise's tail bound — so that more groups share a piece and more
slots share an output ciphertext; :meth:`LaneLayout.ensure_headroom` refuses a query no width can
hold before it spends anything.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import gmpy2
import numpy as np
import numpy.typing as npt

from foundation.errors import ConfigError, CryptoError

__all__ = ["LANE_BITS", "MIN_LANE_BITS", "LaneLayout", "Piece"]

LANE_BITS = 24  # the widest lanes (and the default)
MIN_LANE_BITS = 16
MARGIN_BITS = 16
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Piece:
    """A run of group lanes that shares one ciphertext per position: lanes ``[start, stop)``."""

    start: int
    stop: int
    fields_per_plaintext: int
    lane_bits: int = LANE_BITS

    @property
    def lanes(self) -> int:
        """Groups in the piece."""
        return self.stop - self.start

    @property
    def block_fields(self) -> int:
        """Fields of one slot's block: the lanes and the checksum."""
        return self.lanes + 1

    @property
    def block_bits(self) -> int:
        """Bits of one block, the Horner shift."""
        return self.block_fields * self.lane_bits

    @property
    def slots_per_output(self) -> int:
        """Slot blocks packed into one output ciphertext."""
        return self.fields_per_plaintext // self.block_fields

    def outputs_for(self, slots: int) -> int:
        """Output ciphertexts of ``slots`` slot sums."""
        return math.ceil(slots / self.slots_per_output)


@dataclass(frozen=True)
class LaneLayout:
    """How ``groups`` lanes of ``lane_bits`` bits are laid out under a ``modulus_bits`` modulus."""

    modulus_bits: int
    groups: int
    lane_bits: int = LANE_BITS

    def __post_init__(self) -> None:
        if self.groups < 1:
            raise ConfigError(f"a query needs at least one group, not {self.groups}")
        if not MIN_LANE_BITS <= self.lane_bits <= LANE_BITS:
            raise ConfigError(f"lanes are {MIN_LANE_BITS}–{LANE_BITS} bits, not {self.lane_bits}")
        if self.fields_per_plaintext < 2:
            raise ConfigError(
                f"a {self.modulus_bits}-bit modulus holds no {self.lane_bits}-bit lanes"
            )

    @classmethod
    def for_modulus(cls, n: int, groups: int, lane_bits: int = LANE_BITS) -> LaneLayout:
        """The layout of ``groups`` lanes under the Paillier modulus ``n``."""
        return cls(n.bit_length(), groups, lane_bits)

    @classmethod
    def fitting(cls, n: int, groups: int, max_records: int, noise: int) -> LaneLayout:
        """The narrowest lanes whose sums over ``max_records`` records and ``noise`` still fit.

        Both parties call this with public numbers only (the padded scope's size bound and the
        noise's tail bound), so they agree on the layout without a message. Narrower lanes put
        more groups in a piece and more slots in an output ciphertext: fewer encryptions,
        multiplications and decryptions.
        """
        for bits in range(MIN_LANE_BITS, LANE_BITS + 1):
            layout = cls.for_modulus(n, groups, bits)
            if layout.fits(max_records, noise):
                return layout
        widest = cls.for_modulus(n, groups)
        widest.ensure_headroom(max_records, 1, noise)
        return widest

    @property
    def fields_per_plaintext(self) -> int:
        """Lane-wide fields below the top margin of a plaintext."""
        return (self.modulus_bits - 1 - MARGIN_BITS) // self.lane_bits

    @property
    def offset(self) -> int:
        """``B``: added to every lane (and the checksum) of a noise block."""
        return 1 << (self.lane_bits - 2)

    @functools.cached_property
    def pieces(self) -> tuple[Piece, ...]:
        """The groups split into balanced pieces of at most ``fields − 1`` lanes."""
        count = math.ceil(self.groups / (self.fields_per_plaintext - 1))
        size = math.ceil(self.groups / count)
        return tuple(
            Piece(start, min(start + size, self.groups), self.fields_per_plaintext, self.lane_bits)
            for start in range(0, self.groups, size)
        )

    def outputs_for(self, slots: int) -> int:
        """Output ciphertexts of ``slots`` slot sums, over every piece."""
        return sum(piece.outputs_for(slots) for piece in self.pieces)

    def fits(self, max_records: int, noise: int, max_groups_per_record: int = 1) -> bool:
        """Whether sums over ``max_records`` records, each in at most ``max_groups_per_record``
        lanes, with lane noise bounded by ``noise``, decode exactly in every lane and checksum.

        A checksum carries the sum of its piece's lane noises, independent draws, whose bound
        grows with the square root of the lanes (a sub-Gaussian sum; the tail bound ``noise`` is
        far out, 12 σ or more).
        """
        capacity = (1 << self.lane_bits) - self.offset
        widest = max(piece.lanes for piece in self.pieces)
        summed_noise = noise * math.isqrt(widest - 1) + noise if widest > 1 else noise
        records = max_records * min(max_groups_per_record, widest)
        return (
            summed_noise < self.offset and max_records + noise < capacity
            and records + summed_noise < capacity
        )  # fmt: skip

    def ensure_headroom(self, max_records: int, max_groups_per_record: int, noise: int) -> None:
        """Refuse (CryptoError) sums that could overflow a lane or a checksum."""
        if not self.fits(max_records, noise, max_groups_per_record):
            raise CryptoError(  # the record count is the carrier's: never in the message
                f"{self.lane_bits}-bit lanes cannot hold this query's sums; "
                "split the query into shorter periods"
            )

    # -- the airline's indicators -------------------------------------------------------------
    def indicator_plaintexts(self, groups: Sequence[int]) -> list[int]:
        """One plaintext per piece: the one-hot (multi-hot) lanes of ``groups`` and the checksum."""
        plaintexts = []
        for piece in self.pieces:
            value, count = 0, 0
            for group in groups:
                if piece.start <= group < piece.stop:
                    value |= 1 << (self.lane_bits * (group - piece.start))
                    count += 1
            plaintexts.append(value | count << (self.lane_bits * piece.lanes))
        return plaintexts

    # -- the carrier's packing and noise ------------------------------------------------------
    @staticmethod
    def horner(ciphertexts: Sequence[int], piece: Piece, nsquare: int) -> list[int]:
        """Slot sums of one piece packed ``slots_per_output`` to a ciphertext (first slot high)."""
        modulus = gmpy2.mpz(nsquare)
        shift = gmpy2.mpz(1) << piece.block_bits
        step = piece.slots_per_output
        packed = []
        for start in range(0, len(ciphertexts), step):
            acc = gmpy2.mpz(ciphertexts[start])
            for ciphertext in ciphertexts[start + 1 : start + step]:
                acc = gmpy2.powmod(acc, shift, modulus) * ciphertext % modulus
            packed.append(int(acc))
        return packed

    def noise_plaintexts(self, piece: Piece, noise: IntArray) -> list[int]:
        """The plaintexts adding ``noise`` (slots × piece lanes) to a piece's packed outputs."""
        noise = np.asarray(noise, dtype=np.int64)
        if noise.ndim != 2 or noise.shape[1] != piece.lanes:
            raise ConfigError(f"noise for this piece must be slots × {piece.lanes} lanes")
        blocks = np.concatenate([noise, noise.sum(axis=1, keepdims=True)], axis=1) + self.offset
        if blocks.size and (blocks.min() < 0 or blocks.max() >= 1 << self.lane_bits):
            raise CryptoError(f"noise does not fit a {self.lane_bits}-bit lane after its offset")
        step = piece.slots_per_output
        return [
            _pack_blocks(blocks[start : start + step], self.lane_bits)
            for start in range(0, len(blocks), step)
        ]

    # -- the airline's decoding ---------------------------------------------------------------
    def unpack(self, piece: Piece, plaintexts: Sequence[int], slots: int) -> IntArray:
        """Slot × lane values of a piece's decrypted outputs, offsets removed, checksums checked."""
        step = piece.slots_per_output
        rows = []
        for number, plaintext in enumerate(plaintexts):
            in_output = min(step, slots - number * step)
            rows.append(
                _unpack_blocks(int(plaintext), in_output, piece.block_fields, self.lane_bits)
            )
        blocks = np.concatenate(rows, axis=0) - self.offset if rows else np.zeros((0, 1))
        lanes, checksum = blocks[:, :-1], blocks[:, -1]
        if (lanes.sum(axis=1) != checksum).any():
            raise CryptoError(
                "a decrypted sum does not balance its checksum: a lane overflowed or the "
                "carrier's answer was altered; the release is refused"
            )
        return lanes.astype(np.int64)


def _pack_blocks(blocks: IntArray, lane_bits: int) -> int:
    """Blocks (first one highest) as one integer of lane-wide fields."""
    value = 0
    for block in blocks:
        for field in reversed(block.tolist()):  # checksum first: it is the block's top field
            value = value << lane_bits | int(field)
    return value


def _unpack_blocks(plaintext: int, count: int, block_fields: int, lane_bits: int) -> IntArray:
    """``count`` blocks of ``block_fields`` fields from a plaintext, first block first."""
    mask = (1 << lane_bits) - 1
    fields = []
    for _ in range(count * block_fields):
        fields.append(plaintext & mask)
        plaintext >>= lane_bits
    if plaintext:
        raise CryptoError("a decrypted sum has bits above its blocks: wrong key or layout")
    lowest_first = np.asarray(fields, dtype=np.int64).reshape(count, block_fields)
    return lowest_first[::-1]
