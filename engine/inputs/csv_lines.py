"""Strict CSV reading: one physical line is one row, checked before any value is parsed.

Why strict, and why by lines: no field of the input formats (IDs, phones, codes, dates, numbers)
can hold a line break, so a value that spans lines is always a mistake — usually an unbalanced
quote. A reader that allows quoted newlines lets one stray ``"`` in row 101 swallow the rest of
the file into a single value and then report "read 100" as if nothing happened. Here every line
stands alone: its problems reject that line only, with its own row number, and every line after
the header is accounted for as a record, a rejected row or a blank row.

How, in time and memory linear in the file's size: the bytes are decoded once (UTF-8, with or
without BOM), line boundaries and per-line counts of commas, quotes, CRs and NULs come from
``numpy`` over the whole buffer, and the common lines — no quotes, the header's number of values —
go to ``pyarrow``'s CSV parser with quoting switched off. Only unusual lines (quoted values) are
parsed one by one with the standard ``csv`` module. A line longer than :data:`MAX_LINE_BYTES`
is rejected without being split; a header that long, or with more than ``MAX_COLUMNS`` names
or one name twice, stops the file.

Map: :class:`CsvRows`, :func:`read_csv_rows`; private helpers for bytes, header and lines.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from engine.inputs.policy import MAX_LINE_BYTES, clean_column_names
from engine.inputs.report import FIRST_DATA_ROW, Rejection
from foundation.errors import InputError

__all__ = ["CsvRows", "read_csv_rows"]

_SAVE_AS = "save it from your spreadsheet as 'CSV UTF-8' and try again"
_BOM = b"\xef\xbb\xbf"
_NEWLINE, _CR, _QUOTE, _COMMA, _NUL = 10, 13, 34, 44, 0


@dataclass(frozen=True)
class CsvRows:
    """A CSV file's well-formed rows as text columns, its malformed rows and its blank rows."""

    names: tuple[str, ...]
    frame: pd.DataFrame
    malformed: tuple[Rejection, ...]
    blank_rows: tuple[int, ...]


def read_csv_rows(path: Path) -> CsvRows:
    """Read ``path`` strictly; raise :class:`InputError` if the file as a whole is unusable."""
    file = path.name
    data = _utf8_bytes(path)
    if not data.strip():
        raise InputError("is empty; the first line must name the columns", file=file)
    starts, ends = _line_bounds(data)
    names = _header(data[starts[0] : ends[0]], file)
    lines = _Lines(data, starts[1:], ends[1:], len(names))
    return CsvRows(names, lines.frame(names), lines.malformed(file), lines.blank_rows())


def _utf8_bytes(path: Path) -> bytes:
    """The file's bytes without a UTF-8 BOM; raise for other encodings, naming the row."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(
            f"cannot be opened ({err.strerror}); check the path", file=path.name
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"is UTF-16 text; {_SAVE_AS}", file=path.name)
    data = data.removeprefix(_BOM)
    if data.isascii():
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        row = data.count(b"\n", 0, err.start) + 1
        raise InputError(_encoding_advice(data), file=path.name, row=row) from None
    return data


def _encoding_advice(data: bytes) -> str:
    """Why the bytes are not UTF-8, naming Shift_JIS (CP932) when they read as that."""
    try:
        data.decode("cp932")
    except UnicodeDecodeError:
        return f"is not UTF-8 text (it holds bytes no text encoding explains); {_SAVE_AS}"
    return (
        "is not UTF-8 but looks like Shift_JIS (CP932, Excel's 'CSV' on Japanese Windows); "
        f"{_SAVE_AS}"
    )


def _line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of each line; a final newline ends the last line, a CR is dropped."""
    buf = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(buf == _NEWLINE)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(data)]))
    if starts[-1] == len(data):
        starts, ends = starts[:-1], ends[:-1]
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == _CR)
    return starts, ends - has_cr


def _header(line: bytes, file: str) -> tuple[str, ...]:
    """The header's cleaned column names; raise when it is too long, binary or not CSV."""
    if len(line) > MAX_LINE_BYTES:
        raise InputError(
            f"its first line is {len(line):,} bytes long (at most {MAX_LINE_BYTES:,}); the "
            "first line must name the columns and each row must end with a line break",
            file=file,
            row=1,
        )
    if b"\0" in line or b"\r" in line:
        raise InputError(
            f"its first line holds control characters, so this is not a CSV file; {_SAVE_AS}",
            file=file,
            row=1,
        )
    try:
        names = next(csv.reader([line.decode("utf-8")], strict=True), [])
    except csv.Error:
        raise InputError(
            "its first line is not valid CSV (check the quotes); it must name the columns",
            file=file,
            row=1,
        ) from None
    if not any(name.strip() for name in names):
        raise InputError("has an empty first line; the first line must name the columns", file=file)
    return clean_column_names(names, file)


