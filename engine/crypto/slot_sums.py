"""The carrier's homomorphic sums: per payload slot, the product of its records' indicators.

In protocol v2 (DESIGN §3, step 6) the carrier holds, for every record of its scope, the payload
slots the record sets (plaintext, its own data) and the airline's indicator ciphertexts for the
record's scope position (one per lane piece, :mod:`engine.crypto.lanes`). The sum of slot ``s``
over the airline's groups is the product of the indicators of the records that set ``s``: one
multiplication mod ``n²`` per non-zero slot, the floor of the whole step.

The work splits by scope partition: :func:`partial_products` is a pure task over one partition's
records — the public modulus ``n²``, slot numbers and ciphertexts, no key of anyone — so it runs
unchanged on the carrier's own runner (in this process, threads or its own Dask cluster), and
:class:`SlotSums` multiplies the partials together (the seeds' 重ね合わせ): the result does not
depend on how the scope was partitioned or where the tasks ran. :meth:`SlotSums.add_parents`
gives a two-level map its parent slots, each the product of its children's sums (so its sum is
exactly theirs, with no extra indicator). :meth:`SlotSums.noised_outputs` then packs the sums
(Horner) and adds the carrier's noise under encryption with a uniform mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import gmpy2
import numpy as np
import numpy.typing as npt

from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import Encryptor

__all__ = ["PartitionRecords", "SlotSums", "partial_products"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PartitionRecords:
    """One partition's records, compactly (cheap to ship to a worker).

    Record ``r`` sets slots ``slots[indptr[r]:indptr[r + 1]]`` and has the ciphertexts
    ``ciphertexts[(r · pieces + p) · width : …]`` for pieces ``p`` (fixed-width, big-endian).
    """

    indptr: IntArray
    slots: IntArray
    pieces: int
    width: int
    ciphertexts: bytes

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @property
    def products(self) -> int:
        """Multiplications the partition costs."""
        return len(self.slots) * self.pieces


def partial_products(nsquare: int, records: PartitionRecords) -> list[dict[int, int]]:
    """Per piece, slot → product of the ciphertexts of the records that set the slot (a task)."""
    modulus = gmpy2.mpz(nsquare)
    partial: list[dict[int, gmpy2.mpz]] = [{} for _ in range(records.pieces)]
    bounds = records.indptr.tolist()
    slots_of = records.slots.tolist()
    width, blob = records.width, records.ciphertexts
    for record in range(len(records)):
        slots = slots_of[bounds[record] : bounds[record + 1]]
        for piece in range(records.pieces):
            start = (record * records.pieces + piece) * width
            value = gmpy2.mpz(int.from_bytes(blob[start : start + width], "big"))
            sums = partial[piece]
            for slot in slots:
                held = sums.get(slot)
                sums[slot] = value if held is None else held * value % modulus
    return [{slot: int(v) for slot, v in sums.items()} for sums in partial]


class SlotSums:
    """Running per-slot products of one query, merged from partition partials."""

    def __init__(self, nsquare: int, pieces: int, slots: int) -> None:
        self.nsquare = gmpy2.mpz(nsquare)
        self.slots = slots
        self._sums: list[dict[int, gmpy2.mpz]] = [{} for _ in range(pieces)]

    def merge(self, partial: Sequence[dict[int, int]]) -> None:
        """Multiply one partition's partial products in."""
        for sums, part in zip(self._sums, partial, strict=True):
            for slot, value in part.items():
                held = sums.get(slot)
                sums[slot] = gmpy2.mpz(value) if held is None else held * value % self.nsquare

    def add_parents(self, members: Sequence[Sequence[int]], first: int) -> None:
        """Slot ``first + p`` ← the product of the sums of slots ``members[p]`` (every piece).

        Call after every partition is merged. An empty child (no record set it) is Enc(0)'s
        neutral element 1 and is skipped; the parent's own noise is added with every output's.
        """
        if first + len(members) > self.slots:
            raise ValueError("parent slots must lie inside the vector")
        for sums in self._sums:
            for p, children in enumerate(members):
                product: gmpy2.mpz | None = None
                for child in children:
                    held = sums.get(child)
                    if held is not None:
                        product = held if product is None else product * held % self.nsquare
                if product is not None:
                    sums[first + p] = product

    def noised_outputs(
        self, lanes: LaneLayout, noise: IntArray, encryptor: Encryptor
    ) -> tuple[list[int], tuple[int, ...]]:
        """Horner-packed sums with ``Enc(noise)`` under a uniform mask; outputs per piece.

        ``noise`` is groups × slots. Every output gets its noise and its own uniform residue
        (``rerandomize``), empty slots included, so that the key holder can neither tell which
        records went into a sum nor subtract anything it knows.
        """
        outputs: list[int] = []
        counts = []
        n, nsquare = int(encryptor.n), int(self.nsquare)
        for piece, sums in zip(lanes.pieces, self._sums, strict=True):
            ordered = [sums.get(slot, gmpy2.mpz(1)) for slot in range(self.slots)]
            packed = LaneLayout.horner(ordered, piece, nsquare)
            masks = lanes.noise_plaintexts(piece, noise[piece.start : piece.stop, :].T)
            for ciphertext, mask in zip(packed, masks, strict=True):
                outputs.append(encryptor.rerandomize(ciphertext * (1 + mask * n) % nsquare))
            counts.append(len(packed))
        self._sums = []
        return outputs, tuple(counts)
