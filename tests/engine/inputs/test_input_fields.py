"""Tests for engine.inputs.fields: the vectorised parsers behind every column rule."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.inputs import fields as f


def parse(parser: f.Parser, values: list[object]) -> list[tuple[object, object]]:
    """Run ``parser`` and pair each value with its reason (None where good)."""
    parsed = parser(pd.Series(values))
    reasons = [None if pd.isna(r) else r for r in parsed.reasons]
    return list(zip(parsed.values.tolist(), reasons, strict=True))


def test_text_matching_trims_and_rejects_mismatches() -> None:
    """Text is trimmed; a mismatch gets the rule's reason and an empty cell the empty reason."""
    result = parse(f.text_matching(r"[A-Z]{3}", "bad code"), [" HND ", "hnd", "", None])
    assert result[0] == ("HND", None)
    assert result[1][1] == "bad code"
    assert result[2][1] == result[3][1] == f.EMPTY


def test_one_of_is_exact() -> None:
    """Only listed values pass; case matters."""
    result = parse(f.one_of({"F", "M"}, "not F or M"), ["F", "m", "X"])
    assert [reason for _, reason in result] == [None, "not F or M", "not F or M"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-08-01T09:35:00", "2025-08-01 09:35:00"),
        ("2025-08-01 09:35", "2025-08-01 09:35:00"),
        ("2025-08-01T09:35:00+09:00", "2025-08-01 09:35:00"),
        ("2025-08-01T00:35:00Z", "2025-08-01 09:35:00"),
        ("2025-08-01T02:35:00+02:00", "2025-08-01 09:35:00"),
        ("2025-07-31T19:35:00-05:00", "2025-08-01 09:35:00"),
    ],
)
def test_datetimes_become_naive_jst(raw: str, expected: str) -> None:
    """ISO date-times are read as JST; other offsets are converted to JST."""
    parsed = f.datetime_jst(pd.Series([raw]))
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.values.iloc[0] == pd.Timestamp(expected)
    assert parsed.reasons.isna().all()


@pytest.mark.parametrize(
    "raw", ["2025-02-30T10:00:00", "2025-08-01T25:00:00", "2025-08-01", "01/08/2025 10:00", "soon"]
)
def test_bad_datetimes_are_rejected(raw: str) -> None:
    """Impossible dates, impossible hours, date-only values and other shapes are rejected."""
    parsed = f.datetime_jst(pd.Series([raw]))
    assert parsed.values.isna().all()
    assert "is not a date-time" in parsed.reasons.iloc[0]


def test_typed_timestamps_from_parquet_are_converted() -> None:
    """Aware timestamps convert to naive JST; naive ones are taken as JST."""
    aware = pd.Series(pd.to_datetime(["2025-08-01T00:35:00Z"], utc=True))
    naive = pd.Series(pd.to_datetime(["2025-08-01T09:35:00"]))
    assert f.datetime_jst(aware).values.iloc[0] == pd.Timestamp("2025-08-01 09:35")
    assert f.datetime_jst(naive).values.iloc[0] == pd.Timestamp("2025-08-01 09:35")


def test_calendar_dates() -> None:
    """Dates must be YYYY-MM-DD and real; they load as midnight."""
    result = parse(f.calendar_date, ["2025-09-14", "2025-9-14", "2025-02-29"])
    assert result[0] == (pd.Timestamp("2025-09-14"), None)
    assert result[1][1] is not None and result[2][1] is not None


def test_numbers_between_bounds() -> None:
    """Latitude 200, nan, inf and text are rejected; the bounds themselves are allowed."""
    result = parse(
        f.number_between(20, 46, "latitude"), ["20", "46", "43.06", "200", "nan", "inf", "north"]
    )
    assert [reason is None for _, reason in result] == [True, True, True] + [False] * 4
    assert "20 to 46" in str(result[3][1])


def test_typed_numbers_pass_through() -> None:
    """Float columns from Parquet are range-checked without a text round trip."""
    result = parse(f.number_between(122, 154, "longitude"), [141.35, 200.0])
    assert result[0] == (141.35, None) and result[1][1] is not None


def test_whole_numbers_are_plain_digits_in_range() -> None:
    """Amounts are digits only, within the bounds; decimals and separators are rejected."""
    result = parse(
        f.whole_number_between(1000, 10_000_000, "yen"),
        ["1000", "10000000", "999", "12,000", "12000.0", "1e4"],
    )
    assert [reason is None for _, reason in result] == [True, True, False, False, False, False]
    assert f.whole_number_between(1, 9, "n")(pd.Series(["5"])).values.dtype == "Int64"


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", False), ("1", True), ("TRUE", True), ("false", False), (True, True)]
)
def test_flags(raw: object, expected: bool) -> None:
    """0/1 and true/false in any case are booleans."""
    assert parse(f.flag, [raw]) == [(expected, None)]


def test_flag_rejects_other_words() -> None:
    """Words other than 0, 1, true and false are rejected."""
    assert parse(f.flag, ["yes"])[0][1] == "is not 0, 1, true or false"
