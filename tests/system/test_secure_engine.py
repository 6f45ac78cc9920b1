"""Protocol v2 end to end on tiny data: with the noise switched off, releases equal the truth.

Both parties always add noise in the product; here (tests only) the mechanism's sampler is
patched to draw zeros, so that every step between the two parties' data — cohorts, blinding,
matching, indicators, per-slot products, Horner packing, decryption, projection — is checked
exactly against the generator's truth tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import engine.parties.airline as airline_module
from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.dp.mechanisms import NoiseMechanism
from engine.ledger.values import Scope
from engine.parties.cohorts import build_cohort
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.queries.shapes import shape_of
from engine.session import SecureSession, SessionSettings

WINDOW = {"start": "2025-08-01", "end": "2025-08-14", "epsilon": 1.0, "threshold": 0}
BEFORE_RULE: dict[str, Any] = {}
SETTINGS = SessionSettings(policy=SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000))


@pytest.fixture(scope="module")
def session(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureSession]:
    """A prepared tiny workspace whose noise draws are all zero (test only) and budgets large.

    The publication rule still withholds values its (nominal) noise could explain, so the
    airline's values before the rule are recorded too: :func:`_before_rule` reads them.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            NoiseMechanism, "sample", lambda self, length: np.zeros(length, dtype=np.int64)
        )
        real = airline_module.build_release

        def recording(noisy: Any, *args: Any, **kwargs: Any) -> Any:
            BEFORE_RULE["last"] = (list(noisy), kwargs["row_labels"], kwargs["label_names"])
            return real(noisy, *args, **kwargs)

        patch.setattr(airline_module, "build_release", recording)
        secure = SecureSession(tmp_path_factory.mktemp("ws"), tiny_dir, SETTINGS)
        secure.prepare()
        for ledger in (secure.airline.ledger, secure.carrier.ledger):
            for month in pd.period_range("2024-08", "2025-12", freq="M").strftime("%Y-%m"):
                for pair in (
                    "airline+carrier",
                    "carrier",
                ):  # the airline's and the carrier's scopes
                    ledger.set_budget(Scope(pair, month), 1e4, "test")
        yield secure
        secure.close()


def _before_rule(session: SecureSession, spec: QuerySpec) -> pd.DataFrame:
    """Release ``spec`` and return every value as the airline had it before the rule (exact,
    the noise being zero here), with the release's label columns."""
    session.release(spec)
    noisy, labels, names = BEFORE_RULE.pop("last")
    frame = pd.DataFrame([list(row) for row in labels], columns=list(names))
    frame["value"] = noisy
    return frame


def _truth(tiny_dir: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(tiny_dir / "truth" / f"{name}.csv", dtype=str)
    for column in ("count", "visited"):
        if column in frame:
            frame[column] = frame[column].astype(int)
    return frame


def _nonzero(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], int]:
    values = frame.set_index(keys)["value"].astype(int)
    return {_key(key): int(v) for key, v in values.items() if v}


def _joined(session: SecureSession, spec: QuerySpec) -> dict[tuple[str, ...], int]:
    """The release an omniscient plaintext join gives: the airline's bounded cohort against the
    carrier's stored views, per (group label, slot label), non-zero cells only."""
    shape = shape_of(spec)
    cohort = build_cohort(shape, session.airline.inputs)
    records: dict[bytes, list[int]] = {}
    for block in shape.scope:
        stored = session.carrier._records(shape, block)
        for row in range(len(stored)):
            records[stored.point(row)] = stored.indices[
                stored.indptr[row] : stored.indptr[row + 1]
            ].tolist()
    read = set(shape.slots.tolist())
    labels = shape.family.labels()
    counts: dict[tuple[str, ...], int] = {}
    for group in cohort.groups:
        keys = [JoinKey(cohort.family, phone, period) for phone, period in group.keys]
        for point in hash_many_to_group(keys):
            for slot in records.get(point, []):
                if slot in read:
                    key = (*group.label, labels[slot][1])
                    counts[key] = counts.get(key, 0) + 1
    return counts


def _key(key: object) -> tuple[str, ...]:
    return tuple(key) if isinstance(key, tuple) else (str(key),)


def _sums(frame: pd.DataFrame, keys: list[str], column: str = "count") -> dict:
    grouped = frame.groupby(keys)[column].sum()
    return {_key(key): int(v) for key, v in grouped.items() if v}


@pytest.mark.parametrize("airport", ["SHM", "CTS", "FUK", "TAK", "KUH"])
@pytest.mark.parametrize(
    ("kind", "truth_name", "slot"),
    [("visit-map", "visit_mesh", "mesh_code"), ("flows", "visit_area", "municipality_code")],
)
def test_arrival_maps_equal_truth_exactly(
    session: SecureSession, tiny_dir: Path, airport: str, kind: str, truth_name: str, slot: str
) -> None:
    """Cells and municipalities visited per day after arrival equal the truth, every trip."""
    spec = QuerySpec(kind=kind, airport=airport, days=3, max_trips=10, **WINDOW)
    frame = _before_rule(session, spec)
    truth = _truth(tiny_dir, truth_name)
    truth = _sums(truth[truth["airport"] == airport], ["day_offset", slot])
    label = "mesh_code" if kind == "visit-map" else "municipality_code"
    got = _nonzero(frame, ["day_offset", label])
    assert got == _joined(session, spec)  # the pipeline is exact
    # Truth counts every trip; the release keeps a key of overlapping trips once (the bound).
    assert all(value <= truth.get(key, 0) for key, value in got.items())
    assert sum(got.values()) >= 0.95 * sum(truth.values())


