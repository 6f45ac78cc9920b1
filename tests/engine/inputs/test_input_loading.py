"""Tests for engine.inputs.loading and reading: one table loaded, checked and reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.inputs import (
    BOARDINGS,
    DONATIONS,
    MEMBERS,
    OBSERVATIONS,
    SUBSCRIBERS,
    LoadedTable,
    TableSchema,
    empty_frame,
    load_table,
)
from engine.inputs.loading import _unique_rows
from foundation.errors import InputError
from tests.engine.inputs.conftest import ParserInputs

MEMBERS_HEADER = "member_id,phone,age_band,gender,home_prefecture"
BOARDINGS_HEADER = "member_id,flight,origin,destination,departure,arrival"
GOOD_BOARDING = "M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T11:05:00"


def write(folder: Path, name: str, *lines: str) -> Path:
    """Write a UTF-8 file of ``lines`` and return its path."""
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_lines(
    folder: Path, schema: TableSchema, *lines: str, known_ids: pd.Series | None = None
) -> LoadedTable:
    """Write ``lines`` as the schema's CSV file and load it."""
    return load_table(write(folder, f"{schema.name}.csv", *lines), schema, known_ids=known_ids)


def only_rejection(loaded: LoadedTable) -> tuple[int, str | None, str]:
    """The single rejection of a load as (row, field, reason)."""
    (rejection,) = loaded.report.rejections
    return rejection.row, rejection.field, rejection.reason


def test_good_members_load_typed(tmp_path: Path) -> None:
    """Valid members load with E.164 phones in place of the raw column and text codes."""
    loaded = load_lines(
        tmp_path,
        MEMBERS,
        MEMBERS_HEADER,
        "M1,090-1234-5678,30-39,F,01",
        "M2,+81 80 2222 3333,70+,M,47",
    )
    frame = loaded.frame
    assert list(frame.columns) == [
        "member_id",
        "phone_e164",
        "age_band",
        "gender",
        "home_prefecture",
    ]
    assert frame["phone_e164"].tolist() == ["+819012345678", "+818022223333"]
    assert frame["home_prefecture"].tolist() == ["01", "47"]
    assert loaded.report.ok and loaded.report.rows_kept == 2


def test_missing_required_columns_raise_one_error_naming_all(tmp_path: Path) -> None:
    """A file without required columns is unusable: one InputError names the file and each."""
    with pytest.raises(InputError) as caught:
        load_lines(tmp_path, BOARDINGS, "member_id,flight,origin", "M1,JL0513,HND")
    message = str(caught.value)
    assert caught.value.file == "boardings.csv"
    for column in ("destination", "departure", "arrival"):
        assert repr(column) in message
    assert "add them" in message


def test_missing_optional_column_is_one_warning_and_unknown(tmp_path: Path) -> None:
    """Without gender, members load with gender 'unknown' and one warning naming the column."""
    loaded = load_lines(
        tmp_path,
        MEMBERS,
        "member_id,phone,age_band,home_prefecture",
        "M1,090-1234-5678,30-39,13",
        "M2,090-1234-5679,40-49,13",
    )
    (warning,) = loaded.report.warnings
    assert warning.field == "gender"
    assert "'gender' is missing; values treated as unknown" in warning.message()
    assert loaded.frame["gender"].tolist() == ["unknown", "unknown"]
    assert not loaded.report.rejections


def test_missing_amount_is_na(tmp_path: Path) -> None:
    """Donations without amount_jpy keep their rows with a missing amount."""
    loaded = load_lines(
        tmp_path, DONATIONS, "member_id,municipality_code,donation_date", "M1,01206,2025-09-14"
    )
    assert loaded.frame["amount_jpy"].isna().all()
    assert loaded.frame["amount_jpy"].dtype == "Int64"
    assert len(loaded.report.warnings) == 1


def test_empty_optional_cell_is_unknown_but_bad_value_rejects(tmp_path: Path) -> None:
    """An empty optional cell means unknown; a wrong value there still rejects the row."""
    loaded = load_lines(
        tmp_path, MEMBERS, MEMBERS_HEADER, "M1,090-1234-5678,,F,", "M2,090-1234-5679,30-39,X,13"
    )
    assert loaded.frame["age_band"].tolist() == ["unknown"]
    assert loaded.frame["home_prefecture"].tolist() == ["unknown"]
    assert only_rejection(loaded) == (3, "gender", "is not F or M")


