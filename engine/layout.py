"""How a view family's slots are laid out in ciphertexts: segments that start on a fresh plaintext.

A family's blocks (``mesh``, ``area``, ``hour``, …) are grouped into *segments*, and each segment
is packed starting on a new plaintext. A query then needs only the ciphertexts of the segments
it reads: the airline sums just those, the carrier decrypts just those, and DP noise — calibrated
to the non-zero caps of those blocks alone — covers everything that is decrypted. A visit map
therefore pays for the six mesh cells a person can touch per day, not for the 24 hours of the
hour block too.

Both parties compute the layout from public facts (the family declaration, the slot width and the
Paillier modulus), so nothing about it crosses the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.crypto.packing import SlotCodec
from engine.errors import InputError
from engine.views import ViewFamily

__all__ = ["SLOT_BITS", "PackedLayout", "Segment", "segment_blocks"]

# Slot width of the protocol: both parties pack with it. 24 bits hold counts and noise up to
# 2^24 − 2^22 per slot with a 2^22 offset for negative noise (see engine.crypto.packing).
SLOT_BITS = 24

# Blocks packed together; any block not named here is a segment of its own.
_SHARED_SEGMENTS: tuple[tuple[str, ...], ...] = (("demographic", "prior_visits"),)


def segment_blocks(family: ViewFamily) -> list[tuple[str, ...]]:
    """The family's blocks grouped into segments, in slot order."""
    names = [block.name for block in family.blocks]
    segments: list[tuple[str, ...]] = []
    for name in names:
        shared = next((s for s in _SHARED_SEGMENTS if name in s), None)
        if shared and segments and segments[-1][0] in shared:
            segments[-1] = (*segments[-1], name)
        else:
            segments.append((name,))
    return segments


@dataclass(frozen=True)
class Segment:
    """A run of blocks: its slot range in the family and its ciphertext range in a record."""

    blocks: tuple[str, ...]
    slot_start: int
    slot_stop: int
    ciphertext_start: int
    ciphertext_stop: int
    max_nonzero: int

    @property
    def length(self) -> int:
        """Slots in the segment."""
        return self.slot_stop - self.slot_start


@dataclass(frozen=True)
class PackedLayout:
    """The segments of one family under one codec."""

    family: ViewFamily
    codec: SlotCodec
    segments: tuple[Segment, ...]

    @classmethod
    def of(cls, family: ViewFamily, codec: SlotCodec) -> PackedLayout:
        """Lay ``family`` out for ``codec``."""
        segments, slot, cipher = [], 0, 0
        caps = {block.name: block.cap for block in family.blocks}
        sizes = {block.name: len(block.labels) for block in family.blocks}
        for blocks in segment_blocks(family):
            length = sum(sizes[name] for name in blocks)
            count = codec.plaintexts_for(length)
            nonzero = sum(caps[name] for name in blocks)
            segments.append(Segment(blocks, slot, slot + length, cipher, cipher + count, nonzero))
            slot, cipher = slot + length, cipher + count
        return cls(family, codec, tuple(segments))

    @property
    def ciphertexts_per_record(self) -> int:
        """Ciphertexts one record needs."""
        return self.segments[-1].ciphertext_stop

    def segment_of(self, block: str) -> Segment:
        """The segment holding ``block``."""
        for segment in self.segments:
            if block in segment.blocks:
                return segment
        raise InputError(f"view family {self.family.name} has no block {block!r}")

    def pack_rows(self, matrix: npt.NDArray[np.int64]) -> list[list[int]]:
        """Plaintexts of each row of a records × family-size 0/1 matrix, segment by segment."""
        rows: list[list[int]] = [[] for _ in range(matrix.shape[0])]
        for segment in self.segments:
            packed = self.codec.pack_many(matrix[:, segment.slot_start : segment.slot_stop])
            for row, plaintexts in zip(rows, packed, strict=True):
                row.extend(plaintexts)
        return rows

    def unpack_segment(
        self, segment: Segment, plaintexts: Sequence[int], offsets_added: int = 0
    ) -> npt.NDArray[np.int64]:
        """Slot values of one segment from its (summed) plaintexts."""
        return np.asarray(
            self.codec.unpack(plaintexts, offsets_added, length=segment.length), dtype=np.int64
        )
