"""Reading one input file into raw columns, numbered as a spreadsheet numbers its rows.

CSV is read entirely as text (nothing is guessed: ``01`` stays ``01``, ``NA`` stays ``NA``) so
that the parsers in :mod:`engine.inputs.fields` see what the user wrote. The fast path is
``pyarrow``'s multi-threaded CSV reader; a file it cannot read (a row with too many or too few
values) is read again with the standard ``csv`` module, which keeps every well-formed row and
reports each malformed one, so a bad row never stops the load. Parquet keeps its column types.

The returned frame is indexed by row number as a spreadsheet shows it: the header is row 1, the
first data row row 2 (Parquet: first record = row 2). Blank rows are skipped but keep their
number, so later rows still point to the right line. Column names are trimmed and lower-cased.

Map: :class:`RawTable` and :func:`read_raw`; private helpers per format.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from engine.inputs.fields import as_text
from engine.inputs.report import FIRST_DATA_ROW, Rejection
from foundation.errors import InputError

__all__ = ["RawTable", "read_raw"]

_NOT_UTF8 = "is not UTF-8 text; save it as 'CSV UTF-8' and try again"


@dataclass(frozen=True)
class RawTable:
    """A file's raw columns indexed by spreadsheet row number, and its malformed rows."""

    file: str
    frame: pd.DataFrame
    malformed: tuple[Rejection, ...] = ()

    @property
    def rows_read(self) -> int:
        """Data rows in the file, malformed ones included, blank ones not."""
        return len(self.frame) + len(self.malformed)


def read_raw(path: Path) -> RawTable:
    """Read a ``.csv`` or ``.parquet`` file; raise :class:`InputError` if it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, malformed = _read_csv(path)
    elif suffix == ".parquet":
        frame, malformed = _read_parquet(path), ()
    else:
        raise InputError("is neither .csv nor .parquet; save it in one of them", file=path.name)
    frame = _drop_blank_rows(_clean_column_names(frame, path.name))
    return RawTable(path.name, frame, malformed)


def _clean_column_names(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    names = [str(name).strip().lower() for name in frame.columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        listed = ", ".join(repr(name) for name in repeated)
        raise InputError(f"the header names {listed} more than once; keep one of each", file=file)
    return frame.set_axis(names, axis="columns")


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    blank = pd.Series(True, index=frame.index)
    for name in frame.columns:
        blank &= as_text(frame[name]) == ""
        if not blank.any():  # the usual case, decided by the first column
            return frame
    return frame[~blank]


def _read_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError:
        raise InputError(_NOT_UTF8, file=path.name) from None
    except OSError as err:
        raise InputError(
            f"cannot be opened ({err.strerror}); check the path", file=path.name
        ) from None
    if not any(name.strip() for name in header):
        raise InputError("is empty; the first line must name the columns", file=path.name)
    return header


def _read_csv(path: Path) -> tuple[pd.DataFrame, tuple[Rejection, ...]]:
    header = _read_header(path)
    try:
        table = pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        # Malformed rows or bad bytes: the slow reader says which rows and keeps the others.
        return _read_csv_leniently(path, header)
    frame = pd.DataFrame(
        {name: table.column(i).to_pandas() for i, name in enumerate(header)},
    )
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    return frame, ()


def _read_csv_leniently(
    path: Path, header: list[str]
) -> tuple[pd.DataFrame, tuple[Rejection, ...]]:
    records: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[Rejection] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader)
            for number, record in enumerate(reader, start=FIRST_DATA_ROW):
                if len(record) == len(header):
                    records.append(record)
                    numbers.append(number)
                elif record:
                    reason = f"has {len(record)} values but the header has {len(header)} columns"
                    malformed.append(Rejection(path.name, number, None, reason))
    except UnicodeDecodeError:
        raise InputError(_NOT_UTF8, file=path.name) from None
    except csv.Error as err:
        raise InputError(
            f"is not a readable CSV file ({err}); check quoting", file=path.name
        ) from None
    frame = pd.DataFrame(records, columns=header, index=pd.Index(numbers, name="row"), dtype="str")
    return frame, tuple(malformed)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, pa.ArrowException, ValueError):
        raise InputError(
            "cannot be read as Parquet; check that it is a Parquet file", file=path.name
        ) from None
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    return frame