def test_unexpected_column_is_warned_and_dropped(tmp_path: Path) -> None:
    """A column outside the format is ignored with a warning that suggests checking spelling."""
    loaded = load_lines(
        tmp_path, MEMBERS, MEMBERS_HEADER + ",nickname", "M1,090-1234-5678,30-39,F,13,Taro"
    )
    assert "nickname" not in loaded.frame.columns
    assert any("spelling" in message for message in loaded.report.messages())


@pytest.mark.parametrize(
    ("row", "field", "reason_part"),
    [
        ("M 1,090-1234-5678,30-39,F,13", "member_id", "ID of 1 to 32"),
        ("M" * 33 + ",090-1234-5678,30-39,F,13", "member_id", "ID of 1 to 32"),
        ("M1,03-1234-5678,30-39,F,13", "phone", "not a mobile number"),
        ("M1,090-1234-5678,18-19,F,13", "age_band", "age band"),
        ("M1,090-1234-5678,30-39,F,48", "home_prefecture", "01 to 47"),
        ("M1,090-1234-5678,30-39,F,1", "home_prefecture", "01 to 47"),
    ],
)
def test_member_field_rules(tmp_path: Path, row: str, field: str, reason_part: str) -> None:
    """Each member rule rejects the row with the field and a reason, keeping the good row."""
    loaded = load_lines(tmp_path, MEMBERS, MEMBERS_HEADER, "M0,090-1111-2222,20-29,M,01", row)
    assert loaded.frame["member_id"].tolist() == ["M0"]
    got_row, got_field, reason = only_rejection(loaded)
    assert (got_row, got_field) == (3, field) and reason_part in reason


@pytest.mark.parametrize(
    ("row", "field", "reason_part"),
    [
        ("M1,JL513X1,HND,CTS,2025-08-01T09:30:00,2025-08-01T11:05:00", "flight", "flight"),
        ("M1,JL0513,XXX,CTS,2025-08-01T09:30:00,2025-08-01T11:05:00", "origin", "known airport"),
        ("M1,JL0513,HND,HND,2025-08-01T09:30:00,2025-08-01T11:05:00", "destination", "same"),
        ("M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T09:30:00", "arrival", "not after"),
        ("M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T15:31:00", "arrival", "6 hours"),
        ("M1,JL0513,HND,CTS,2025-08-01T09:30,2025-08-01T33:05:00", "arrival", "date-time"),
        ("M1,JL0513,HND,CTS,,2025-08-01T11:05:00", "departure", "is empty"),
    ],
)
def test_boarding_rules(tmp_path: Path, row: str, field: str, reason_part: str) -> None:
    """Codes, flight shape, cross-field time and airport rules each reject their row."""
    loaded = load_lines(tmp_path, BOARDINGS, BOARDINGS_HEADER, GOOD_BOARDING, row)
    assert len(loaded.frame) == 1
    got_row, got_field, reason = only_rejection(loaded)
    assert (got_row, got_field) == (3, field) and reason_part in reason


def test_six_hour_flight_is_allowed_and_offsets_compare_in_jst(tmp_path: Path) -> None:
    """Exactly six hours is fine, and a UTC arrival is compared after conversion to JST."""
    loaded = load_lines(
        tmp_path,
        BOARDINGS,
        BOARDINGS_HEADER,
        "M1,JL0513,HND,CTS,2025-08-01T09:30:00,2025-08-01T15:30:00",
        "M1,JL0515,HND,CTS,2025-08-01T09:30:00+09:00,2025-08-01T02:05:00Z",
    )
    assert loaded.report.ok
    assert loaded.frame["arrival"].iloc[1] == pd.Timestamp("2025-08-01 11:05")


