"""What validation found in one input file: the rejection report.

A data owner fixes their files from this report, so each entry says where (file, row, field), what
is wrong and, through the reason, what a good value looks like. Row numbers are the ones a
spreadsheet shows: the header is row 1 and the first data row is row 2 (Parquet files are numbered
the same way, first record = row 2). No entry ever quotes the offending value: it may be a phone
number or an ID.

Map of the module:

* :class:`Rejection` — one bad field of one row (``field=None``: the row as a whole);
* :class:`FileWarning` — a file-level remark, e.g. an optional column that is absent;
* :class:`ValidationReport` — the counts and entries for one file, with :meth:`~ValidationReport.
  messages`, :meth:`~ValidationReport.summary` and :meth:`~ValidationReport.to_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["REPORT_COLUMNS", "FileWarning", "Rejection", "ValidationReport"]

REPORT_COLUMNS = ("file", "row", "field", "severity", "reason")
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class Rejection:
    """One rejected row's bad field; ``row`` counts the header as 1; ``field=None``: whole row."""

    file: str
    row: int
    field: str | None
    reason: str

    def __post_init__(self) -> None:
        if self.row < FIRST_DATA_ROW:
            raise ValueError(f"rejection row must be {FIRST_DATA_ROW} or more, not {self.row}")
        if not self.reason:
            raise ValueError("a rejection needs a reason")

    def message(self) -> str:
        """One line for a person: file, row (header = row 1), field and reason."""
        where = f"{self.file} row {self.row} (header is row 1)"
        if self.field is None:
            return f"{where}: {self.reason}; the row was skipped"
        return f"{where}, field {self.field!r}: {self.reason}; the row was skipped"


@dataclass(frozen=True)
class FileWarning:
    """A remark about a whole file or column; the rows were kept."""

    file: str
    field: str | None
    reason: str

    def message(self) -> str:
        """One line for a person: file, column and what to do."""
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class ValidationReport:
    """Counts and entries for one loaded file.

    ``rows_read`` = ``rows_kept`` + ``duplicates`` + the number of distinct rejected rows +
    ``blank_rows``: every line or record of the file after the header is one of these. Exact
    duplicate rows are collapsed into one and counted, not rejected; blank rows (nothing but
    separators and spaces, such as ``,,,,``) are counted and skipped.
    """

    file: str
    rows_read: int
    rows_kept: int
    duplicates: int
    rejections: tuple[Rejection, ...] = ()
    warnings: tuple[FileWarning, ...] = field(default=())
    blank_rows: int = 0

    def __post_init__(self) -> None:
        if min(self.rows_read, self.rows_kept, self.duplicates, self.blank_rows) < 0:
            raise ValueError(f"row counts in the report for {self.file} must not be negative")
        accounted = self.rows_kept + self.duplicates + self.rows_rejected + self.blank_rows
        if accounted != self.rows_read:
            raise ValueError(
                f"report for {self.file}: kept, duplicate, rejected and blank rows must add up to "
                "the rows read"
            )

    @property
    def rows_rejected(self) -> int:
        """How many distinct rows were rejected (a row may have several bad fields)."""
        return len({rejection.row for rejection in self.rejections})

    @property
    def ok(self) -> bool:
        """True when nothing was rejected and there is nothing to warn about."""
        return not self.rejections and not self.warnings

    def messages(self) -> tuple[str, ...]:
        """Every warning and rejection as one line each, warnings first."""
        warnings = tuple(warning.message() for warning in self.warnings)
        return warnings + tuple(rejection.message() for rejection in self.rejections)

    def summary(self) -> str:
        """One line of counts for the file (blank rows only when there are some)."""
        blank = f", blank {self.blank_rows}" if self.blank_rows else ""
        return (
            f"{self.file}: read {self.rows_read}, kept {self.rows_kept}, "
            f"duplicates {self.duplicates}, rejected {self.rows_rejected}, "
            f"warnings {len(self.warnings)}{blank}"
        )

    def to_frame(self) -> pd.DataFrame:
        """All warnings and rejections as a table with :data:`REPORT_COLUMNS` (row NA = file)."""
        records: list[tuple[object, ...]] = [
            (w.file, pd.NA, w.field, "warning", w.reason) for w in self.warnings
        ]
        records += [(r.file, r.row, r.field, "rejected", r.reason) for r in self.rejections]
        frame = pd.DataFrame(records, columns=list(REPORT_COLUMNS))
        return frame.astype({"row": "Int64", "file": "str", "severity": "str", "reason": "str"})