def _where(mask: np.ndarray) -> list[int]:
    """The positions where ``mask`` is true, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask)]


class _Lines:
    """The data lines of one file, classified with whole-buffer counts (no loop over lines)."""

    def __init__(self, data: bytes, starts: np.ndarray, ends: np.ndarray, width: int) -> None:
        self.data, self.starts, self.ends, self.width = data, starts, ends, width
        self.rows = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + len(starts))
        buf = np.frombuffer(data, dtype=np.uint8)
        self.commas = self._count(buf, _COMMA)
        quotes = self._count(buf, _QUOTE)
        lengths = ends - starts
        self.too_long = lengths > MAX_LINE_BYTES
        self.binary = ~self.too_long & ((self._count(buf, _NUL) > 0) | (self._count(buf, _CR) > 0))
        ok = ~self.too_long & ~self.binary
        self.blank = ok & (lengths == self.commas) & (quotes == 0)
        self.unterminated = ok & (quotes % 2 == 1)
        self.quoted = ok & (quotes > 0) & ~self.unterminated
        plain = ok & (quotes == 0) & ~self.blank
        self.ragged = plain & (self.commas != width - 1)
        self.plain = plain & ~self.ragged
        self._parsed_quoted = self._parse_quoted()

    def _count(self, buf: np.ndarray, byte: int) -> np.ndarray:
        """How many times ``byte`` occurs in each line."""
        positions = np.flatnonzero(buf == byte)
        return np.searchsorted(positions, self.ends) - np.searchsorted(positions, self.starts)

    def _line(self, i: int) -> bytes:
        return self.data[self.starts[i] : self.ends[i]]

    def _parse_quoted(self) -> dict[int, list[str] | str]:
        """Each quoted line's values, or why it is malformed (a str), by line index."""
        parsed: dict[int, list[str] | str] = {}
        for i in _where(self.quoted):
            try:
                values = next(csv.reader([self._line(i).decode("utf-8")], strict=True))
            except csv.Error:
                parsed[i] = "is not valid CSV: a quote must open and close a whole value"
                continue
            if len(values) != self.width:
                parsed[i] = self._ragged_reason(len(values))
            else:
                parsed[i] = values
        return parsed

    def _ragged_reason(self, values: int) -> str:
        return (
            f"has {values} values but the header has {self.width} columns; check for a "
            "missing or extra comma"
        )

    def _quoted_records(self) -> dict[int, list[str]]:
        return {
            i: values
            for i, values in self._parsed_quoted.items()
            if isinstance(values, list) and any(value.strip() for value in values)
        }

    def blank_rows(self) -> tuple[int, ...]:
        """Rows with nothing but commas and spaces (all values empty)."""
        blank_quoted = [
            i
            for i, values in self._parsed_quoted.items()
            if isinstance(values, list) and not any(value.strip() for value in values)
        ]
        indexes = np.union1d(np.flatnonzero(self.blank), np.array(blank_quoted, dtype=np.int64))
        return tuple(int(row) for row in self.rows[indexes.astype(np.int64)])

    def malformed(self, file: str) -> tuple[Rejection, ...]:
        """One rejection per malformed line, in row order, never quoting the line."""
        reasons: dict[int, str] = {}
        for i in _where(self.too_long):
            reasons[i] = (
                f"is {int(self.ends[i] - self.starts[i]):,} bytes long, more than the "
                f"{MAX_LINE_BYTES:,} a row may have; check that each row ends with a line break"
            )
        for i in _where(self.binary):
            reasons[i] = "holds a NUL byte or a carriage return inside the row (binary data?)"
        for i in _where(self.unterminated):
            reasons[i] = (
                "has a quote that is never closed on its line; values may not span lines — "
                "close or remove the quote"
            )
        for i in _where(self.ragged):
            reasons[i] = self._ragged_reason(int(self.commas[i]) + 1)
        for i, parsed in self._parsed_quoted.items():
            if isinstance(parsed, str):
                reasons[i] = parsed
        return tuple(Rejection(file, int(self.rows[i]), None, reasons[i]) for i in sorted(reasons))

    def frame(self, names: tuple[str, ...]) -> pd.DataFrame:
        """Every kept line's values as text, indexed by row number."""
        plain = self._plain_frame(names)
        quoted = self._quoted_records()
        if not quoted:
            return plain
        extra = pd.DataFrame(
            list(quoted.values()),
            columns=list(names),
            index=pd.Index(self.rows[list(quoted)], name="row"),
            dtype="str",
        )
        return pd.concat([plain, extra]).sort_index() if len(plain) else extra

    def _plain_frame(self, names: tuple[str, ...]) -> pd.DataFrame:
        """The plain lines parsed by pyarrow with quoting off: exactly one record per line."""
        chosen = _where(self.plain)
        index = pd.Index(self.rows[chosen], name="row")
        if not len(chosen):
            return pd.DataFrame({name: pd.Series([], dtype="str") for name in names}, index=index)
        if len(chosen) == len(self.starts):
            body = self.data[self.starts[0] :]
        else:
            body = b"\n".join(self._line(i) for i in chosen)
        keys = [f"c{i}" for i in range(self.width)]
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(column_names=keys, block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(quote_char=False, newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(keys, pa.string()), strings_can_be_null=False
            ),
        )
        if table.num_rows != len(chosen):  # pragma: no cover - each plain line is one record
            raise RuntimeError("the CSV fast path lost track of the line numbers")
        columns = {name: table.column(i).to_pandas() for i, name in enumerate(names)}
        return pd.DataFrame(columns).set_axis(index, axis="index")
