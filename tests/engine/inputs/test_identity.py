"""One person = one phone: the merge rule on small folders of both parties."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.inputs import load_airline, load_carrier
from engine.inputs.identity import IdentityMerge


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def _airline(tmp_path: Path) -> Path:
    member = {"age_band": "30-39", "gender": "F", "home_prefecture": "13"}
    _write(tmp_path / "airline", "members", [
        {"member_id": "JL3", "phone": "090-1234-5678", **member},
        {"member_id": "JL1", "phone": "+81 90 1234 5678", **member},
        {"member_id": "JL2", "phone": "080-2345-6789", **member},
    ])  # fmt: skip
    flight = {"origin": "HND", "destination": "SHM"}
    _write(tmp_path / "airline", "boardings", [
        {"member_id": "JL3", "flight": "JL0213", "departure": "2025-08-01T08:00:00",
         "arrival": "2025-08-01T09:15:00", **flight},
        {"member_id": "JL1", "flight": "JL0213", "departure": "2025-08-03T08:00:00",
         "arrival": "2025-08-03T09:15:00", **flight},
    ])  # fmt: skip
    return tmp_path


def test_member_ids_with_one_phone_become_the_smallest_id(tmp_path: Path) -> None:
    """JL1 and JL3 share a phone: one member JL1 holding both trips; the merge is reported."""
    inputs = _airline(tmp_path)
    airline = load_airline(inputs)
    assert sorted(airline.members["member_id"]) == ["JL1", "JL2"]
    assert list(airline.boardings["member_id"]) == ["JL1", "JL1"]
    assert airline.identity == IdentityMerge("members.csv", 3, 2)
    reasons = [w.reason for w in airline.reports[0].warnings]
    assert any("1 ID(s) share a phone" in reason for reason in reasons)
    assert not any("1234" in reason or "JL3" in reason for reason in reasons)


def test_a_subscriber_opted_out_under_any_id_is_opted_out(tmp_path: Path) -> None:
    """Two subscriber IDs with one phone, one opted out: the person is out, observations merged."""
    person = {"age_band": "30-39", "gender": "M", "home_municipality": "30401"}
    _write(tmp_path / "carrier", "subscribers", [
        {"subscriber_id": "DC2", "phone": "09012345678", "opt_out": 0, **person},
        {"subscriber_id": "DC1", "phone": "+819012345678", "opt_out": 1, **person},
        {"subscriber_id": "DC3", "phone": "08023456789", "opt_out": 0, **person},
    ])  # fmt: skip
    _write(
        tmp_path / "carrier",
        "observations",
        [
            {
                "subscriber_id": sid,
                "observed_at": "2025-08-01T10:00:00",
                "lat": 33.66,
                "lon": 135.36,
            }
            for sid in ("DC1", "DC2", "DC3")
        ],
    )
    carrier = load_carrier(tmp_path)
    kept = carrier.subscribers.set_index("subscriber_id")["opt_out"]
    assert kept.to_dict() == {"DC1": True, "DC3": False}
    assert sorted(carrier.observations["subscriber_id"]) == ["DC1", "DC1", "DC3"]
    assert carrier.identity is not None and carrier.identity.merged_ids == 1


def test_no_merge_no_warning(tmp_path: Path) -> None:
    """Distinct phones: nothing merged, nothing reported."""
    inputs = _airline(tmp_path)
    members = pd.read_csv(inputs / "airline" / "members.csv", dtype=str)
    members.loc[members["member_id"] == "JL3", "phone"] = "070-2345-9876"
    members.to_csv(inputs / "airline" / "members.csv", index=False)
    airline = load_airline(inputs)
    assert airline.identity is not None and airline.identity.merged_ids == 0
    assert not any("share a phone" in w.reason for w in airline.reports[0].warnings)
