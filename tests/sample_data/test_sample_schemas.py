"""Every written file has the columns and value types of docs/data-formats.md and docs/views.md."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from geo.places import AIRPORTS, MUNICIPALITIES, REGIONS
from sample_data import SCALES

COLUMNS = {
    "members": ["member_id", "phone", "age_band", "gender", "home_prefecture"],
    "boardings": ["member_id", "flight", "origin", "destination", "departure", "arrival"],
    "donations": ["member_id", "municipality_code", "donation_date", "amount_jpy"],
    "subscribers": [
        "subscriber_id",
        "phone",
        "age_band",
        "gender",
        "home_municipality",
        "opt_out",
    ],
    "truth/visit_mesh": ["airport", "arrival_date", "day_offset", "mesh_code", "count"],
    "truth/visit_area": ["airport", "arrival_date", "day_offset", "municipality_code", "count"],
    "truth/hour_profile": ["airport", "arrival_date", "day_offset", "hour", "count"],
    "truth/profile": ["airport", "arrival_date", "age_band", "gender", "count"],
    "truth/repeat": ["airport", "arrival_date", "prior_bucket", "count"],
    "truth/furusato": [
        "municipality_code",
        "donation_month",
        "cohort",
        "month_offset",
        "visited",
        "cohort_size",
    ],
    "truth/preboarding": [
        "origin",
        "departure_date",
        "half",
        "minutes_before",
        "location_class",
        "count",
    ],
    "truth/population": ["region", "date", "mesh_code", "residency", "count"],
    "truth/links": ["member_id", "subscriber_id"],
}
ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
ISO = "%Y-%m-%dT%H:%M:%S"
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_columns_are_as_documented(tiny: dict[str, Any], name: str) -> None:
    """Each CSV has exactly the documented columns, in order, and at least one row."""
    assert list(tiny[name].columns) == COLUMNS[name]
    assert len(tiny[name]) > 0


def test_observations_parquet_schema(tiny: dict[str, Any]) -> None:
    """observations.parquet: string ID, JST timestamp (ms), float64 lat/lon, no pandas meta."""
    table: pa.Table = tiny["observations"]
    assert table.schema.names == ["subscriber_id", "observed_at", "lat", "lon"]
    assert table.schema.field("observed_at").type == pa.timestamp("ms")
    assert table.schema.field("lat").type == pa.float64() == table.schema.field("lon").type
    assert not (table.schema.metadata or {}).get(b"pandas")


def test_clean_rows_follow_the_rules(tiny: dict[str, Any]) -> None:
    """Apart from the few malformed rows, IDs, codes and times follow the input rules."""
    boardings = tiny["boardings"]
    good = boardings[boardings["origin"].isin(AIRPORTS) & boardings["destination"].isin(AIRPORTS)]
    assert len(good) >= 0.99 * len(boardings)
    assert good["member_id"].str.fullmatch(ID).all()
    assert (good["origin"] != good["destination"]).all()
    departure = pd.to_datetime(good["departure"], format=ISO, errors="coerce")
    arrival = pd.to_datetime(good["arrival"], format=ISO, errors="coerce")
    timed = departure.notna()
    assert timed.mean() > 0.99
    flight_time = arrival[timed] - departure[timed]
    assert ((flight_time > pd.Timedelta(0)) & (flight_time <= pd.Timedelta(hours=6))).all()
    assert good.loc[timed, "departure"].str.fullmatch(DATETIME).all()


def test_attributes_use_the_documented_values(tiny: dict[str, Any]) -> None:
    """Age bands, genders, prefectures, municipalities and opt-out flags are valid values."""
    members, subscribers = tiny["members"], tiny["subscribers"]
    bands = {"20-29", "30-39", "40-49", "50-59", "60-69", "70+", ""}
    assert set(members["age_band"]) <= bands and set(subscribers["age_band"]) <= bands
    assert set(members["gender"]) <= {"F", "M"} and set(subscribers["gender"]) <= {"F", "M"}
    assert members["home_prefecture"].str.fullmatch(r"\d{2}").all()
    homes = set(subscribers["home_municipality"]) - {""}
    assert homes <= set(MUNICIPALITIES)
    assert set(subscribers["opt_out"]) == {"0", "1"}


def test_donations_are_in_study_regions(tiny: dict[str, Any]) -> None:
    """Donations go to study-region municipalities with amounts of 1 000 – 10 000 000 yen."""
    donations = tiny["donations"]
    region_codes = {code for region in REGIONS.values() for code in region.municipality_codes}
    assert set(donations["municipality_code"]) - {""} <= region_codes
    amounts = pd.to_numeric(donations["amount_jpy"], errors="coerce").dropna()
    assert amounts.between(1_000, 10_000_000).all()


def test_manifest_describes_the_run(tiny: dict[str, Any]) -> None:
    """The manifest names scale, seed and window, counts rows per file and holds no timestamp."""
    manifest = tiny["manifest"]
    scale = SCALES["tiny"]
    assert (manifest["scale"], manifest["seed"]) == ("tiny", 7)
    assert (manifest["start_date"], manifest["end_date"]) == (
        scale.start.isoformat(),
        scale.end.isoformat(),
    )
    assert manifest["rows"]["airline/members.csv"] == len(tiny["members"])
    assert manifest["rows"]["carrier/observations.parquet"] == tiny["observations"].num_rows
    assert 0 < manifest["carrier_person_days"] < scale.people * scale.days
    assert "generated_at" not in manifest and "time" not in manifest
