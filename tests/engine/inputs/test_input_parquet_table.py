"""Tests for engine.inputs.parquet_table: Parquet types checked, timestamps kept in range."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.inputs.parquet_table import read_parquet_rows
from foundation.errors import InputError


def write(tmp_path: Path, table: pa.Table) -> Path:
    """Write ``table`` as observations.parquet."""
    path = tmp_path / "observations.parquet"
    pq.write_table(table, path)
    return path


def test_timestamps_past_2262_reject_their_row_without_the_value(tmp_path: Path) -> None:
    """A year-3000 timestamp rejects row 3 only; the message does not show it."""
    stamps = [dt.datetime(2025, 8, 1), dt.datetime(3000, 1, 1), dt.datetime(1850, 1, 1)]
    table = pa.table({"Observed_At": pa.array(stamps, pa.timestamp("us")), "id": ["a", "b", "c"]})
    rows = read_parquet_rows(write(tmp_path, table))
    assert list(rows.frame.index) == [2]
    assert [(r.row, r.field) for r in rows.malformed] == [(3, "observed_at"), (4, "observed_at")]
    assert "3000" not in rows.malformed[0].reason
    assert str(rows.frame["observed_at"].dtype) == "datetime64[ns]"


def test_dates_and_dictionary_text_become_parser_types(tmp_path: Path) -> None:
    """date32 becomes a timestamp and dictionary-encoded text becomes plain text."""
    table = pa.table(
        {
            "day": pa.array([dt.date(2025, 8, 1)], pa.date32()),
            "code": pa.array(["01101"]).dictionary_encode(),
        }
    )
    rows = read_parquet_rows(write(tmp_path, table))
    assert rows.frame.loc[2, "code"] == "01101"
    assert str(rows.frame["day"].dtype).startswith("datetime64")


def test_binary_column_stops_the_file_naming_the_column(tmp_path: Path) -> None:
    """A binary phone column cannot be checked as text: InputError names file and field."""
    table = pa.table({"phone": pa.array([b"\x00\x01"], pa.binary())})
    with pytest.raises(InputError, match="store the column as text") as caught:
        read_parquet_rows(write(tmp_path, table))
    assert caught.value.field == "phone"


def test_empty_parquet_reads_no_rows(tmp_path: Path) -> None:
    """A Parquet table with columns but no records gives an empty frame."""
    table = pa.table({"id": pa.array([], pa.string())})
    assert read_parquet_rows(write(tmp_path, table)).frame.empty
