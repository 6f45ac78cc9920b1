"""Per-person bounds on data built to break them: one phone behind several member/subscriber IDs.

The noise is calibrated to a contribution bound per person; a person is one normalised phone. The
data here gives 20 travellers two extra member IDs each (their phone spelled another way, their
trips repeated a day and two days later, their donations a month later) and two extra subscriber
IDs (observations moved by about a kilometre). For every query kind the observed contribution of
each phone to the released vector — computed by an omniscient join of the airline's cohort with
the carrier's stored views — must stay within the L1 and L2 bounds the mechanism uses. The same
check on the IDs taken one by one (no merge) shows the data does break them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.inputs import AirlineInputs, load_airline, load_carrier
from engine.inputs.loading import load_table
from engine.inputs.schemas import MEMBERS, OBSERVATIONS, SUBSCRIBERS
from engine.parties.cohorts import build_cohort
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.queries.shapes import shape_of
from engine.session import SecureSession, SessionSettings
from engine.views import build_payloads, view_family
from engine.views.domains import K_MESH
from geo.areas import DEFAULT_GEO_DIR, load_area_map
from geo.places import REGIONS

WINDOW = {"start": "2025-08-01", "end": "2025-08-14", "epsilon": 1.0, "threshold": 0}
SETTINGS = SessionSettings(policy=SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000))
TRAVELLERS = 20
COPIES = 2


def _national(e164: str) -> str:
    """``+819012345678`` → ``090-1234-5678``: the same phone, spelled as people write it."""
    rest = "0" + e164[3:]
    return f"{rest[:3]}-{rest[3:7]}-{rest[7:]}"


def _shift(text: str, delta: dt.timedelta) -> str:
    return (dt.datetime.fromisoformat(text) + delta).isoformat()


def _break_bounds(source: Path, out: Path) -> None:
    """Copy ``source`` and give the busiest travellers extra IDs on both sides (same phone)."""
    shutil.copytree(source, out)
    members = load_table(out / "airline" / "members.csv", MEMBERS).frame
    boardings = pd.read_csv(out / "airline" / "boardings.csv", dtype=str)
    donations = pd.read_csv(out / "airline" / "donations.csv", dtype=str)
    subscribers = load_table(out / "carrier" / "subscribers.csv", SUBSCRIBERS).frame
    observations = pd.read_parquet(out / "carrier" / "observations.parquet")
    both = set(members["phone_e164"]) & set(subscribers["phone_e164"])
    in_both = members.loc[members["phone_e164"].isin(both), "member_id"]
    flyers = boardings[boardings["member_id"].isin(in_both)]
    busiest = flyers["member_id"].value_counts().index[:TRAVELLERS]
    raw_members = pd.read_csv(out / "airline" / "members.csv", dtype=str)
    raw_subs = pd.read_csv(out / "carrier" / "subscribers.csv", dtype=str)
    phone_of = dict(zip(members["member_id"], members["phone_e164"], strict=True))
    sub_of = dict(zip(subscribers["phone_e164"], subscribers["subscriber_id"], strict=True))
    add: dict[str, list[pd.DataFrame]] = {"m": [], "b": [], "d": [], "s": [], "o": []}
    for member in busiest:
        phone, subscriber = phone_of[member], sub_of[phone_of[member]]
        for copy in range(1, COPIES + 1):
            new_member, new_sub = f"{member}X{copy}", f"{subscriber}X{copy}"
            row = raw_members[raw_members["member_id"] == member].assign(
                member_id=new_member, phone=_national(phone)
            )
            trips = boardings[boardings["member_id"] == member].assign(member_id=new_member)
            for column in ("departure", "arrival"):
                trips[column] = [_shift(t, dt.timedelta(days=copy)) for t in trips[column]]
            gifts = donations[donations["member_id"] == member].assign(member_id=new_member)
            gifts = gifts[pd.to_datetime(gifts["donation_date"], errors="coerce").notna()]
            gifts["donation_date"] = [
                (dt.date.fromisoformat(d) + dt.timedelta(days=31 * copy)).isoformat()
                for d in gifts["donation_date"]
            ]
            sub = raw_subs[raw_subs["subscriber_id"] == subscriber].assign(
                subscriber_id=new_sub, phone=_national(phone)
            )
            seen = observations[observations["subscriber_id"] == subscriber].assign(
                subscriber_id=new_sub
            )
            seen["lat"] = seen["lat"] + 0.01 * copy
            seen["observed_at"] = seen["observed_at"] + pd.Timedelta(minutes=25)
            for key, frame in zip("mbdso", (row, trips, gifts, sub, seen), strict=True):
                add[key].append(frame)
    for key, frame, path in (
        ("m", raw_members, "airline/members.csv"),
        ("b", boardings, "airline/boardings.csv"),
        ("d", donations, "airline/donations.csv"),
        ("s", raw_subs, "carrier/subscribers.csv"),
    ):
        pd.concat([frame, *add[key]]).to_csv(out / path, index=False)
    merged = pd.concat([observations, *add["o"]], ignore_index=True)
    merged.to_parquet(out / "carrier" / "observations.parquet", index=False)


@pytest.fixture(scope="module")
def broken(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world with 20 travellers behind three member and three subscriber IDs each."""
    out = tmp_path_factory.mktemp("broken") / "data"
    _break_bounds(tiny_dir, out)
    return out


