"""PayloadTable: CSR invariants, dense vectors, selection and building from pairs."""

from __future__ import annotations

import numpy as np
import pytest

from engine.views import PayloadTable, view_family
from engine.views.table import table_from_pairs
from foundation.errors import InputError

DEPART = view_family("depart")


def _table(indptr: list[int], indices: list[int]) -> PayloadTable:
    rows = len(indptr) - 1
    return PayloadTable(
        DEPART,
        np.array([f"s{r}" for r in range(rows)], dtype=object),
        np.array(["2025-08-01"] * rows, dtype=object),
        np.array(indptr, dtype=np.int64),
        np.array(indices, dtype=np.int64),
    )


def test_dense_and_row_slots() -> None:
    """dense() puts ones exactly at the row's slots; an empty row is all zeros."""
    table = _table([0, 2, 2, 3], [0, 161, 5])
    assert len(table) == 3
    assert np.flatnonzero(table.dense(0)).tolist() == [0, 161]
    assert table.dense(1).sum() == 0
    assert table.row_slots(2).tolist() == [5]
    assert table.row_labels(0) == [("class_at", "05:00|home"), ("class_at", "22:40|elsewhere")]
    assert table.slot_totals()[[0, 5, 161]].tolist() == [1, 1, 1]
    with pytest.raises(InputError):
        table.dense(3)


def test_select_keeps_rows_and_order() -> None:
    """select() picks records by index (in that order) or by mask."""
    table = _table([0, 2, 2, 3], [0, 161, 5])
    picked = table.select(np.array([2, 0]))
    assert picked.subscriber_ids.tolist() == ["s2", "s0"]
    assert picked.indptr.tolist() == [0, 1, 3] and picked.indices.tolist() == [5, 0, 161]
    masked = table.select(np.array([False, True, False]))
    assert len(masked) == 1 and masked.indices.size == 0


@pytest.mark.parametrize(
    ("indptr", "indices", "message"),
    [
        ([0, 2], [3, 1], "rise strictly"),
        ([0, 2], [1, 1], "rise strictly"),
        ([0, 1], [162], "outside"),
        ([0, 1], [-1], "outside"),
        ([1, 1], [0], "indptr"),
        ([0, 2, 1], [0, 1], "indptr"),
        ([0, 55], list(range(55)), "more than 54"),
    ],
)
def test_csr_violations_are_refused(indptr: list[int], indices: list[int], message: str) -> None:
    """Unsorted, repeated, out-of-range slots, bad indptr or too many slots raise InputError."""
    with pytest.raises(InputError, match=message):
        _table(indptr, indices)


def test_rows_may_start_with_smaller_slot_than_previous_row_ended() -> None:
    """Strict order is per record: a new row may restart at a low slot."""
    table = _table([0, 2, 3], [100, 150, 3])
    assert table.row_slots(1).tolist() == [3]


def test_table_from_pairs_collapses_duplicates_and_checks_keys() -> None:
    """Repeated pairs count once; a pair of an unknown record raises InputError."""
    records = np.array([10, 20, 30], dtype=np.int64)
    ids = np.array(["a", "b", "c"], dtype=object)
    periods = np.array(["2025-08-01"] * 3, dtype=object)
    keys = np.array([30, 10, 30, 10], dtype=np.int64)
    slots = np.array([7, 4, 2, 4], dtype=np.int64)
    table = table_from_pairs(DEPART, records, keys, slots, ids, periods)
    assert table.indptr.tolist() == [0, 1, 1, 3]
    assert table.indices.tolist() == [4, 2, 7]
    with pytest.raises(InputError, match="no record"):
        table_from_pairs(DEPART, records, np.array([15]), np.array([1]), ids, periods)
    with pytest.raises(InputError, match="no record"):
        table_from_pairs(DEPART, records, np.array([31]), np.array([1]), ids, periods)