def test_reference_rejects_unknown_members(tmp_path: Path) -> None:
    """A boarding whose member is not among the accepted members is rejected."""
    loaded = load_lines(
        tmp_path,
        BOARDINGS,
        BOARDINGS_HEADER,
        GOOD_BOARDING,
        GOOD_BOARDING.replace("M1", "M9"),
        known_ids=pd.Series(["M1"]),
    )
    row, field, reason = only_rejection(loaded)
    assert (row, field) == (3, "member_id") and "not among the accepted rows of members" in reason


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("M1,1206,2025-09-14,30000", "municipality_code"),
        ("M1,48206,2025-09-14,30000", "municipality_code"),
        ("M1,01206,2025-09-31,30000", "donation_date"),
        ("M1,01206,2025-09-14,999", "amount_jpy"),
        ("M1,01206,2025-09-14,10000001", "amount_jpy"),
    ],
)
def test_donation_rules(tmp_path: Path, row: str, field: str) -> None:
    """Municipality codes, dates and amounts are checked."""
    loaded = load_lines(
        tmp_path,
        DONATIONS,
        "member_id,municipality_code,donation_date,amount_jpy",
        "M1,01206,2025-09-14,30000",
        row,
    )
    assert loaded.frame["amount_jpy"].tolist() == [30000]
    assert only_rejection(loaded)[:2] == (3, field)


def test_subscribers_opt_out_is_bool(tmp_path: Path) -> None:
    """opt_out accepts 0/1/true/false and loads as bool; other words reject the row."""
    loaded = load_lines(
        tmp_path,
        SUBSCRIBERS,
        "subscriber_id,phone,age_band,gender,home_municipality,opt_out",
        "S1,09012345678,30-39,F,13101,0",
        "S2,09012345679,30-39,F,13101,TRUE",
        "S3,09012345670,30-39,F,13101,yes",
    )
    assert loaded.frame["opt_out"].dtype == bool
    assert loaded.frame["opt_out"].tolist() == [False, True]
    assert only_rejection(loaded)[:2] == (4, "opt_out")


def test_latitude_200_and_longitude_100_are_rejected(tmp_path: Path) -> None:
    """Coordinates outside Japan reject their rows; the others are kept as float64."""
    loaded = load_lines(
        tmp_path,
        OBSERVATIONS,
        "subscriber_id,observed_at,lat,lon",
        "S1,2025-08-01T12:00:00,43.06,141.35",
        "S1,2025-08-01T12:01:00,200,141.35",
        "S1,2025-08-01T12:02:00,43.06,100",
    )
    assert loaded.frame["lat"].dtype == np.float64 and len(loaded.frame) == 1
    assert [(r.row, r.field) for r in loaded.report.rejections] == [(3, "lat"), (4, "lon")]


def test_row_with_two_bad_fields_gives_two_messages_one_rejected_row(tmp_path: Path) -> None:
    """Every bad field is reported, but the row counts once."""
    loaded = load_lines(
        tmp_path, OBSERVATIONS, "subscriber_id,observed_at,lat,lon", "S1,yesterday,200,141.35"
    )
    assert len(loaded.report.messages()) == 2 and loaded.report.rows_rejected == 1


def test_exact_duplicates_collapse_and_are_counted(tmp_path: Path) -> None:
    """Rows equal after normalisation collapse into one and count as duplicates, not errors."""
    loaded = load_lines(
        tmp_path,
        MEMBERS,
        MEMBERS_HEADER,
        "M1,090-1234-5678,30-39,F,13",
        "M1,+81 90 1234 5678,30-39,F,13",
        "M1,090-1234-5678,30-39,F,13",
    )
    assert len(loaded.frame) == 1
    assert loaded.report.duplicates == 2 and not loaded.report.rejections


def test_same_id_with_different_content_is_rejected(tmp_path: Path) -> None:
    """A later row reusing a member ID with other content is rejected, pointing at the first."""
    loaded = load_lines(
        tmp_path,
        MEMBERS,
        MEMBERS_HEADER,
        "M1,090-1234-5678,30-39,F,13",
        "M2,090-1234-5679,30-39,F,13",
        "M1,090-9999-8888,30-39,F,13",
    )
    assert loaded.frame["member_id"].tolist() == ["M1", "M2"]
    row, field, reason = only_rejection(loaded)
    assert (row, field) == (4, "member_id") and "row 2" in reason


