"""How much a file may get wrong before it is refused, and the bounds every reader keeps.

Why a policy at all: row-level rejection keeps one bad row from stopping a load, but it also lets
a file whose every row is bad "succeed" with nothing in it (epoch integers where dates belong, a
whole column of booleans, a file of random bytes that happens to split into lines). A party's
inputs are therefore refused, with a message naming the first rejected rows, when

* the file has no data rows, or none of them was kept (header-only CSV, empty Parquet); or
* more rows were rejected than the file's allowance: ``max_rejected_rows`` and
  ``max_rejected_share`` of its rows, whichever is larger (defaults: 10 rows, 1 %). The floor in
  rows lets a small file carry a few typos; the share scales with big files.

The reading bounds (:data:`MAX_LINE_BYTES`, :data:`MAX_FIELD_CHARS`, :data:`MAX_COLUMNS`) keep
time and memory linear in the file's size whatever its content: a 30 MB single line is refused
after one pass over it, never split into millions of columns.

Map: the bounds, :func:`clean_column_names`, :class:`InputPolicy` and its
:meth:`~InputPolicy.enforce`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from engine.inputs.report import ValidationReport
from foundation.errors import InputError

__all__ = [
    "DEFAULT_POLICY",
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "MAX_LINE_BYTES",
    "InputPolicy",
    "clean_column_names",
]

MAX_LINE_BYTES = 65_536
MAX_FIELD_CHARS = 1_000
MAX_COLUMNS = 200
_ROWS_NAMED = 5


def clean_column_names(names: Sequence[object], file: str) -> tuple[str, ...]:
    """Trimmed, lower-cased column names; raise if there are too many or one repeats."""
    if len(names) > MAX_COLUMNS:
        raise InputError(
            f"has {len(names):,} columns (at most {MAX_COLUMNS}); is this the right file?",
            file=file,
            row=1,
        )
    cleaned = tuple(str(name).strip().lower() for name in names)
    repeated = sorted(name for name, count in Counter(cleaned).items() if count > 1)
    if repeated:
        listed = ", ".join(repr(name) for name in repeated)
        raise InputError(f"the header names {listed} more than once; keep one of each", file=file)
    return cleaned


@dataclass(frozen=True)
class InputPolicy:
    """When a loaded file is refused: no kept rows, or more rejections than its allowance."""

    max_rejected_rows: int = 10
    max_rejected_share: float = 0.01

    def __post_init__(self) -> None:
        if self.max_rejected_rows < 0:
            raise InputError(
                f"the rejected-row allowance must be 0 or more, not {self.max_rejected_rows}",
                field="max_rejected_rows",
            )
        if not 0.0 <= self.max_rejected_share <= 1.0:
            raise InputError(
                "the rejected share must be from 0 to 1 (0 % to 100 %), not "
                f"{self.max_rejected_share:g}",
                field="max_rejected_share",
            )

    def allowance(self, rows_read: int) -> int:
        """How many rejected rows a file of ``rows_read`` rows may have and still be used."""
        share = math.floor(self.max_rejected_share * rows_read + 1e-9)
        return max(self.max_rejected_rows, share)

    def enforce(self, report: ValidationReport) -> None:
        """Raise :class:`InputError` if ``report``'s file must not be used; else return."""
        data_rows = report.rows_read - report.blank_rows
        if data_rows == 0:
            raise InputError(
                "has no data rows (only a header, blank lines or an empty Parquet table); "
                "export the table again with its rows",
                file=report.file,
            )
        if report.rows_kept == 0:
            raise InputError(
                f"none of its {data_rows} data rows could be used; {_first_rows(report)} — "
                "check the column types and formats (docs/data-formats.md)",
                file=report.file,
            )
        allowed = self.allowance(report.rows_read)
        if report.rows_rejected > allowed:
            raise InputError(
                f"{report.rows_rejected} of {data_rows} data rows were rejected, more than the "
                f"{allowed} allowed; {_first_rows(report)} — fix them, or raise the limit with "
                "--max-rejected-rows / --max-rejected-share",
                file=report.file,
            )


def _first_rows(report: ValidationReport) -> str:
    """'first rejected: row 2 (field 'phone': reason), …' for the first few rejected rows."""
    seen: dict[int, str] = {}
    for rejection in report.rejections:
        if rejection.row not in seen and len(seen) < _ROWS_NAMED:
            where = f"field {rejection.field!r}: " if rejection.field else ""
            seen[rejection.row] = f"row {rejection.row} ({where}{rejection.reason})"
    if not seen:
        return "no row was rejected individually"
    return "first rejected: " + "; ".join(seen.values())


DEFAULT_POLICY = InputPolicy()
