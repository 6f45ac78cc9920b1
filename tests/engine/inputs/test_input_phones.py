"""Tests for engine.inputs.phones: E.164 normalisation of Japanese mobile numbers."""

from __future__ import annotations

import random

import pandas as pd
import phonenumbers
import pytest

from engine.inputs import phones
from engine.inputs.phones import (
    EMPTY,
    NOT_JAPANESE,
    NOT_MOBILE,
    NOT_PHONE,
    NOT_VALID,
    normalize_phone,
    normalize_phone_series,
)
from foundation.errors import InputError

SAME_NUMBER = [
    "090-1234-5678",
    "09012345678",
    "090 1234 5678",
    "(090) 1234-5678",
    "+81 90 1234 5678",
    "+81-90-1234-5678",
    "+81 (0)90 1234 5678",
    "0081 90 1234 5678",
    "819012345678",
    "9012345678",
    "０９０－１２３４－５６７８",
    "０９０ー１２３４ー５６７８",
    "＋８１ ９０ １２３４ ５６７８",
    " 090.1234.5678 ",
]


@pytest.mark.parametrize("raw", SAME_NUMBER)
def test_common_formats_normalise_to_one_e164(raw: str) -> None:
    """Every common way of writing one mobile number gives the same E.164 string."""
    assert normalize_phone(raw) == "+819012345678"


def test_full_width_and_plus81_agree() -> None:
    """Full-width digits and hyphens normalise to the same E.164 as the +81 form."""
    assert normalize_phone("０８０－２２２２－３３３３") == normalize_phone("+81 80 2222 3333")


@pytest.mark.parametrize("prefix", ["060", "070", "080", "090"])
def test_all_mobile_prefixes_are_accepted(prefix: str) -> None:
    """060, 070, 080 and 090 numbers are mobile numbers."""
    assert normalize_phone(f"{prefix}-1234-5678") == f"+81{prefix[1:]}12345678"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("03-1234-5678", NOT_MOBILE),
        ("0120-123-456", NOT_MOBILE),
        ("050-1234-5678", NOT_MOBILE),
        ("+1 650 253 0000", NOT_JAPANESE),
        ("090-1234-567", NOT_VALID),
        ("090-1234-56789", NOT_VALID),
        ("090-1234-5678 ext 2", NOT_PHONE),
        ("", EMPTY),
        ("   ", EMPTY),
    ],
)
def test_non_mobile_numbers_are_rejected_with_a_reason(raw: str, reason: str) -> None:
    """Landlines, foreign numbers, wrong lengths and text raise InputError with the reason."""
    with pytest.raises(InputError, match="phone") as caught:
        normalize_phone(raw)
    assert reason in str(caught.value)
    assert caught.value.field == "phone"


@pytest.mark.parametrize("raw", ["03-9876-5432", "+1 650 253 0000", "090-9876-543", "x090987"])
def test_messages_never_contain_the_number(raw: str) -> None:
    """The error message quotes no digits of the number, in any format."""
    with pytest.raises(InputError) as caught:
        normalize_phone(raw)
    message = str(caught.value)
    digits = "".join(ch for ch in raw if ch.isdigit())
    assert digits not in message.replace("-", "").replace(" ", "")
    assert "9876" not in message


def test_fast_path_agrees_with_phonenumbers() -> None:
    """For random national numbers the result matches a direct phonenumbers classification."""
    rng = random.Random(7)
    for _ in range(2000):
        national = f"0{rng.choice('6789')}0{rng.randrange(10**8):08d}"
        number = phonenumbers.parse(national, "JP")
        mobile = phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
        expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if mobile:
            assert normalize_phone(national) == expected
        else:
            with pytest.raises(InputError):
                normalize_phone(national)


def test_series_helper_returns_values_and_reasons_aligned() -> None:
    """The Series helper gives E.164 or NA, and a reason exactly where the value is NA."""
    raw = pd.Series(["090-1234-5678", "03-1234-5678", None, "+81 90 1234 5678"], index=[5, 6, 7, 8])
    e164, reason = normalize_phone_series(raw)
    assert list(e164.index) == [5, 6, 7, 8]
    assert e164[5] == e164[8] == "+819012345678"
    assert e164.isna().tolist() == [False, True, True, False]
    assert reason.notna().tolist() == [False, True, True, False]
    assert reason[6] == NOT_MOBILE and reason[7] == EMPTY


def test_series_helper_handles_a_hundred_thousand_rows_on_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """10^5 distinct numbers in the common shapes never reach the slow per-number parser
    (``phonenumbers.parse``, ~50 µs each); what that costs in time is a benchmark's business."""
    rng = random.Random(3)
    raw = pd.Series(
        [
            f"0{rng.choice('789')}0-{rng.randrange(1000, 10**4)}-{i % 10**4:04d}"
            for i in range(10**5)
        ]
    )
    slow: list[str] = []
    monkeypatch.setattr(phones, "_classify_slowly", lambda cleaned: slow.append(cleaned))
    phones._classify.cache_clear()
    e164, reason = normalize_phone_series(raw)
    assert slow == []
    assert reason.isna().all() and e164.str.startswith("+81").all()
