"""Tests for engine.inputs.report: rejections, warnings and the per-file report."""

from __future__ import annotations

import pytest

from engine.inputs.report import REPORT_COLUMNS, FileWarning, Rejection, ValidationReport


def make_report() -> ValidationReport:
    """A report with one warning and a row rejected for two fields."""
    return ValidationReport(
        file="boardings.csv",
        rows_read=10,
        rows_kept=8,
        duplicates=1,
        rejections=(
            Rejection("boardings.csv", 4, "departure", "is not a date-time"),
            Rejection("boardings.csv", 4, "origin", "is not a known airport code"),
        ),
        warnings=(FileWarning("boardings.csv", "note", "column 'note' was ignored"),),
    )


def test_rejection_message_names_file_row_field_and_reason() -> None:
    """A message says file, row (with the header convention), field and reason."""
    message = Rejection("members.csv", 5, "phone", "is not a valid number").message()
    assert message.startswith("members.csv row 5 (header is row 1), field 'phone': is not a valid")


def test_whole_row_rejection_has_no_field() -> None:
    """A malformed row is reported without a field."""
    message = Rejection("members.csv", 3, None, "has 7 values").message()
    assert "field" not in message and "row 3" in message


def test_rejection_rows_start_after_the_header() -> None:
    """Row 1 is the header, so a rejection cannot point at it."""
    with pytest.raises(ValueError, match="row"):
        Rejection("members.csv", 1, "phone", "bad")


def test_rows_rejected_counts_rows_not_fields() -> None:
    """Two bad fields of one row count as one rejected row."""
    assert make_report().rows_rejected == 1


def test_counts_must_add_up() -> None:
    """Kept + duplicates + rejected rows must equal the rows read."""
    with pytest.raises(ValueError, match="add up"):
        ValidationReport("members.csv", rows_read=5, rows_kept=5, duplicates=1)


def test_messages_list_warnings_then_rejections() -> None:
    """One message per warning and per rejected field, warnings first."""
    messages = make_report().messages()
    assert len(messages) == 3
    assert "ignored" in messages[0] and "departure" in messages[1] and "origin" in messages[2]


def test_summary_has_all_counts() -> None:
    """The summary line carries read, kept, duplicate, rejected and warning counts."""
    summary = make_report().summary()
    assert summary == ("boardings.csv: read 10, kept 8, duplicates 1, rejected 1, warnings 1")


def test_to_frame_has_one_row_per_entry() -> None:
    """The table form has the report columns and an empty row number for warnings."""
    frame = make_report().to_frame()
    assert tuple(frame.columns) == REPORT_COLUMNS
    assert frame["severity"].tolist() == ["warning", "rejected", "rejected"]
    assert frame["row"].isna().tolist() == [True, False, False]
    assert frame["row"].iloc[1] == 4