def test_malformed_csv_rows_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    """A row with too many or too few values is rejected as a whole; later rows still load."""
    loaded = load_lines(
        tmp_path,
        OBSERVATIONS,
        "subscriber_id,observed_at,lat,lon",
        "S1,2025-08-01T12:00:00,43.06,141.35,extra",
        "S1,2025-08-01T12:01:00",
        "S1,2025-08-01T12:02:00,43.06,141.35",
    )
    assert len(loaded.frame) == 1
    assert [(r.row, r.field) for r in loaded.report.rejections] == [(2, None), (3, None)]
    assert "header has 4 columns" in loaded.report.rejections[0].reason


def test_blank_lines_are_counted_and_keep_row_numbers(tmp_path: Path) -> None:
    """A blank line is counted as blank and warned about; later rows keep their numbers."""
    loaded = load_lines(
        tmp_path,
        OBSERVATIONS,
        "subscriber_id,observed_at,lat,lon",
        "S1,2025-08-01T12:00:00,43.06,141.35",
        "",
        "S1,2025-08-01T12:02:00,200,141.35",
    )
    assert loaded.report.rows_read == 3 and loaded.report.blank_rows == 1
    assert only_rejection(loaded)[:2] == (4, "lat")
    assert any("1 blank row(s) skipped (rows 3)" in w.reason for w in loaded.report.warnings)