@pytest.fixture(scope="module")
def session(broken: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureSession]:
    """Both parties prepared on the broken data."""
    secure = SecureSession(tmp_path_factory.mktemp("ws"), broken, SETTINGS)
    secure.prepare()
    yield secure
    secure.close()


def _unmerged_airline(folder: Path) -> AirlineInputs:
    """The airline's tables read one ID = one person (what a per-ID bound would see)."""
    merged = load_airline(folder)
    members = load_table(folder / "airline" / "members.csv", MEMBERS).frame
    boardings = pd.read_csv(folder / "airline" / "boardings.csv", dtype=str)
    boardings = boardings.assign(
        departure=pd.to_datetime(boardings["departure"], errors="coerce"),
        arrival=pd.to_datetime(boardings["arrival"], errors="coerce"),
    ).dropna()
    boardings = boardings[boardings["member_id"].isin(members["member_id"])]
    return AirlineInputs(members, boardings, merged.donations, merged.reports)


def _per_phone(session: SecureSession, spec: QuerySpec, inputs: AirlineInputs) -> dict:
    """Each phone's contribution to every (group, slot) of the release, by an omniscient join."""
    shape = shape_of(spec)
    cohort = build_cohort(shape, inputs)
    records: dict[bytes, list[int]] = {}
    for block in shape.scope:
        stored = session.carrier._records(shape, block)
        for row in range(len(stored)):
            slots = stored.indices[stored.indptr[row] : stored.indptr[row + 1]].tolist()
            records[stored.point(row)] = slots
    read = set(shape.slots.tolist())
    contributions: dict[str, Counter] = {}
    for group in cohort.groups:
        keys = sorted(group.keys)
        points = hash_many_to_group([JoinKey(cohort.family, p, t) for p, t in keys])
        for (phone, _), point in zip(keys, points, strict=True):
            for slot in records.get(point, []):
                if slot in read:
                    contributions.setdefault(phone, Counter())[(group.label, slot)] += 1
    return contributions


def _worst(contributions: dict) -> tuple[int, int]:
    """The largest L1 and squared L2 norm of any phone's contribution."""
    l1 = max((sum(c.values()) for c in contributions.values()), default=0)
    l2 = max((sum(v * v for v in c.values()) for c in contributions.values()), default=0)
    return l1, l2


SPECS = [
    {"kind": "visit-map", "airport": "SHM", "days": 3, "max_trips": 2},
    {"kind": "visit-map", "airport": "CTS", "days": 2, "max_trips": 1},
    {"kind": "flows", "airport": "FUK", "days": 3, "max_trips": 2},
    {"kind": "profile", "airport": "TAK", "days": 1, "max_trips": 2},
    {"kind": "hourly", "airport": "SHM", "days": 2, "max_trips": 2},
    {"kind": "repeat", "airport": "SHM", "max_trips": 2},
    {"kind": "preboarding", "airport": "HND", "max_trips": 2},
    {"kind": "hokkaido", "days": 2, "max_trips": 2},
]


@pytest.mark.parametrize("params", SPECS, ids=lambda p: f"{p['kind']}-{p.get('airport', '')}")
def test_no_phone_exceeds_the_bounds_of_a_cross_query(
    session: SecureSession, broken: Path, params: dict
) -> None:
    """Every phone's observed contribution stays within the sensitivity the noise assumes."""
    spec = QuerySpec(**params, **WINDOW)
    bounds = shape_of(spec).bounds
    l1, l2 = _worst(_per_phone(session, spec, session.airline.inputs))
    assert l1 <= bounds.l1 and l2 <= bounds.l2_squared
    assert l1 > 0


def test_the_data_breaks_per_id_bounds(session: SecureSession, broken: Path) -> None:
    """Read one ID = one person, the same data exceeds the bounds (so the test above can fail)."""
    broken_kinds = 0
    unmerged = _unmerged_airline(broken)
    for params in SPECS:
        spec = QuerySpec(**params, **WINDOW)
        bounds = shape_of(spec).bounds
        l1, l2 = _worst(_per_phone(session, spec, unmerged))
        broken_kinds += l1 > bounds.l1 or l2 > bounds.l2_squared
    assert broken_kinds >= 4


