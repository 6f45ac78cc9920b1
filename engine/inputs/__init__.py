"""Validated inputs: each party's files read, checked row by row, typed, and reported on.

The contract is ``docs/data-formats.md``; :mod:`~engine.inputs.schemas` declares it and the other
modules only interpret the declarations:

* :mod:`~engine.inputs.phones` — Japanese mobile numbers to E.164;
* :mod:`~engine.inputs.fields` — vectorised parsers, one per kind of value;
* :mod:`~engine.inputs.reading` — CSV/Parquet to raw columns numbered like a spreadsheet, through
  :mod:`~engine.inputs.csv_lines` (strict, one line per row) and
  :mod:`~engine.inputs.parquet_table` (types checked, timestamps kept in range);
* :mod:`~engine.inputs.policy` — reading bounds and when a file is refused: :class:`InputPolicy`;
* :mod:`~engine.inputs.loading` — one table: :func:`load_table`;
* :mod:`~engine.inputs.parties` — a party's folder: :func:`load_airline`, :func:`load_carrier`;
* :mod:`~engine.inputs.identity` — one person = one phone: :class:`IdentityMerge`;
* :mod:`~engine.inputs.report` — what was rejected and why: :class:`ValidationReport`.
"""

from __future__ import annotations

from engine.inputs.identity import IdentityMerge
from engine.inputs.loading import LoadedTable, empty_frame, load_table
from engine.inputs.parties import (
    AirlineInputs,
    CarrierInputs,
    find_table,
    load_airline,
    load_carrier,
)
from engine.inputs.phones import normalize_phone, normalize_phone_series
from engine.inputs.policy import DEFAULT_POLICY, InputPolicy
from engine.inputs.report import FileWarning, Rejection, ValidationReport
from engine.inputs.schemas import (
    BOARDINGS,
    DONATIONS,
    MEMBERS,
    OBSERVATIONS,
    SUBSCRIBERS,
    UNKNOWN,
    Column,
    TableSchema,
)

__all__ = [
    "BOARDINGS",
    "DEFAULT_POLICY",
    "DONATIONS",
    "MEMBERS",
    "OBSERVATIONS",
    "SUBSCRIBERS",
    "UNKNOWN",
    "AirlineInputs",
    "CarrierInputs",
    "Column",
    "FileWarning",
    "IdentityMerge",
    "InputPolicy",
    "LoadedTable",
    "Rejection",
    "TableSchema",
    "ValidationReport",
    "empty_frame",
    "find_table",
    "load_airline",
    "load_carrier",
    "load_table",
    "normalize_phone",
    "normalize_phone_series",
]
