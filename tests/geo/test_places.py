"""Tests for geo.places: airports, regions, municipalities and points of interest agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from foundation.errors import InputError
from geo.areas import N03Areas
from geo.mesh import CODE_DIGITS, code_center
from geo.places import (
    AIRPORTS,
    MUNICIPALITIES,
    ORIGIN_AIRPORTS,
    POINTS_OF_INTEREST,
    PREFECTURES,
    REGIONS,
    STUDY_AIRPORTS,
    Municipality,
    PointOfInterest,
    Region,
    points_of_interest,
    region_domain,
    region_of_airport,
)

SHARED_GEO = Path(__file__).resolve().parents[2] / ".." / "shared" / "geo"
MAX_DOMAIN_CELLS = 500


def test_every_region_airport_is_known_and_inside_its_box() -> None:
    """Each region's airports exist in AIRPORTS and lie within the region bbox."""
    for region in REGIONS.values():
        for code in region.airports:
            airport = AIRPORTS[code]
            assert region.contains(airport.lat, airport.lon), (region.id, code)


def test_study_airports_map_to_regions_and_origins_do_not() -> None:
    """Every study airport has its region; origin airports raise InputError."""
    assert set(STUDY_AIRPORTS) | set(ORIGIN_AIRPORTS) == set(AIRPORTS)
    assert {code for r in REGIONS.values() for code in r.airports} == set(STUDY_AIRPORTS)
    assert region_of_airport("SHM").id == "nanki_shirahama"
    assert region_of_airport("KUH").id == "east_hokkaido"
    for code in (*ORIGIN_AIRPORTS, "XXX"):
        with pytest.raises(InputError, match="serves no study region"):
            region_of_airport(code)


def test_airport_municipalities_are_known() -> None:
    """A study airport lies in one of its region's municipalities; origins are in the table."""
    for airport in AIRPORTS.values():
        assert airport.municipality_code in MUNICIPALITIES, airport.code
        if airport.code in STUDY_AIRPORTS:
            region = region_of_airport(airport.code)
            assert airport.municipality_code in region.municipality_codes
    assert AIRPORTS["SHM"].municipality_code == "30401"
    assert AIRPORTS["HND"].municipality_code == "13111"


def test_region_municipalities_exist_and_name_their_region() -> None:
    """Region municipality codes are in MUNICIPALITIES and carry that region id."""
    for region in REGIONS.values():
        assert region.municipality_codes, region.id
        assert list(region.municipality_codes) == sorted(set(region.municipality_codes))
        for code in region.municipality_codes:
            assert MUNICIPALITIES[code].region_id == region.id


def test_representative_points_lie_in_region_or_belong_to_origins() -> None:
    """A region municipality's point is inside the region bbox; others are origin municipalities."""
    for muni in MUNICIPALITIES.values():
        if muni.region_id is None:
            assert muni.pref_code in {"11", "13", "14", "27", "28"}, muni.code
        else:
            assert REGIONS[muni.region_id].contains(muni.lat, muni.lon), muni.code


def test_origin_municipalities_cover_tokyo_wards_and_osaka_city() -> None:
    """All 23 Tokyo special wards and the 24 wards of Osaka city are home municipalities."""
    tokyo_wards = {f"131{n:02d}" for n in range(1, 24)}
    assert tokyo_wards <= set(MUNICIPALITIES)
    osaka_wards = [m for m in MUNICIPALITIES.values() if m.name_ja.startswith("大阪市")]
    assert len(osaka_wards) == 24
    assert MUNICIPALITIES["01101"].name_ja == "札幌市中央区"
    assert MUNICIPALITIES["30401"].name_en == "Shirahama"


def test_domains_are_small_sorted_and_at_the_region_level() -> None:
    """Each domain is sorted, unique, at most ~500 cells, and covers the region box."""
    for region in REGIONS.values():
        domain = region_domain(region.id)
        assert 0 < len(domain) <= MAX_DOMAIN_CELLS, region.id
        assert list(domain) == sorted(set(domain))
        assert {len(code) for code in domain} == {CODE_DIGITS[region.mesh_level]}
        assert all(region.contains(*code_center(code)) for code in domain)


def test_domain_of_unknown_region_is_refused() -> None:
    """An unknown region id raises InputError naming the known ones."""
    with pytest.raises(InputError, match="sapporo"):
        region_domain("okinawa")
    with pytest.raises(InputError):
        points_of_interest("okinawa")


def test_points_of_interest_lie_in_their_region() -> None:
    """Each region has 5–15 points of interest, all inside its bbox, with unique ids."""
    ids = [poi.id for poi in POINTS_OF_INTEREST]
    assert len(ids) == len(set(ids))
    for region in REGIONS.values():
        pois = points_of_interest(region.id)
        assert 5 <= len(pois) <= 15, region.id
        for poi in pois:
            assert region.contains(poi.lat, poi.lon), poi.id
            assert poi.weight > 0


def test_prefectures_are_all_47() -> None:
    """PREFECTURES holds codes 01..47 with Japanese and English names."""
    assert list(PREFECTURES) == [f"{n:02d}" for n in range(1, 48)]
    assert PREFECTURES["01"] == ("北海道", "Hokkaido")
    assert PREFECTURES["30"] == ("和歌山県", "Wakayama")


def test_values_are_validated_when_built() -> None:
    """Bad codes, coordinates, boxes and weights raise InputError at construction."""
    good = MUNICIPALITIES["30401"]
    with pytest.raises(InputError):
        dataclasses.replace(good, code="3040")
    with pytest.raises(InputError):
        dataclasses.replace(good, pref_code="13")
    with pytest.raises(InputError):
        dataclasses.replace(good, lat=float("nan"))
    region = REGIONS["fukuoka"]
    with pytest.raises(InputError):
        dataclasses.replace(region, bbox=(33.7, 130.3, 33.5, 130.55))
    with pytest.raises(InputError):
        dataclasses.replace(region, mesh_level=7)
    poi = points_of_interest("fukuoka")[0]
    with pytest.raises(InputError):
        dataclasses.replace(poi, weight=0.0)
    assert isinstance(good, Municipality)
    assert isinstance(region, Region)
    assert isinstance(poi, PointOfInterest)


def test_representative_points_lie_inside_their_n03_polygon() -> None:
    """Against the N03 files, each municipality's point lies in that municipality."""
    if not SHARED_GEO.is_dir():
        pytest.skip("shared N03 files are not available")
    files = {
        "01": "N03-21_01",
        "13": "N03-21_13",
        "27": "N03-21_27",
        "30": "N03-21_30",
        "37": "N03-21_37",
        "40": "N03-21_40",
    }
    by_file: dict[str, list[Municipality]] = {}
    for muni in MUNICIPALITIES.values():
        by_file.setdefault(files.get(muni.pref_code, "N03-21"), []).append(muni)
    for stem, munis in by_file.items():
        area_map = N03Areas.from_file(SHARED_GEO / f"{stem}_210101.json")
        found = area_map.assign([m.lat for m in munis], [m.lon for m in munis])
        assert list(found) == [m.code for m in munis], stem
