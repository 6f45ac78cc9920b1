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
depend on how the scope was partitioned or where the tasks ran.

A block whose records hold a label for hours (the departure view's location class at every
20-minute time) is summed by its **runs** instead: :func:`run_boundaries` turns a record's slots
into the first slot of each run and an end mark after each run's last, and
:meth:`SlotSums.close_runs` recovers every slot's product as (starts up to it) / (ends before it),
one inversion per slot of the query rather than one multiplication per slot of every record
(2.8 runs against 46 slots per record in the demo's departure view). :meth:`SlotSums.add_parents`
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
from foundation.errors import ProtocolError

__all__ = ["PartitionRecords", "SlotSums", "partial_products", "run_boundaries"]

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


def run_boundaries(
    indptr: IntArray, slots: IntArray, previous: IntArray, following: IntArray
) -> tuple[IntArray, IntArray]:
    """Records' slots (CSR: ``indptr``, ``slots``) as the boundaries of their runs.

    ``previous[s]``/``following[s]`` are the slots of the same label at the neighbouring times
    (−1 at the ends, and for slots outside any run: those are kept as they are). A slot set
    whose previous slot is not set starts a run and stays ``s``; a set slot whose following
    slot exists but is not set ends one, marked ``len(previous) + s``. Returns the new CSR.
    """
    length = len(previous)
    record = np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))
    held = np.sort(record * length + slots)

    def is_set(neighbour: IntArray) -> npt.NDArray[np.bool_]:
        found = neighbour >= 0
        keys = record * length + np.where(found, neighbour, 0)
        at = np.minimum(np.searchsorted(held, keys), max(len(held) - 1, 0))
        return found & (held[at] == keys) if len(held) else found & False

    starts = ~is_set(previous[slots])
    ends = (following[slots] >= 0) & ~is_set(following[slots])
    marks = np.concatenate([slots[starts], length + slots[ends]])
    owners = np.concatenate([record[starts], record[ends]])
    order = np.argsort(owners, kind="stable")
    counts = np.bincount(owners, minlength=len(indptr) - 1)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), marks[order]


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


def _times(left: gmpy2.mpz | None, right: gmpy2.mpz | None, modulus: gmpy2.mpz) -> gmpy2.mpz | None:
    """``left · right mod modulus`` where None is the neutral element (no ciphertext)."""
    if left is None:
        return right
    return left if right is None else left * right % modulus


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

    def close_runs(self, previous: IntArray) -> None:
        """Turn run boundaries (:func:`run_boundaries`) back into every slot's product.

        Along each run of slots (``previous`` links, as given to :func:`run_boundaries`), the
        product at ``s`` is that of the starts at or before ``s`` over that of the end marks
        before it: the records whose run covers ``s``. Call after every partition is merged.
        """
        length = len(previous)
        modulus = self.nsquare
        for sums in self._sums:
            starts: dict[int, gmpy2.mpz] = {}
            ends: dict[int, gmpy2.mpz] = {}
            for slot in range(length):  # a slot's previous slot always comes before it
                start, ended = sums.get(slot), None
                before = int(previous[slot])
                if before >= 0:
                    start = _times(starts.get(before), start, modulus)
                    ended = _times(ends.get(before), sums.get(length + before), modulus)
                if start is not None:
                    starts[slot] = start
                if ended is not None:
                    ends[slot] = ended
            for slot in range(length, 2 * length):
                sums.pop(slot, None)
            for slot, start in starts.items():
                ended = ends.get(slot)
                if ended is None:
                    sums[slot] = start
                    continue
                try:
                    sums[slot] = start * gmpy2.invert(ended, modulus) % modulus
                except ZeroDivisionError:
                    raise ProtocolError("an indicator ciphertext is not invertible") from None

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
