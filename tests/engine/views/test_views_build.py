"""Orchestration: opt-outs never reach a table, shared preparation, periods, input checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from engine.inputs import load_carrier
from engine.views import (
    PayloadTable,
    build_all_payloads,
    build_all_payloads_by_people,
    build_payloads,
    prepare_observations,
    view_families,
    view_family,
)
from foundation.errors import InputError
from geo.areas import ApproximateAreas
from geo.places import AIRPORTS, MUNICIPALITIES

Frames = Callable[[list], pd.DataFrame]
PLACES = [
    (MUNICIPALITIES["01101"].lat, MUNICIPALITIES["01101"].lon),
    (MUNICIPALITIES["37201"].lat, MUNICIPALITIES["37201"].lon),
    (MUNICIPALITIES["40133"].lat, MUNICIPALITIES["40133"].lon),
    (AIRPORTS["KUH"].lat, AIRPORTS["KUH"].lon),
    (AIRPORTS["SHM"].lat, AIRPORTS["SHM"].lon),
    (MUNICIPALITIES["13101"].lat, MUNICIPALITIES["13101"].lon),
]


@pytest.fixture
def world(subscribers: Frames, observations: Frames) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three subscribers (one opted out) seen in every region on two days, plus a stranger."""
    subs = subscribers(
        [
            ("keep1", "20-29", "F", "13101", False),
            ("gone", "40-49", "M", "01101", True),
            ("keep2", "60-69", "M", "37201", False),
        ]
    )
    rows = [
        (sid, f"2025-08-0{day} {8 + i}:00", lat, lon)
        for sid in ("keep1", "gone", "keep2", "stranger")
        for day in (1, 2)
        for i, (lat, lon) in enumerate(PLACES)
    ]
    return subs, observations(rows)


def test_opted_out_subscribers_reach_no_table(
    world: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas
) -> None:
    """Neither opted-out subscribers nor IDs without a subscriber row appear in any family."""
    tables = build_all_payloads(view_families(), *world, area_map)
    assert set(tables) == {family.name for family in view_families()}
    for name, table in tables.items():
        assert len(table) > 0, name
        assert set(table.subscriber_ids) == {"keep1", "keep2"}, name
    prepared = prepare_observations(*world, area_map)
    assert prepared.subscriber_ids.tolist() == ["keep1", "keep2"]
    assert set(prepared.person.tolist()) == {0, 1}


def test_build_all_equals_building_each_family(
    world: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas
) -> None:
    """Sharing one preparation gives the same tables as building families one by one."""
    tables = build_all_payloads(view_families(), *world, area_map)
    for family in view_families():
        alone = build_payloads(family, *world, area_map)
        shared = tables[family.name]
        assert alone.subscriber_ids.tolist() == shared.subscriber_ids.tolist()
        assert alone.periods.tolist() == shared.periods.tolist()
        assert np.array_equal(alone.indptr, shared.indptr)
        assert np.array_equal(alone.indices, shared.indices)


def test_rows_sorted_and_independent_of_input_order(
    world: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas
) -> None:
    """Records come sorted by (subscriber, period) whatever the order of observation rows."""
    subs, obs = world
    shuffled = obs.sample(frac=1.0, random_state=3).reset_index(drop=True)
    for family in view_families():
        first = build_payloads(family, subs, obs, area_map)
        second = build_payloads(family, subs.iloc[::-1], shuffled, area_map)
        pairs = list(zip(first.subscriber_ids, first.periods, strict=True))
        assert pairs == sorted(pairs)
        assert pairs == list(zip(second.subscriber_ids, second.periods, strict=True))
        assert np.array_equal(first.indices, second.indices)


def test_build_all_periods_apply_to_days_and_their_months(
    world: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas
) -> None:
    """Day strings pick days for day families and their months for the month family."""
    tables = build_all_payloads(view_families(), *world, area_map, periods=["2025-08-02"])
    assert set(tables["depart"].periods) == {"2025-08-02"}
    assert set(tables["region:sapporo"].periods) == {"2025-08-02"}
    assert set(tables["month"].periods) == {"2025-08"}
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        build_payloads(view_family("depart"), *world, area_map, periods=["2025-8-2"])


