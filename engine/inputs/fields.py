"""Vectorised field parsers: one column of raw values in, typed values and reasons out.

Why vectorised: an observations file holds millions of rows, so no parser here loops over rows in
Python. Each parser takes a whole column and returns a :class:`Parsed` pair aligned with it:
``values`` (typed, missing where the value is bad) and ``reasons`` (missing where the value is
good, else why it is bad — never the value itself, which may be personal).

Raw columns arrive as text from CSV, or already typed from Parquet (floats, timestamps, booleans);
every parser accepts both, so the two formats load to the same frame.

Map of the module:

* :class:`Parsed`, :data:`Parser`, :func:`as_text`, :data:`EMPTY`;
* text: :func:`text_matching`, :func:`one_of`, :func:`phone_number`;
* time: :func:`datetime_jst`, :func:`calendar_date` (naive JST ``datetime64[ns]``);
* numbers and flags: :func:`number_between`, :func:`whole_number_between`, :func:`flag`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.inputs.phones import normalize_phone_series

__all__ = [
    "EMPTY",
    "JST",
    "Parsed",
    "Parser",
    "as_text",
    "calendar_date",
    "datetime_jst",
    "flag",
    "number_between",
    "one_of",
    "phone_number",
    "text_matching",
    "whole_number_between",
]

JST = "Asia/Tokyo"
EMPTY = "is empty; fill it in or remove the row"
_DATETIME_SHAPE = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_OFFSET_AT_END = r"(?:Z|[+-]\d{2}:?\d{2})$"
_BAD_DATETIME = (
    "is not a date-time like 2025-08-01T09:35:00 (JST; a +09:00 or other offset is allowed)"
)
_BAD_DATE = "is not a date like 2025-08-01 (YYYY-MM-DD)"


@dataclass(frozen=True)
class Parsed:
    """One parsed column: typed ``values`` and ``reasons`` (NA where the value is good)."""

    values: pd.Series
    reasons: pd.Series

    def __post_init__(self) -> None:
        if not self.values.index.equals(self.reasons.index):
            raise ValueError("Parsed values and reasons must share one index")


Parser = Callable[[pd.Series], Parsed]


def as_text(raw: pd.Series) -> pd.Series:
    """Return ``raw`` as stripped text, with missing values as the empty string."""
    return raw.astype("string").fillna("").str.strip()


def _reasons(index: pd.Index) -> pd.Series:
    """An all-good reasons column for ``index``."""
    return pd.Series(pd.NA, index=index, dtype="string")


def _finish(values: pd.Series, bad: pd.Series, reason: str, empty: pd.Series) -> Parsed:
    """Blank out bad values; say ``reason`` for bad ones and :data:`EMPTY` for empty ones."""
    reasons = _reasons(values.index)
    reasons[bad & ~empty] = reason
    reasons[empty] = EMPTY
    return Parsed(values.where(~(bad | empty)), reasons)


def text_matching(pattern: str, reason: str) -> Parser:
    """Parser for text that must match the regular expression ``pattern`` in full."""

    def parse(raw: pd.Series) -> Parsed:
        text = as_text(raw)
        bad = ~text.str.fullmatch(pattern).astype(bool)
        return _finish(text.astype("str"), bad, reason, text == "")

    return parse


def one_of(choices: Collection[str], reason: str) -> Parser:
    """Parser for text that must be one of ``choices`` exactly."""
    allowed = sorted(choices)

    def parse(raw: pd.Series) -> Parsed:
        text = as_text(raw)
        return _finish(text.astype("str"), ~text.isin(allowed), reason, text == "")

    return parse


def phone_number(raw: pd.Series) -> Parsed:
    """Parser for Japanese mobile numbers; values are E.164 strings."""
    e164, reasons = normalize_phone_series(raw)
    return Parsed(e164.astype("str"), reasons)


def _datetime_from_text(text: pd.Series) -> pd.Series:
    """Parse ISO 8601 text to naive JST; offsets other than +09:00 are converted to JST."""
    shaped = text.str.fullmatch(_DATETIME_SHAPE).astype(bool)
    with_offset = shaped & text.str.contains(_OFFSET_AT_END).astype(bool)
    naive = shaped & ~with_offset
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        out[naive] = parsed.astype("datetime64[ns]")
    if with_offset.any():
        aware = pd.to_datetime(text[with_offset], format="ISO8601", errors="coerce", utc=True)
        out[with_offset] = aware.dt.tz_convert(JST).dt.tz_localize(None).astype("datetime64[ns]")
    return out


def _datetime_from_typed(raw: pd.Series) -> pd.Series:
    """Timestamps from Parquet: aware ones are converted to JST, naive ones are taken as JST."""
    if getattr(raw.dtype, "tz", None) is not None:
        raw = raw.dt.tz_convert(JST).dt.tz_localize(None)
    return raw.astype("datetime64[ns]")


def datetime_jst(raw: pd.Series) -> Parsed:
    """Parser for date-times; values are naive JST ``datetime64[ns]``."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = _datetime_from_typed(raw)
        return _finish(values, values.isna(), _BAD_DATETIME, values.isna())
    text = as_text(raw)
    values = _datetime_from_text(text)
    return _finish(values, values.isna(), _BAD_DATETIME, text == "")


def calendar_date(raw: pd.Series) -> Parsed:
    """Parser for dates ``YYYY-MM-DD``; values are midnight JST ``datetime64[ns]``."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = _datetime_from_typed(raw)
        return _finish(values, values != values.dt.normalize(), _BAD_DATE, values.isna())
    text = as_text(raw)
    shaped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").astype(bool)
    values = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    values = values.astype("datetime64[ns]")
    return _finish(values, values.isna(), _BAD_DATE, text == "")


def _numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return ``(float64 values, empty mask)``; text that is not a number becomes NaN."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("float64")
        return values, values.isna()
    text = as_text(raw)
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    return values, text == ""


def number_between(low: float, high: float, what: str) -> Parser:
    """Parser for finite decimal numbers in ``[low, high]``; values are float64."""
    reason = f"is not a number from {low:g} to {high:g} ({what})"

    def parse(raw: pd.Series) -> Parsed:
        values, empty = _numbers(raw)
        bad = ~(np.isfinite(values) & (values >= low) & (values <= high))
        return _finish(values, bad, reason, empty)

    return parse


def whole_number_between(low: int, high: int, what: str) -> Parser:
    """Parser for whole numbers in ``[low, high]`` written as plain digits; values are Int64."""
    reason = f"is not a whole number from {low} to {high} ({what}), written as digits only"

    def parse(raw: pd.Series) -> Parsed:
        values, empty = _numbers(raw)
        if not pd.api.types.is_numeric_dtype(raw.dtype):
            values = values.where(as_text(raw).str.fullmatch(r"\d+").astype(bool))
        bad = ~((values % 1 == 0) & (values >= low) & (values <= high))
        parsed = _finish(values, bad, reason, empty)
        return Parsed(parsed.values.astype("Int64"), parsed.reasons)

    return parse


_TRUE = ("1", "true")
_FALSE = ("0", "false")


def flag(raw: pd.Series) -> Parsed:
    """Parser for booleans written ``0``/``1`` or ``true``/``false`` (any case)."""
    text = as_text(raw).str.lower()
    bad = ~text.isin(_TRUE + _FALSE)
    parsed = _finish(text.isin(_TRUE), bad, "is not 0, 1, true or false", text == "")
    return Parsed(parsed.values.astype("boolean"), parsed.reasons)