def test_furusato_keeps_each_phone_in_one_group(session: SecureSession, broken: Path) -> None:
    """Donors with several IDs and donation months still count in one group per phone."""
    donations = session.airline.inputs.donations
    for municipality in donations["municipality_code"].value_counts().index[:3]:
        spec = QuerySpec(kind="furusato", municipality=municipality, months_after=1, **WINDOW)
        bounds = shape_of(spec).bounds
        l1, l2 = _worst(_per_phone(session, spec, session.airline.inputs))
        assert l1 <= bounds.l1 and l2 <= bounds.l2_squared


def _cells_per_phone_day(
    subscribers: pd.DataFrame, observations: pd.DataFrame, phones: dict
) -> int:
    """The most (cell, day) counts any phone adds on one day to population counts, any region."""
    days = [(dt.date(2025, 8, 1) + dt.timedelta(days=i)).isoformat() for i in range(14)]
    area_map = load_area_map(DEFAULT_GEO_DIR)
    worst = 0
    for region in REGIONS:
        family = view_family(f"region:{region}")
        table = build_payloads(family, subscribers, observations, area_map, periods=days)
        first = family.block_offset("mesh")
        mesh = range(first, first + len(family.block("mesh").labels))
        per_phone_day: Counter = Counter()
        for row in range(len(table)):
            cells = [slot for slot in table.row_slots(row) if slot in mesh]
            key = (phones[str(table.subscriber_ids[row])], str(table.periods[row]))
            per_phone_day[key] += len(cells)
        worst = max(worst, *per_phone_day.values())
    return worst


def test_population_counts_a_phone_within_its_bound(broken: Path) -> None:
    """The carrier's own counts: one phone behind three subscriber IDs counts as one person."""
    carrier = load_carrier(broken)
    raw = load_table(broken / "carrier" / "subscribers.csv", SUBSCRIBERS).frame
    phone_of = dict(zip(raw["subscriber_id"], raw["phone_e164"], strict=True))
    # The population mechanism's bound: one record per person-day with at most K_MESH cells.
    assert _cells_per_phone_day(carrier.subscribers, carrier.observations, phone_of) <= K_MESH
    unmerged = load_table(broken / "carrier" / "observations.parquet", OBSERVATIONS).frame
    assert _cells_per_phone_day(raw, unmerged, phone_of) > K_MESH  # per ID, the data breaks it
    merged_away = set(raw["subscriber_id"]) - set(carrier.subscribers["subscriber_id"])
    assert len(merged_away) == TRAVELLERS * COPIES
    warnings = [w.reason for w in carrier.reports[0].warnings]
    assert any(f"{TRAVELLERS * COPIES} ID(s) share a phone" in w for w in warnings)
    assert not any(phone[1:] in " ".join(warnings) for phone in phone_of.values())


@pytest.mark.parametrize(("airport", "trips"), [("SHM", 2), ("CTS", 1)])
def test_no_phone_exceeds_the_parent_bounds_of_a_two_level_map(
    session: SecureSession, broken: Path, airport: str, trips: int
) -> None:
    """The parent cells of an adaptive map sum their children per person: each phone's move of
    the parent vector stays within the parents' L1 and L2 bounds (L2 up to K times the
    children's), and of the child vector within the children's."""
    spec = QuerySpec(
        kind="visit-map", airport=airport, days=3, max_trips=trips, resolution="adaptive", **WINDOW
    )
    hierarchy = shape_of(spec).hierarchy
    assert hierarchy is not None
    offset = shape_of(spec).family.block_offset("mesh")
    up = {child: p for p, members in enumerate(hierarchy.members) for child in members}
    children = _per_phone(session, spec, session.airline.inputs)
    parents = {
        phone: Counter({(group, up[slot - offset]): 0 for group, slot in counts})
        for phone, counts in children.items()
    }
    for phone, counts in children.items():
        for (group, slot), value in counts.items():
            parents[phone][(group, up[slot - offset])] += value
    l1, l2 = _worst(children)
    assert l1 <= hierarchy.child_bounds.l1 and l2 <= hierarchy.child_bounds.l2_squared
    p1, p2 = _worst(parents)
    assert p1 <= hierarchy.parent_bounds.l1 and p2 <= hierarchy.parent_bounds.l2_squared
    assert p2 > l2, "some phone has several cells under one parent: the parents' L2 is larger"
