"""Tests for engine.inputs.policy: when a loaded file is refused, and column-name bounds."""

from __future__ import annotations

import pytest

from engine.inputs.policy import InputPolicy, clean_column_names
from engine.inputs.report import Rejection, ValidationReport
from foundation.errors import InputError


def report(read: int, kept: int, rejected: int, blank: int = 0) -> ValidationReport:
    """A members.csv report with ``rejected`` rows rejected from row 2 on."""
    rejections = tuple(
        Rejection("members.csv", 2 + i, "phone", "is not a phone") for i in range(rejected)
    )
    return ValidationReport("members.csv", read, kept, 0, rejections, blank_rows=blank)


def test_allowance_is_the_larger_of_rows_and_share() -> None:
    """10 rows for small files, 1 % for large ones."""
    policy = InputPolicy()
    assert policy.allowance(100) == 10 and policy.allowance(100_000) == 1_000


def test_a_few_rejections_pass() -> None:
    """Rejections within the allowance do not refuse the file."""
    InputPolicy().enforce(report(100, 90, 10))


def test_too_many_rejections_refuse_naming_the_first_rows() -> None:
    """Over the allowance: InputError with file, counts and the first five rows."""
    with pytest.raises(InputError, match="11 of 100 data rows were rejected") as caught:
        InputPolicy().enforce(report(100, 89, 11))
    message = str(caught.value)
    assert "row 2 (field 'phone'" in message and "row 6" in message and "row 7" not in message
    assert caught.value.file == "members.csv"


@pytest.mark.parametrize(
    ("read", "kept", "rejected", "blank", "match"),
    [(0, 0, 0, 0, "no data rows"), (3, 0, 0, 3, "no data rows"), (4, 0, 4, 0, "none of its 4")],
)
def test_empty_inputs_are_refused(
    read: int, kept: int, rejected: int, blank: int, match: str
) -> None:
    """Header-only, blank-only and all-rejected files are refused."""
    with pytest.raises(InputError, match=match):
        InputPolicy().enforce(report(read, kept, rejected, blank))


def test_policy_values_are_checked() -> None:
    """A negative allowance or a share over 1 is an InputError."""
    with pytest.raises(InputError):
        InputPolicy(max_rejected_rows=-1)
    with pytest.raises(InputError):
        InputPolicy(max_rejected_share=2.0)


def test_column_names_are_cleaned_and_counted_linearly() -> None:
    """Names are trimmed and lower-cased; repeats and too many columns raise."""
    assert clean_column_names([" Phone ", "ID"], "f.csv") == ("phone", "id")
    with pytest.raises(InputError, match="more than once"):
        clean_column_names(["a", "A"], "f.csv")
    with pytest.raises(InputError, match="columns"):
        clean_column_names([f"c{i}" for i in range(1000)], "f.csv")