@pytest.mark.parametrize("airport", ["SHM", "FUK"])
def test_profile_and_repeat_equal_truth_exactly(
    session: SecureSession, tiny_dir: Path, airport: str
) -> None:
    """Hours, age × gender on the arrival day, and prior-visit buckets equal the truth."""
    spec = QuerySpec(kind="profile", airport=airport, days=1, max_trips=10, **WINDOW)
    frame = _before_rule(session, spec)
    hours = _truth(tiny_dir, "hour_profile")
    hours = hours[(hours["airport"] == airport) & (hours["day_offset"] == "0")]
    hours = hours.assign(hour=hours["hour"].str.zfill(2))
    got_hours = _nonzero(frame[frame["dimension"] == "hour"], ["category"])
    assert got_hours == _sums(hours, ["hour"])
    people = _truth(tiny_dir, "profile")
    people = people[people["airport"] == airport].assign(
        category=lambda f: f["age_band"] + "|" + f["gender"]
    )
    got_people = _nonzero(frame[frame["dimension"] == "demographic"], ["category"])
    assert got_people == _sums(people, ["category"])

    spec = QuerySpec(kind="repeat", airport=airport, max_trips=10, **WINDOW)
    frame = _before_rule(session, spec)
    repeat = _truth(tiny_dir, "repeat")
    repeat = repeat[repeat["airport"] == airport]
    got = _nonzero(frame, ["prior_bucket"])
    assert got == _sums(repeat, ["prior_bucket"])
    assert got


def test_furusato_donors_and_comparison_equal_truth_exactly(
    session: SecureSession, tiny_dir: Path
) -> None:
    """Monthly visits to the donated town, donors against non-donors, equal the truth."""
    truth = _truth(tiny_dir, "furusato")
    truth = truth[(truth["donation_month"] == "2025-08") & (truth["month_offset"] == "0")]
    checked = 0
    for municipality in sorted(set(truth["municipality_code"]))[:3]:
        spec = QuerySpec(kind="furusato", municipality=municipality, months_after=1, **WINDOW)
        frame = _before_rule(session, spec)
        got = frame[frame["month_offset"] == "0"].set_index("cohort")["value"].astype(int)
        for row in truth[truth["municipality_code"] == municipality].itertuples(index=False):
            assert got[row.cohort] == row.visited
            checked += 1
    assert checked >= 3


def test_furusato_over_two_donation_months_equals_truth_exactly(
    session: SecureSession, tiny_dir: Path
) -> None:
    """Two donation months, one month after: every donor and comparison row equals the truth."""
    truth = _truth(tiny_dir, "furusato")
    municipality = truth.loc[truth["cohort"] == "donor", "municipality_code"].iloc[0]
    spec = QuerySpec(
        kind="furusato", municipality=municipality, months_after=1,
        **{**WINDOW, "start": "2025-07-01", "end": "2025-08-31"},
    )  # fmt: skip
    frame = _before_rule(session, spec)
    keys = ["cohort", "donation_month", "month_offset"]
    got = frame.set_index(keys)["value"].astype(int)
    rows = truth[truth["municipality_code"] == municipality]
    rows = rows[rows["donation_month"].isin(["2025-07", "2025-08"])]
    assert len(rows) >= 2
    for row in rows.itertuples(index=False):
        assert got[(row.cohort, row.donation_month, row.month_offset)] == row.visited
    # The comparison members of July, one month after, are August's: one group, read twice.
    assert got[("comparison", "2025-07", "1")] == got[("comparison", "2025-08", "0")] > 0


@pytest.mark.parametrize("origin", ["HND", "ITM"])
def test_preboarding_classes_equal_truth_exactly(
    session: SecureSession, tiny_dir: Path, origin: str
) -> None:
    """Location class 24 h, 60, 40 and 20 minutes before departure equals the truth."""
    spec = QuerySpec(kind="preboarding", airport=origin, max_trips=10, **WINDOW)
    frame = _before_rule(session, spec)
    keys = ["half", "minutes_before", "location_class"]
    truth = _truth(tiny_dir, "preboarding")
    truth = truth[(truth["origin"] == origin) & (truth["location_class"] != "none")]
    truth = truth[truth["departure_date"] <= WINDOW["end"]]
    got = _nonzero(frame, keys)
    assert got == _sums(truth, keys)
    assert got


def test_hourly_places_equal_the_plain_join(session: SecureSession) -> None:
    """Hour × municipality on the arrival day and the day after: the pipeline is exact, and no
    person-day is in two municipalities in the same hour (one slot per hour, the cap of 24)."""
    spec = QuerySpec(kind="hourly", airport="SHM", days=2, max_trips=10, **WINDOW)
    frame = _before_rule(session, spec)
    got = _nonzero(frame, ["day_offset", "hour_area"])
    assert got and got == _joined(session, spec)
    shape = shape_of(spec)
    block = shape.family.block("hour_area")
    start = shape.family.block_offset("hour_area")
    for scope in shape.scope:
        stored = session.carrier._records(shape, scope)
        for row in range(len(stored)):
            slots = stored.indices[stored.indptr[row] : stored.indptr[row + 1]]
            hours = [
                block.labels[s - start][:2] for s in slots if start <= s < start + len(block.labels)
            ]
            assert len(hours) == len(set(hours)) <= 24