def test_header_only_file_loads_no_rows(tmp_path: Path) -> None:
    """A file with only a header gives an empty, typed frame."""
    loaded = load_lines(tmp_path, OBSERVATIONS, "subscriber_id,observed_at,lat,lon")
    assert loaded.frame.empty and loaded.report.rows_read == 0
    assert loaded.frame.dtypes.equals(empty_frame(OBSERVATIONS).dtypes)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("members.csv", b"", "is empty"),
        ("members.csv", "member_id,phone\nM1,\xff\n".encode("latin-1"), "UTF-8"),
        ("members.parquet", b"not parquet", "Parquet"),
        ("members.xlsx", b"", "neither .csv nor .parquet"),
        ("members.csv", b"member_id,phone,Phone\n", "more than once"),
    ],
)
def test_unreadable_files_raise_input_error(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    """Files that cannot be read at all raise one InputError naming the file."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=match) as caught:
        load_table(path, MEMBERS)
    assert caught.value.file == name


def test_messages_never_quote_personal_values(tmp_path: Path) -> None:
    """No phone number or ID from a messy file appears in any message."""
    loaded = load_lines(
        tmp_path,
        MEMBERS,
        MEMBERS_HEADER,
        "SECRETID1,03-5555-6666,30-39,F,13",
        "SECRETID2,+1 415 555 0199,30-39,F,13",
        "SECRETID3,090-5555-666,30-39,Q,99",
        "SECRETID3,090-5555-6667,30-39,F,13",
        "SECRETID3,090-5555-6668,30-39,F,13",
    )
    text = "\n".join(loaded.report.messages())
    assert len(loaded.report.rejections) >= 5
    for secret in ("SECRETID", "5555", "0199", "666"):
        assert secret not in text


def test_parquet_and_csv_load_the_same(tmp_path: Path) -> None:
    """The same rows as CSV and as (typed) Parquet give equal frames and equal rejections."""
    lines = [
        "subscriber_id,observed_at,lat,lon",
        "S1,2025-08-01T12:00:00,43.06,141.35",
        "S2,2025-08-01T12:30:00,200,141.35",
        "S1,2025-08-01T12:00:00,43.06,141.35",
    ]
    from_csv = load_lines(tmp_path, OBSERVATIONS, *lines)
    raw = pd.read_csv(tmp_path / "observations.csv", dtype=str)
    raw["observed_at"] = pd.to_datetime(raw["observed_at"])
    raw[["lat", "lon"]] = raw[["lat", "lon"]].astype(float)
    raw.to_parquet(tmp_path / "observations.parquet", index=False)
    from_parquet = load_table(tmp_path / "observations.parquet", OBSERVATIONS)
    pd.testing.assert_frame_equal(from_csv.frame, from_parquet.frame)
    strip = [(r.row, r.field, r.reason) for r in from_csv.report.rejections]
    assert strip == [(r.row, r.field, r.reason) for r in from_parquet.report.rejections]
    assert from_parquet.report.duplicates == from_csv.report.duplicates == 1


def test_observations_load_vectorised(tmp_path: Path, parser_inputs: ParserInputs) -> None:
    """300 000 plain observation rows go to pyarrow in one call, only the header line by line;
    the bad rows are still found, by their row numbers (the speed itself: the first-run bench)."""
    n = 300_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "subscriber_id": [f"S{i % 5000:05d}" for i in range(n)],
            "observed_at": pd.date_range("2025-08-01", periods=n, freq="s").strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
            "lat": rng.uniform(30, 45, n).round(6),
            "lon": rng.uniform(130, 145, n).round(6),
        }
    )
    frame.loc[[10, 20], "lat"] = 200.0
    frame.to_csv(tmp_path / "observations.csv", index=False)
    ids = pd.Series([f"S{i:05d}" for i in range(5000)])
    loaded = load_table(tmp_path / "observations.csv", OBSERVATIONS, known_ids=ids)
    assert len(parser_inputs.line_by_line) == 1  # the header alone
    assert len(parser_inputs.bulk) == 1
    assert loaded.report.rows_kept == n - 2
    assert [r.row for r in loaded.report.rejections] == [12, 22]


@pytest.mark.parametrize("parts", [1, 2, 7])
def test_unique_rows_match_pandas_on_many_repeated_rows(parts: int) -> None:
    """The hash-first duplicate test over parts keeps exactly what ``duplicated(keep="first")``
    over the whole keeps, in order, and counts what it collapsed."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "subscriber_id": pd.Series(rng.choice(["a", "b", "c"], 5_000), dtype="str"),
            "observed_at": pd.Timestamp("2025-08-01")
            + pd.to_timedelta(rng.integers(0, 4, 5_000), "h"),
            "lat": rng.choice([35.0, 35.5], 5_000),
            "lon": rng.choice([135.0, np.nan], 5_000),
        },
        index=pd.RangeIndex(2, 5_002, name="row"),
    )
    expected = frame[~frame.duplicated(keep="first")]
    assert len(expected) < 100  # almost every row repeats an earlier one
    size = -(-len(frame) // parts)
    pieces = [frame.iloc[start : start + size] for start in range(0, len(frame), size)]
    unique, collapsed = _unique_rows(pieces)
    pd.testing.assert_frame_equal(unique, expected)
    assert collapsed == 5_000 - len(expected)
    again, none = _unique_rows([expected])
    assert none == 0 and again.equals(expected)


@pytest.mark.parametrize("batch", [1, 2, 3, 1_000_000])
def test_a_parquet_file_loads_the_same_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Read a few rows at a time (a duplicate across two batches, bad values, a timestamp past
    2262, an unknown ID, blank rows): the same frame and the same report, row numbers included,
    as the whole file at once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.inputs import reading

    times = [dt.datetime(2025, 8, 1, 12, minute) for minute in range(8)]
    times[5] = dt.datetime(2300, 1, 1)  # past 2262: rejected with its row, the value never shown
    table = pa.table(
        {
            "subscriber_id": ["S1", "S2", "S1", None, "S9", "S1", "S2", "S1"],
            "observed_at": pa.array(times, pa.timestamp("us")),
            "lat": [43.06, 200.0, 43.06, None, 43.0, 43.0, 43.1, 43.06],
            "lon": [141.35, 141.35, 141.35, None, 141.0, 141.0, 141.1, 141.35],
        }
    )
    table = table.set_column(
        1, "observed_at", pa.array([*times[:2], times[0], None, *times[4:7], times[0]])
    )
    path = tmp_path / "observations.parquet"
    pq.write_table(table, path, row_group_size=3)
    known = pd.Series(["S1", "S2"])
    whole = load_table(path, OBSERVATIONS, known_ids=known)
    monkeypatch.setattr(reading, "BATCH_ROWS", batch)
    batched = load_table(path, OBSERVATIONS, known_ids=known)
    pd.testing.assert_frame_equal(batched.frame, whole.frame)
    assert batched.report == whole.report
    assert whole.report.duplicates == 2 and whole.report.blank_rows == 1  # rows 4 and 9; row 5
    assert {r.row for r in whole.report.rejections} == {3, 6, 7}
