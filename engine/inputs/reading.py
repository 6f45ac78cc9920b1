"""Reading one input file into raw columns, numbered as a spreadsheet numbers its rows.

CSV is read entirely as text (nothing is guessed: ``01`` stays ``01``, ``NA`` stays ``NA``) so
that the parsers in :mod:`engine.inputs.fields` see what the user wrote; the strict line-by-line
reader is :mod:`engine.inputs.csv_lines`. Parquet keeps its column types, checked by
:mod:`engine.inputs.parquet_table`. Both report malformed rows instead of stopping, so a bad row
never hides the others, and only a file that is unusable as a whole raises
:class:`~foundation.errors.InputError`.

The returned frame is indexed by row number as a spreadsheet shows it: the header is row 1, the
first data row row 2 (Parquet: first record = row 2). Blank rows (only separators and spaces, or
an all-empty record) are counted and left out, keeping their numbers, so later rows still point to
the right line. A value longer than :data:`~engine.inputs.policy.MAX_FIELD_CHARS` rejects its row.
Column names are trimmed and lower-cased.

Map: :class:`RawTable`, :func:`read_raw` and :func:`read_raw_batches` (a Parquet file a batch of
rows at a time); private helpers for blank rows and long values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.inputs.csv_lines import read_csv_rows
from engine.inputs.fields import as_text
from engine.inputs.parquet_table import read_parquet_batches, read_parquet_rows
from engine.inputs.policy import MAX_FIELD_CHARS
from engine.inputs.report import Rejection
from foundation.errors import InputError

__all__ = ["BATCH_ROWS", "RawTable", "read_raw", "read_raw_batches"]

# Parquet records read and checked together: ~300 MB of text and reasons at a time, however long
# the file (a carrier's observations run to tens of millions of rows).
BATCH_ROWS = 1_000_000


@dataclass(frozen=True)
class RawTable:
    """A file's raw columns indexed by spreadsheet row number, its malformed and blank rows."""

    file: str
    frame: pd.DataFrame
    malformed: tuple[Rejection, ...] = ()
    blank_rows: tuple[int, ...] = ()

    @property
    def rows_read(self) -> int:
        """Data rows in the file: usable, malformed and blank ones."""
        malformed = len({rejection.row for rejection in self.malformed})
        return len(self.frame) + malformed + len(self.blank_rows)


def read_raw(path: Path) -> RawTable:
    """Read a ``.csv`` or ``.parquet`` file; raise :class:`InputError` if it cannot be used."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = read_csv_rows(path)
        frame, malformed, blank = rows.frame, rows.malformed, rows.blank_rows
    elif suffix == ".parquet":
        parquet = read_parquet_rows(path)
        frame, malformed, blank = parquet.frame, parquet.malformed, ()
    else:
        raise InputError("is neither .csv nor .parquet; save it in one of them", file=path.name)
    frame, empty_rows = _drop_blank_rows(frame)
    frame, too_long = _reject_long_values(frame, path.name)
    blank = tuple(sorted((*blank, *empty_rows)))
    return RawTable(path.name, frame, tuple(sorted((*malformed, *too_long), key=_row)), blank)


def read_raw_batches(path: Path, batch_rows: int | None = None) -> Iterator[RawTable]:
    """:func:`read_raw` in batches: a Parquet file ``batch_rows`` (default :data:`BATCH_ROWS`)
    records at a time, rows numbered as in the whole file; a CSV file as one batch."""
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        yield read_raw(path)
        return
    for parquet in read_parquet_batches(path, batch_rows or BATCH_ROWS):
        frame, empty_rows = _drop_blank_rows(parquet.frame)
        frame, too_long = _reject_long_values(frame, path.name)
        malformed = tuple(sorted((*parquet.malformed, *too_long), key=_row))
        yield RawTable(path.name, frame, malformed, empty_rows)


def _row(rejection: Rejection) -> int:
    return rejection.row


def _drop_blank_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """Leave out rows whose every value is empty; return their row numbers."""
    blank = pd.Series(True, index=frame.index)
    for name in frame.columns:
        blank &= as_text(frame[name]) == ""
        if not blank.any():  # the usual case, decided by the first column
            return frame, ()
    return frame[~blank], tuple(int(row) for row in frame.index[blank])


def _reject_long_values(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Rejection]]:
    """Reject rows with a text value longer than any field of the formats allows."""
    reason = (
        f"is longer than {MAX_FIELD_CHARS:,} characters, far more than any field of the format "
        "holds; check the column"
    )
    rejections: list[Rejection] = []
    too_long = pd.Series(False, index=frame.index)
    for name in frame.columns:
        column = frame[name]
        if not isinstance(column.dtype, pd.StringDtype):
            continue
        long = (column.str.len().fillna(0) > MAX_FIELD_CHARS).to_numpy(dtype=bool)
        if long.any():
            rows = frame.index[long]
            rejections += [Rejection(file, int(row), str(name), reason) for row in rows]
            too_long |= pd.Series(long, index=frame.index)
    return frame[~too_long], rejections
