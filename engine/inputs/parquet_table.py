"""Reading a Parquet input: its columns as ``pandas`` types that the field parsers accept.

Why not plain ``pd.read_parquet``: Parquet carries types, and some of them cannot become the
columns the parsers expect. A timestamp past 2262 or before 1900 overflows ``datetime64[ns]``
and ``pandas`` raises an error that quotes the value; a binary or nested column has no text form
a parser could check. So each column's Parquet type is checked first: text, numbers, booleans and
all-null columns pass as they are; dictionary-encoded text is decoded; dates become timestamps;
timestamps outside 1900–2261 reject their row (reported by row and field, the value never shown)
and the rest are converted to nanoseconds safely; any other type stops the file with the column's
name and what to store instead. Records are numbered like CSV rows: the first record is row 2.

Map: :class:`ParquetRows`, :func:`read_parquet_rows` (the whole file) and
:func:`read_parquet_batches` (the same, a batch of records at a time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.inputs.policy import clean_column_names
from engine.inputs.report import FIRST_DATA_ROW, Rejection
from foundation.errors import InputError

__all__ = ["ParquetRows", "read_parquet_batches", "read_parquet_rows"]

_EPOCH = dt.datetime(1970, 1, 1)
_EARLIEST = dt.datetime(1900, 1, 1)
_LATEST = dt.datetime(2262, 1, 1)  # exclusive; datetime64[ns] ends in April 2262
_TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_NOT_PARQUET = (
    "cannot be read as Parquet; check that it is a Parquet file (not renamed CSV or a damaged copy)"
)
_OUT_OF_RANGE = (
    "is a timestamp before 1900 or after 2261; check how it was written (seconds stored as "
    "milliseconds, a placeholder date)"
)


@dataclass(frozen=True)
class ParquetRows:
    """A Parquet file's records as a frame indexed by row number, and its rejected rows."""

    frame: pd.DataFrame
    malformed: tuple[Rejection, ...]


def read_parquet_rows(path: Path) -> ParquetRows:
    """Read ``path``; raise :class:`InputError` if it is not Parquet or has an unusable column."""
    file = path.name
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException, ValueError):
        raise InputError(_NOT_PARQUET, file=file) from None
    return _rows_of(table, file, 0)


def read_parquet_batches(path: Path, batch_rows: int) -> Iterator[ParquetRows]:
    """:func:`read_parquet_rows` a batch of ``batch_rows`` records at a time, numbered as in the
    whole file, so that a file of tens of millions of rows never sits in memory as text at once.
    An empty file gives one empty batch (its columns only)."""
    file = path.name
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
    except (OSError, pa.ArrowException, ValueError):
        raise InputError(_NOT_PARQUET, file=file) from None
    offset = 0
    batches = parquet.iter_batches(batch_size=batch_rows)
    while True:
        try:
            batch = next(batches, None)
        except (OSError, pa.ArrowException, ValueError):
            raise InputError(_NOT_PARQUET, file=file) from None
        if batch is None:
            break
        yield _rows_of(pa.Table.from_batches([batch], schema=schema), file, offset)
        offset += batch.num_rows
    if offset == 0:
        yield _rows_of(schema.empty_table(), file, 0)


def _rows_of(table: pa.Table, file: str, offset: int) -> ParquetRows:
    """Records ``offset…`` of a file as a frame indexed by row number, and the rejected ones."""
    table = table.rename_columns(list(clean_column_names(table.column_names, file)))
    columns: dict[str, pa.ChunkedArray] = {}
    bad_rows: dict[int, list[str]] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        columns[name], bad = _usable(name, column, file)
        for position in np.flatnonzero(bad):
            bad_rows.setdefault(int(position), []).append(name)
    frame = pa.table(columns).to_pandas() if columns else pd.DataFrame(index=range(len(table)))
    first = FIRST_DATA_ROW + offset
    frame.index = pd.RangeIndex(first, first + len(frame), name="row")
    malformed = tuple(
        Rejection(file, first + position, name, _OUT_OF_RANGE)
        for position in sorted(bad_rows)
        for name in bad_rows[position]
    )
    dropped = [first + position for position in sorted(bad_rows)]
    return ParquetRows(frame.drop(index=dropped), malformed)


def _usable(name: str, column: pa.ChunkedArray, file: str) -> tuple[pa.ChunkedArray, np.ndarray]:
    """The column in a type the parsers accept, and the mask of rows it rejects."""
    kind = column.type
    no_rows = np.zeros(len(column), dtype=bool)
    if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
        return column.cast(pa.string()), no_rows
    if _is_text(kind) or pa.types.is_null(kind) or pa.types.is_boolean(kind):
        return column, no_rows
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return column, no_rows
    if pa.types.is_date(kind):
        return _in_range(column.cast(pa.timestamp("s")))
    if pa.types.is_timestamp(kind):
        return _in_range(column)
    raise InputError(
        f"stores its values as Parquet type {kind}, which is neither text, a number, a boolean "
        "nor a timestamp; store the column as text (string)",
        file=file,
        field=name,
    )


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _in_range(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Timestamps outside 1900–2261 become null (and are flagged); the rest become ns."""
    kind = column.type
    per_second = _TICKS_PER_SECOND[kind.unit]
    low = int((_EARLIEST - _EPOCH).total_seconds()) * per_second
    high = int((_LATEST - _EPOCH).total_seconds()) * per_second
    ticks = column.cast(pa.int64())
    outside = pc.or_(pc.less(ticks, low), pc.greater_equal(ticks, high)).fill_null(False)
    kept = pc.if_else(outside, pa.scalar(None, kind), column)
    mask = np.asarray(outside.to_numpy(zero_copy_only=False), dtype=bool)
    return kept.cast(pa.timestamp("ns", tz=kind.tz)), mask
