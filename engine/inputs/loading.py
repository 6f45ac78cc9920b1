"""Loading one table: read, check columns, parse, apply row rules, keep the good rows, report.

Only a problem that makes the whole file unusable stops the load: an unreadable file, or a
*required* column that is absent (one :class:`~foundation.errors.InputError` lists every such
column). Everything else is per row: a bad value rejects its row, which is reported with file,
spreadsheet row number, field and reason, and the other rows are kept. An absent *optional*
column is one file-level warning; its values are unknown.

Every check works on whole columns (boolean masks), so a million observation rows load in
seconds. The steps, in order:

1. :func:`~engine.inputs.reading.read_raw_batches` — raw columns indexed by row number,
   malformed rows and blank rows (counted and warned about); a Parquet file a million rows at a
   time, steps 2–4 running on each batch, so that its text never sits in memory all at once;
2. columns — required ones present, optional ones filled with unknown, extra ones ignored;
3. fields — each column's parser from the schema yields typed values and reasons;
4. row rules, then the reference to another table (e.g. each boarding's member is a member);
5. rows with any reason are rejected; of the rest, exact duplicates collapse into one (counted),
   and a repeated unique ID with different content rejects the later row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.inputs.fields import as_text
from engine.inputs.reading import RawTable, read_raw_batches
from engine.inputs.report import FileWarning, Rejection, ValidationReport
from engine.inputs.schemas import Column, TableSchema
from foundation.errors import InputError

__all__ = ["LoadedTable", "empty_frame", "load_table"]


@dataclass(frozen=True)
class LoadedTable:
    """The kept rows of one file, typed, and the report of what was not kept."""

    frame: pd.DataFrame
    report: ValidationReport

    def __post_init__(self) -> None:
        if len(self.frame) != self.report.rows_kept:
            raise ValueError(
                f"loaded {self.report.file} has a frame that disagrees with its report"
            )


def load_table(
    path: Path, schema: TableSchema, *, known_ids: pd.Series | None = None
) -> LoadedTable:
    """Load and validate one ``.csv`` or ``.parquet`` file against ``schema``.

    ``known_ids`` are the accepted IDs of the table ``schema.reference`` points to; rows whose ID
    is not among them are rejected. Without it the reference is not checked. Raises
    :class:`InputError` when the file cannot be read or lacks a required column.
    """
    warnings: tuple[FileWarning, ...] | None = None
    kept: list[pd.DataFrame] = []
    rejections: list[Rejection] = []
    rows_read, file = 0, Path(path).name
    blank_rows: list[int] = []
    for raw in read_raw_batches(Path(path)):  # a Parquet file a batch at a time; CSV at once
        if warnings is None:  # every batch has the file's columns
            warnings = _check_columns(raw, schema)
        typed, reasons = _parse_columns(raw.frame, schema)
        _apply_row_rules(schema, typed, reasons)
        if schema.reference is not None and known_ids is not None:
            _apply_reference(schema, typed, reasons, known_ids)
        rejections += [*raw.malformed, *_field_rejections(raw.file, schema, reasons)]
        kept.append(typed[reasons.isna().all(axis="columns")])
        rows_read += raw.rows_read
        blank_rows += raw.blank_rows
        file = raw.file
    unique, duplicates = _unique_rows(kept)
    return _keep_good_rows(
        file, schema, unique, duplicates, rejections, rows_read, blank_rows, warnings or ()
    )


def _keep_good_rows(
    file: str,
    schema: TableSchema,
    unique: pd.DataFrame,
    duplicates: int,
    rejections: list[Rejection],
    rows_read: int,
    blank_rows: list[int],
    warnings: tuple[FileWarning, ...],
) -> LoadedTable:
    """Reject repeated IDs among the good, distinct rows; build the report."""
    distinct, conflicts = _reject_repeated_ids(file, schema, unique)
    rejections = sorted([*rejections, *conflicts], key=lambda rejection: rejection.row)
    frame = _final_types(distinct).reset_index(drop=True)
    report = ValidationReport(
        file=file,
        rows_read=rows_read,
        rows_kept=len(frame),
        duplicates=duplicates,
        rejections=tuple(rejections),
        warnings=(*warnings, *_blank_warning(file, blank_rows)),
        blank_rows=len(blank_rows),
    )
    return LoadedTable(frame, report)


def _unique_rows(parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """The rows of ``parts`` (in order) without those equal in every column to an earlier row,
    as one frame, and how many were collapsed (``duplicated(keep="first")`` over the whole).

    Rows are hashed first and only rows sharing a hash are compared in full, and the parts are
    joined once, after the duplicates left them: five times faster than ``duplicated`` and a
    third of the memory on a carrier's tens of millions of observations.
    """
    hashes = [pd.util.hash_pandas_object(part, index=False).to_numpy() for part in parts]
    starts = np.cumsum([0] + [len(h) for h in hashes])
    candidates = np.flatnonzero(pd.Series(np.concatenate(hashes)).duplicated(keep=False))
    repeated = np.zeros(int(starts[-1]), dtype=bool)
    if len(candidates):
        owner = np.searchsorted(starts, candidates, side="right") - 1
        rows = pd.concat(
            [part.iloc[candidates[owner == i] - starts[i]] for i, part in enumerate(parts)]
        )
        repeated[candidates] = rows.duplicated(keep="first").to_numpy()
        parts = [part[~repeated[starts[i] : starts[i + 1]]] for i, part in enumerate(parts)]
    unique = parts[0] if len(parts) == 1 else pd.concat(parts)
    return unique, int(repeated.sum())


def _blank_warning(file: str, blank_rows: list[int]) -> tuple[FileWarning, ...]:
    """One warning counting the blank rows, naming the first few, so none goes unnoticed."""
    if not blank_rows:
        return ()
    first = ", ".join(str(row) for row in blank_rows[:5])
    more = ", …" if len(blank_rows) > 5 else ""
    return (
        FileWarning(
            file,
            None,
            f"{len(blank_rows)} blank row(s) skipped (rows {first}{more}); remove them, or "
            "fill them in if values went missing",
        ),
    )


def empty_frame(schema: TableSchema) -> pd.DataFrame:
    """A frame with no rows but the columns and types a loaded ``schema`` table has."""
    raw = pd.DataFrame({column.name: _blank(pd.RangeIndex(0)) for column in schema.columns})
    typed, _ = _parse_columns(raw, schema)
    return _final_types(typed).reset_index(drop=True)


def _check_columns(raw: RawTable, schema: TableSchema) -> tuple[FileWarning, ...]:
    """Raise for absent required columns; warn about absent optional and unexpected ones."""
    present = set(raw.frame.columns)
    missing = [name for name in schema.required_names if name not in present]
    if missing:
        listed = ", ".join(repr(name) for name in missing)
        raise InputError(
            f"the required column(s) {listed} are missing; add them to the header "
            "(see docs/data-formats.md) and load again",
            file=raw.file,
        )
    warnings = [
        FileWarning(
            raw.file,
            column.name,
            f"column {column.name!r} is missing; values treated "
            "as unknown — add the column to get breakdowns by it",
        )
        for column in schema.columns
        if column.name not in present
    ]
    declared = {column.name for column in schema.columns}
    warnings += [
        FileWarning(
            raw.file,
            str(name),
            f"column {name!r} is not part of the format and was "
            "ignored; check its spelling or remove it",
        )
        for name in raw.frame.columns
        if name not in declared
    ]
    return tuple(warnings)


def _parse_columns(raw: pd.DataFrame, schema: TableSchema) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed values and reasons, both with the schema's output column names."""
    values: dict[str, pd.Series] = {}
    reasons: dict[str, pd.Series] = {}
    for column in schema.columns:
        values[column.output_name], reasons[column.output_name] = _parse_column(raw, column)
    return pd.DataFrame(values, index=raw.index), pd.DataFrame(reasons, index=raw.index)


