"""The truth tables are consistent with the files and with an independent recomputation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.mesh import points_to_codes
from geo.places import REGIONS, STUDY_AIRPORTS, region_domain, region_of_airport

ISO = "%Y-%m-%dT%H:%M:%S"
COUNT_TABLES = ("visit_mesh", "visit_area", "hour_profile", "profile", "repeat", "population")


def _linked_arrivals(tiny: dict[str, Any]) -> pd.DataFrame:
    """Distinct (subscriber, airport, arrival date) of linked members, from the written files."""
    boardings = tiny["boardings"].drop_duplicates()
    arrival = pd.to_datetime(boardings["arrival"], format=ISO, errors="coerce")
    departure = pd.to_datetime(boardings["departure"], format=ISO, errors="coerce")
    ok = arrival.notna() & departure.notna() & (boardings["flight"] != "")
    ok &= boardings["destination"].isin(STUDY_AIRPORTS)
    frame = pd.DataFrame(
        {
            "member_id": boardings.loc[ok, "member_id"],
            "airport": boardings.loc[ok, "destination"],
            "arrival_date": arrival[ok].dt.date,
        }
    ).merge(tiny["truth/links"], on="member_id")
    return frame[["subscriber_id", "airport", "arrival_date"]].drop_duplicates()


def _clean_observations(tiny: dict[str, Any]) -> pd.DataFrame:
    """Observations of subscribers who did not opt out, mess removed, with their JST day."""
    frame = tiny["observations"].to_pandas().dropna().drop_duplicates()
    frame = frame[frame["lat"].between(20, 46) & frame["lon"].between(122, 154)]
    subscribers = tiny["subscribers"].drop_duplicates()
    kept = subscribers.loc[subscribers["opt_out"] == "0", "subscriber_id"]
    frame = frame[frame["subscriber_id"].isin(kept)]
    return frame.assign(day=frame["observed_at"].dt.date).reset_index(drop=True)


def _mesh_presence(obs: pd.DataFrame, region_id: str) -> pd.DataFrame:
    """(subscriber, day, cell): the six domain cells with most observations, ties to smaller."""
    region = REGIONS[region_id]
    cells = points_to_codes(obs["lat"].to_numpy(), obs["lon"].to_numpy(), region.mesh_level)
    domain = np.array([int(code) for code in region_domain(region_id)])
    inside = obs[np.isin(cells, domain)].assign(cell=cells[np.isin(cells, domain)])
    counts = inside.groupby(["subscriber_id", "day", "cell"]).size().reset_index(name="n")
    counts = counts.sort_values(["subscriber_id", "day", "n", "cell"], ascending=[1, 1, 0, 1])
    return counts.groupby(["subscriber_id", "day"]).head(6)[["subscriber_id", "day", "cell"]]


def test_visit_mesh_matches_an_independent_recomputation(tiny: dict[str, Any]) -> None:
    """visit_mesh.csv equals a recomputation from the written (messy) files and the links."""
    arrivals = _linked_arrivals(tiny)
    obs = _clean_observations(tiny)
    rows = []
    for region_id in REGIONS:
        presence = _mesh_presence(obs, region_id)
        here = arrivals[arrivals["airport"].map(lambda a: region_of_airport(a).id) == region_id]
        for offset in (0, 1, 2):
            looked = here.assign(
                day=here["arrival_date"] + pd.Timedelta(days=offset), day_offset=offset
            )
            rows.append(looked.merge(presence, on=["subscriber_id", "day"]))
    joined = pd.concat(rows)
    expected = joined.groupby(["airport", "arrival_date", "day_offset", "cell"]).size()
    truth = tiny["truth/visit_mesh"].astype({"day_offset": int, "count": int})
    truth["arrival_date"] = pd.to_datetime(truth["arrival_date"]).dt.date
    truth["cell"] = truth["mesh_code"].astype(np.int64)
    actual = truth.set_index(["airport", "arrival_date", "day_offset", "cell"])["count"]
    assert actual.sort_index().to_dict() == expected.sort_index().to_dict()


def test_population_matches_an_independent_recomputation(tiny: dict[str, Any]) -> None:
    """population.csv equals per-cell counts of every kept subscriber, by residency."""
    obs = _clean_observations(tiny)
    homes = tiny["subscribers"].drop_duplicates().set_index("subscriber_id")["home_municipality"]
    parts = []
    for region_id, region in REGIONS.items():
        presence = _mesh_presence(obs, region_id)
        resident = presence["subscriber_id"].map(homes).isin(region.municipality_codes)
        parts.append(
            presence.assign(region=region_id, residency=np.where(resident, "resident", "visitor"))
        )
    expected = pd.concat(parts).groupby(["region", "day", "cell", "residency"]).size()
    truth = tiny["truth/population"].astype({"count": int})
    truth["day"] = pd.to_datetime(truth["date"]).dt.date
    truth["cell"] = truth["mesh_code"].astype(np.int64)
    actual = truth.set_index(["region", "day", "cell", "residency"])["count"]
    assert actual.sort_index().to_dict() == expected.sort_index().to_dict()


def test_counts_never_exceed_the_arrivals(tiny: dict[str, Any]) -> None:
    """No cell, area, hour, profile or bucket counts more people than arrived that day."""
    arrivals = _linked_arrivals(tiny)
    arrivals["arrival_date"] = arrivals["arrival_date"].astype(str)
    landed = arrivals.groupby(["airport", "arrival_date"]).size().rename("landed")
    for name in ("visit_mesh", "visit_area", "hour_profile", "profile", "repeat"):
        table = (
            tiny[f"truth/{name}"]
            .astype({"count": int})
            .join(landed, on=["airport", "arrival_date"])
        )
        assert (table["count"] <= table["landed"]).all(), name
    profile = tiny["truth/profile"].astype({"count": int})
    repeat = tiny["truth/repeat"].astype({"count": int})
    per_day = profile.groupby(["airport", "arrival_date"])["count"].sum()
    assert per_day.to_dict() == repeat.groupby(["airport", "arrival_date"])["count"].sum().to_dict()


def test_count_tables_hold_only_positive_sorted_rows(tiny: dict[str, Any]) -> None:
    """Count tables have no zero rows, no duplicate keys and are sorted by their (typed) keys."""
    for name in COUNT_TABLES:
        table = tiny[f"truth/{name}"]
        numeric = [column for column in ("day_offset", "hour") if column in table.columns]
        table = table.astype(dict.fromkeys(numeric, int))
        keys = [column for column in table.columns if column != "count"]
        assert (table["count"].astype(int) > 0).all(), name
        assert not table.duplicated(keys).any(), name
        assert table.equals(table.sort_values(keys).reset_index(drop=True)), name


def test_views_respect_their_domains(tiny: dict[str, Any]) -> None:
    """Offsets are 0–2, hours 0–23, buckets as documented, cells inside the region's domain."""
    assert set(tiny["truth/visit_mesh"]["day_offset"]) <= {"0", "1", "2"}
    assert set(tiny["truth/hour_profile"]["hour"].astype(int)) <= set(range(24))
    assert set(tiny["truth/repeat"]["prior_bucket"]) <= {"0", "1", "2", "3-5", "6-10", "11+"}
    assert {"0", "1"} <= set(tiny["truth/repeat"]["prior_bucket"])
    mesh = tiny["truth/visit_mesh"]
    for airport, cells in mesh.groupby("airport")["mesh_code"]:
        assert set(cells) <= set(region_domain(region_of_airport(airport).id)), airport
    area = tiny["truth/visit_area"]
    for airport, codes in area.groupby("airport")["municipality_code"]:
        assert set(codes) <= set(region_of_airport(airport).municipality_codes), airport


