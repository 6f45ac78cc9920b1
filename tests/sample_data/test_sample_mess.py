"""The written files carry the mess of real data, in small doses, and the truth ignores it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
import pytest

from sample_data.mess import _scatter

PHONE_STYLES = {
    "hyphens": r"0[789]0-\d{4}-\d{4}",
    "plain": r"0[789]0\d{8}",
    "e164": r"\+81[789]0\d{8}",
    "international_spaces": r"\+81 [789]0 \d{4} \d{4}",
    "international_hyphens": r"\+81-[789]0-\d{4}-\d{4}",
    "spaces": r"0[789]0 \d{4} \d{4}",
    "full_width": r"０[７８９]０－[０-９]{4}－[０-９]{4}",
}


def _e164(text: str) -> str | None:
    """The E.164 form of a valid Japanese number, else None."""
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_phone_numbers_come_in_every_format(tiny: dict[str, Any]) -> None:
    """Members and subscribers together use every writing style of a mobile number."""
    phones = pd.concat([tiny["members"]["phone"], tiny["subscribers"]["phone"]])
    for style, pattern in PHONE_STYLES.items():
        assert phones.str.fullmatch(pattern).any(), style


def test_phones_normalise_to_the_same_number_for_linked_people(tiny: dict[str, Any]) -> None:
    """Through the identity links, a member's and a subscriber's number are the same E.164."""
    links = tiny["truth/links"]
    members = tiny["members"].drop_duplicates("member_id").set_index("member_id")["phone"]
    subscribers = tiny["subscribers"].drop_duplicates("subscriber_id")
    subscribers = subscribers.set_index("subscriber_id")["phone"]
    for member_id, subscriber_id in links.itertuples(index=False):
        assert _e164(members[member_id]) == _e164(subscribers[subscriber_id]) is not None


@pytest.mark.parametrize("name", ["members", "boardings", "donations", "subscribers"])
def test_every_file_has_exact_duplicates(tiny: dict[str, Any], name: str) -> None:
    """Each party CSV repeats a few rows exactly."""
    assert tiny[name].duplicated().sum() >= 1


def test_observations_have_duplicates_and_malformed_rows(tiny: dict[str, Any]) -> None:
    """Observations repeat some rows, and hold a latitude of 200 and a missing longitude."""
    frame = tiny["observations"].to_pandas()
    assert frame.duplicated().sum() >= 1
    assert (frame["lat"] == 200).sum() >= 1
    assert frame["lon"].isna().sum() >= 1


def test_malformed_rows_of_each_kind(tiny: dict[str, Any]) -> None:
    """Bad dates, invalid phones, missing values and an unknown airport are all present."""
    members, subscribers = tiny["members"], tiny["subscribers"]
    boardings, donations = tiny["boardings"], tiny["donations"]
    assert members["phone"].map(_e164).isna().sum() >= 1
    assert subscribers["phone"].map(_e164).isna().sum() >= 1
    assert (members["member_id"] == "").sum() >= 1
    assert (subscribers["home_municipality"] == "").sum() >= 1
    assert (
        pd.to_datetime(boardings["departure"], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
        .isna()
        .sum()
        >= 1
    )
    assert (boardings["destination"] == "XYZ").sum() >= 1
    assert (boardings["flight"] == "").sum() >= 1
    assert (
        pd.to_datetime(donations["donation_date"], format="%Y-%m-%d", errors="coerce").isna().sum()
        >= 1
    )
    assert (donations["municipality_code"] == "").sum() >= 1


def test_mess_is_a_small_share_of_observations(tiny: dict[str, Any]) -> None:
    """Duplicates and malformed rows stay within about 1 % of the observations."""
    frame = tiny["observations"].to_pandas()
    mess = frame.duplicated().sum() + (frame["lat"] == 200).sum() + frame["lon"].isna().sum()
    assert 0.002 <= mess / len(frame) <= 0.01


def test_malformed_members_do_not_reuse_real_ids(tiny: dict[str, Any]) -> None:
    """Malformed member rows carry fresh IDs: no member ID has two different rows."""
    members = tiny["members"].drop_duplicates()
    assert not members.loc[members["member_id"] != "", "member_id"].duplicated().any()
    subscribers = tiny["subscribers"].drop_duplicates()
    assert not subscribers["subscriber_id"].duplicated().any()


def test_scatter_keeps_the_original_order() -> None:
    """Inserted rows never reorder the original rows."""
    frame = pd.DataFrame({"k": np.arange(50)})
    extra = pd.DataFrame({"k": np.arange(100, 110)})
    mixed = _scatter(frame, extra, np.random.default_rng(1))
    original = mixed["k"][mixed["k"] < 100].to_numpy()
    assert len(mixed) == 60 and (np.diff(original) > 0).all()
