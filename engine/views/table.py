"""One family's payload vectors for some periods, stored sparsely (CSR), and how to build them.

Every slot of every family holds 0 or 1, and a record sets at most ``family.max_nonzero`` slots out
of a few hundred, so a table keeps, per record, only the sorted indices of its non-zero slots
(compressed sparse rows: record ``r`` owns ``indices[indptr[r]:indptr[r + 1]]``); the
preparation (:mod:`engine.parties.carrier`) stores them per month.

Map of the module:

* :class:`PayloadTable` — the records (subscriber, period) and their slots, validated on
  construction (CSR invariants, slot range, the non-zero bound);
* :func:`table_from_pairs` — builds a table from record keys and ``(record key, slot)`` pairs, the
  shape every view module produces;
* :func:`concatenate` — one table from tables of the same family (the preparation builds one per
  group of subscribers);
* :func:`distinct`, :func:`distinct_counts` — sorted unique int64 keys (and their counts) by
  sorting: ``np.unique`` of numpy 2.4 hashes large int64 arrays first, ten times slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.views.domains import ViewFamily
from foundation.errors import InputError

__all__ = ["PayloadTable", "concatenate", "distinct", "distinct_counts", "table_from_pairs"]


@dataclass(frozen=True, eq=False)
class PayloadTable:
    """Records of one family: ``subscriber_ids[r]``, ``periods[r]`` and the slots set to 1."""

    family: ViewFamily
    subscriber_ids: npt.NDArray[np.object_]
    periods: npt.NDArray[np.object_]
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        rows = len(self.subscriber_ids)
        if len(self.periods) != rows or self.indptr.shape != (rows + 1,):
            raise InputError(
                f"payload table {self.family.name}: ids, periods and indptr (one longer) "
                "must have matching lengths"
            )
        self._check_csr()

    def _check_csr(self) -> None:
        """CSR invariants: indptr runs 0…len(indices), slots in range, strictly rising per row."""
        name = self.family.name
        counts = np.diff(self.indptr)
        if self.indptr[0] != 0 or self.indptr[-1] != len(self.indices) or (counts < 0).any():
            raise InputError(f"payload table {name}: indptr must rise from 0 to len(indices)")
        if len(self.indices) and (self.indices.min() < 0 or self.indices.max() >= self.family.size):
            raise InputError(f"payload table {name}: slot index outside 0…{self.family.size - 1}")
        if (counts > self.family.max_nonzero).any():
            raise InputError(
                f"payload table {name}: a record sets more than "
                f"{self.family.max_nonzero} slots; the view's caps were not applied"
            )
        starts_row = np.zeros(len(self.indices), dtype=bool)
        starts_row[self.indptr[:-1][counts > 0]] = True
        if (np.diff(self.indices)[~starts_row[1:]] <= 0).any():
            raise InputError(f"payload table {name}: slots of a record must rise strictly")

    def __len__(self) -> int:
        return len(self.subscriber_ids)

    def dense(self, row: int) -> npt.NDArray[np.int64]:
        """The full vector of record ``row``: ``family.size`` slots of 0 or 1."""
        if not 0 <= row < len(self):
            raise InputError(f"payload table {self.family.name}: no record at row {row}")
        vector = np.zeros(self.family.size, dtype=np.int64)
        vector[self.indices[self.indptr[row] : self.indptr[row + 1]]] = 1
        return vector

    def row_slots(self, row: int) -> npt.NDArray[np.int64]:
        """The sorted non-zero slot indices of record ``row``."""
        return self.indices[self.indptr[row] : self.indptr[row + 1]]

    def row_labels(self, row: int) -> list[tuple[str, str]]:
        """The ``(block, label)`` of every non-zero slot of record ``row`` (for reading, tests)."""
        labels = self.family.labels()
        return [labels[int(slot)] for slot in self.row_slots(row)]

    def select(self, rows: npt.ArrayLike) -> PayloadTable:
        """A table of the given records (indices or a boolean mask), in the given order."""
        picked = np.arange(len(self))[np.asarray(rows)]
        counts = np.diff(self.indptr)[picked]
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        spans = [self.indices[self.indptr[r] : self.indptr[r + 1]] for r in picked]
        indices = np.concatenate(spans).astype(np.int64) if spans else _empty_int()
        return PayloadTable(
            self.family, self.subscriber_ids[picked], self.periods[picked], indptr, indices
        )

    def slot_totals(self) -> npt.NDArray[np.int64]:
        """Per slot, how many records set it (the plaintext sum over the whole table)."""
        return np.bincount(self.indices, minlength=self.family.size).astype(np.int64)


def concatenate(family: ViewFamily, tables: Sequence[PayloadTable]) -> PayloadTable:
    """One table of ``family`` holding the records of ``tables`` in the order given."""
    if any(table.family != family for table in tables):
        raise InputError(f"payload table {family.name}: only tables of one family concatenate")
    if not tables:
        empty = np.zeros(0, dtype=object)
        return PayloadTable(family, empty, empty.copy(), np.zeros(1, dtype=np.int64), _empty_int())
    starts = np.cumsum([0] + [len(table.indices) for table in tables[:-1]])
    indptr = np.concatenate(
        [[0]] + [table.indptr[1:] + start for table, start in zip(tables, starts, strict=True)]
    )
    return PayloadTable(
        family,
        np.concatenate([table.subscriber_ids for table in tables]),
        np.concatenate([table.periods for table in tables]),
        indptr.astype(np.int64),
        np.concatenate([table.indices for table in tables]).astype(np.int64),
    )


def distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted unique values of an int64 array."""
    ordered = np.sort(values.astype(np.int64))
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def distinct_counts(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted unique values of an int64 array and how often each occurs."""
    ordered = np.sort(values.astype(np.int64))
    if not len(ordered):
        return ordered, ordered.copy()
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return ordered[starts], np.diff(np.r_[starts, len(ordered)]).astype(np.int64)


def _empty_int() -> npt.NDArray[np.int64]:
    return np.zeros(0, dtype=np.int64)


def table_from_pairs(
    family: ViewFamily,
    record_keys: npt.NDArray[np.int64],
    pair_keys: npt.NDArray[np.int64],
    pair_slots: npt.NDArray[np.int64],
    subscriber_ids: npt.NDArray[np.object_],
    periods: npt.NDArray[np.object_],
) -> PayloadTable:
    """Build a table from sorted unique ``record_keys`` and ``(key, slot)`` pairs (any order).

    ``subscriber_ids`` and ``periods`` label the records, aligned with ``record_keys``. Every pair
    key must be a record key; duplicate pairs collapse to one (values are 0/1).
    """
    rows = np.searchsorted(record_keys, pair_keys)
    if len(pair_keys) and (
        rows.max(initial=0) >= len(record_keys) or (record_keys[rows] != pair_keys).any()
    ):
        raise InputError(f"payload table {family.name}: a slot belongs to no record")
    flat = distinct(rows.astype(np.int64) * family.size + pair_slots.astype(np.int64))
    counts = np.bincount(flat // family.size, minlength=len(record_keys))
    indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return PayloadTable(family, subscriber_ids, periods, indptr, flat % family.size)