def test_aware_times_are_read_as_jst(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """A UTC timestamp is converted to the JST day and slot before anything else."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    obs = observations([("a", "2025-07-31 23:00", *PLACES[0])])
    obs["observed_at"] = obs["observed_at"].dt.tz_localize("UTC")
    table = build_payloads(view_family("depart"), subs, obs, area_map)
    assert table.periods.tolist() == ["2025-08-01"]
    assert table.row_labels(0)[0] == ("class_at", "08:00|elsewhere")


def test_bad_frames_are_refused(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Missing columns, text times and duplicate subscriber IDs raise InputError."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    obs = observations([("a", "2025-08-01 08:00", *PLACES[0])])
    depart = view_family("depart")
    with pytest.raises(InputError, match="missing columns"):
        build_payloads(depart, subs.drop(columns="opt_out"), obs, area_map)
    with pytest.raises(InputError, match="datetimes"):
        build_payloads(depart, subs, obs.assign(observed_at="2025-08-01"), area_map)
    with pytest.raises(InputError, match="between 1971 and 2300"):
        build_payloads(depart, subs, obs.assign(observed_at=pd.Timestamp("1970-03-01")), area_map)
    with pytest.raises(InputError, match="unique"):
        build_payloads(depart, pd.concat([subs, subs]), obs, area_map)


class _EverywhereSapporoChuo:
    """A boundary map (not approximate) that puts every point in Sapporo Chuo-ku."""

    approximate: bool = False
    source: str = "test"
    credit: str | None = None

    def assign(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.object_]:
        codes = np.empty(len(np.atleast_1d(np.asarray(lats))), dtype=object)
        codes[:] = "01101"
        return codes

    def polygons(self) -> None:
        return None


def test_boundary_map_also_decides_home(subscribers: Frames, observations: Frames) -> None:
    """With real boundaries the area map itself is the home test; month slots follow it."""
    subs = subscribers([("a", "30-39", "F", "01101", False), ("b", "30-39", "F", "13101", False)])
    obs = observations([(sid, "2025-08-01 08:00", *PLACES[5]) for sid in "ab"])
    area_map = _EverywhereSapporoChuo()
    prepared = prepare_observations(subs, obs, area_map)
    assert prepared.location_class.tolist() == [0, 2]  # home for a, elsewhere for b
    month = build_payloads(view_family("month"), subs, obs, area_map)
    assert [month.row_labels(r) for r in range(2)] == [[("visited", "01101")]] * 2


def test_no_observations_give_empty_tables(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """Without observations every family yields a valid table with no records."""
    subs = subscribers([("a", "30-39", "F", "13101", False)])
    tables = build_all_payloads(view_families(), subs, observations([]), area_map)
    assert all(len(table) == 0 and table.indptr.tolist() == [0] for table in tables.values())


def _same_tables(one: dict[str, PayloadTable], other: dict[str, PayloadTable]) -> None:
    assert set(one) == set(other)
    for name, table in one.items():
        twin = other[name]
        assert list(table.subscriber_ids) == list(twin.subscriber_ids), name
        assert list(table.periods) == list(twin.periods), name
        assert np.array_equal(table.indptr, twin.indptr), name
        assert np.array_equal(table.indices, twin.indices), name


@pytest.mark.parametrize("group", [1, 7, 20, 10**9])
def test_building_by_groups_of_people_equals_building_at_once(
    world: tuple[pd.DataFrame, pd.DataFrame], area_map: ApproximateAreas, group: int
) -> None:
    """Groups of any size (one observation: a subscriber a group) give the very same tables."""
    steps: list[tuple[int, int]] = []
    grouped = build_all_payloads_by_people(
        view_families(), *world, area_map, group_observations=group,
        progress=lambda done, total: steps.append((done, total)),
    )  # fmt: skip
    _same_tables(grouped, build_all_payloads(view_families(), *world, area_map))
    kept = 2  # keep1 and keep2; the opted-out subscriber and the stranger are in no group
    assert steps[-1][0] == steps[-1][1] == (kept if group < 24 else 1)  # 12 observations each


def test_building_by_groups_on_the_tiny_world(tiny_dir: Path, area_map: ApproximateAreas) -> None:
    """On a whole world, with its history, repeat visits and departures: groups change nothing."""
    inputs = load_carrier(tiny_dir)
    args = (view_families(), inputs.subscribers, inputs.observations, area_map)
    _same_tables(
        build_all_payloads_by_people(*args, group_observations=5_000), build_all_payloads(*args)
    )


def test_building_by_groups_without_subscribers(
    subscribers: Frames, observations: Frames, area_map: ApproximateAreas
) -> None:
    """No subscriber left: still one (empty) table per family."""
    subs = subscribers([("gone", "40-49", "M", "01101", True)])
    seen = observations([("gone", "2025-08-01 08:00", *PLACES[0])])
    tables = build_all_payloads_by_people(view_families(), subs, seen, area_map)
    assert {name: len(table) for name, table in tables.items()} == dict.fromkeys(tables, 0)