def test_furusato_cohorts_are_consistent(tiny: dict[str, Any]) -> None:
    """Visited never exceeds the cohort; donor cohorts are the linked donors of each month."""
    furusato = tiny["truth/furusato"].astype({"visited": int, "cohort_size": int})
    assert (furusato["visited"] <= furusato["cohort_size"]).all()
    donations = tiny["donations"].drop_duplicates().merge(tiny["truth/links"], on="member_id")
    dates = pd.to_datetime(donations["donation_date"], format="%Y-%m-%d", errors="coerce")
    valid = dates.notna() & (donations["municipality_code"] != "")
    donations = donations.assign(month=dates.dt.strftime("%Y-%m"))[valid]
    donors = donations.groupby(["municipality_code", "month"])["member_id"].nunique()
    first = furusato[(furusato["cohort"] == "donor") & (furusato["month_offset"] == "0")]
    sizes = first.set_index(["municipality_code", "donation_month"])["cohort_size"]
    assert sizes.to_dict() == donors.to_dict()
    linked = len(tiny["truth/links"])
    comparison = furusato[furusato["cohort"] == "comparison"]
    assert (comparison["cohort_size"] < linked).all()


def test_preboarding_counts_each_traveller_once_per_moment(tiny: dict[str, Any]) -> None:
    """Per departure group the classes add up to the same travellers at every moment."""
    pre = tiny["truth/preboarding"].astype({"count": int})
    totals = pre.groupby(["origin", "departure_date", "half", "minutes_before"])["count"].sum()
    per_group = totals.groupby(["origin", "departure_date", "half"]).nunique()
    assert (per_group == 1).all()
    assert set(pre["minutes_before"]) == {"1440", "60", "40", "20"}