def _parse_column(raw: pd.DataFrame, column: Column) -> tuple[pd.Series, pd.Series]:
    """Parse one column; an optional column's absent or empty values become its unknown value."""
    # An absent optional column parses as all-empty, so its dtype is the parser's own.
    cells = raw[column.name] if column.name in raw.columns else _blank(raw.index)
    parsed = column.parse(cells)
    if column.required:
        return parsed.values, parsed.reasons
    empty = as_text(cells) == ""
    return parsed.values.mask(empty, column.unknown), parsed.reasons.mask(empty, pd.NA)


def _blank(index: pd.Index) -> pd.Series:
    return pd.Series("", index=index, dtype="str")


def _apply_row_rules(schema: TableSchema, typed: pd.DataFrame, reasons: pd.DataFrame) -> None:
    """Record each cross-field rule's reason where its fields are valid and it is violated."""
    for rule in schema.row_rules:
        checkable = reasons[list(rule.needs)].isna().all(axis="columns")
        broken = checkable & rule.violated(typed).fillna(False).astype(bool)
        reasons.loc[broken, rule.field] = rule.reason


def _apply_reference(
    schema: TableSchema, typed: pd.DataFrame, reasons: pd.DataFrame, known_ids: pd.Series
) -> None:
    """Reject rows whose (valid) ID is not an accepted ID of the referenced table."""
    assert schema.reference is not None
    name, table = schema.reference.column, schema.reference.table
    unknown = reasons[name].isna() & ~typed[name].isin(known_ids)
    reasons.loc[unknown, name] = (
        f"is not among the accepted rows of {table} (absent there, or its row there was "
        "rejected); add or fix it there"
    )


def _field_rejections(file: str, schema: TableSchema, reasons: pd.DataFrame) -> list[Rejection]:
    """One rejection per bad field, named as in the file (``phone``, not ``phone_e164``)."""
    rejections: list[Rejection] = []
    for column in schema.columns:
        bad = reasons[column.output_name].dropna()
        rejections += [
            Rejection(file, int(row), column.name, str(reason))
            for row, reason in zip(bad.index.to_numpy(), bad.to_numpy(), strict=True)
        ]
    return rejections


def _reject_repeated_ids(
    file: str, schema: TableSchema, frame: pd.DataFrame
) -> tuple[pd.DataFrame, list[Rejection]]:
    """Keep the first row of each unique ID; reject later rows that differ from it."""
    key = schema.unique_key
    if key is None:
        return frame, []
    repeated = frame[key].duplicated(keep="first")
    if not repeated.any():
        return frame, []
    first_rows = pd.Series(frame.index[~repeated], index=frame.loc[~repeated, key])
    rejections = [
        Rejection(
            file,
            int(row),
            key,
            f"repeats the {key} of row {first_rows[value]} with "
            "different content; keep one row per ID",
        )
        for row, value in zip(
            frame.index[repeated].to_numpy(), frame.loc[repeated, key], strict=True
        )
    ]
    return frame[~repeated], rejections


def _final_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Kept rows have no missing flags, so nullable booleans become plain ``bool``."""
    flags = [name for name, dtype in frame.dtypes.items() if dtype == "boolean"]
    return frame.astype(dict.fromkeys(flags, "bool")) if flags else frame
