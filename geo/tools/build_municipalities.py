"""Derive the municipality tables of ``geo/data`` from MLIT N03 boundaries (run by hand).

The product never ships or needs the N03 files (see ``/work/shared/geo/NOTICE.md``); it ships only
two derived tables: ``municipalities.csv`` (JIS code, names, one representative point per
municipality, the study region it belongs to) and ``municipality_anchors.csv`` (a 1–2 km grid of
points labelled with the municipality they fall in, which ``geo.areas.ApproximateAreas`` uses
without boundaries). Run it from the repository root when the regions or the origin list change::

    .venv/bin/python geo/tools/build_municipalities.py ../shared/geo geo/data

Map of the script:

- ``REGION_SOURCES``: for each study region, its prefecture file; the region boxes are those of
  ``geo.places.REGIONS`` (the test suite checks the CSV against them).
- ``ORIGIN_CODES``: home municipalities of visitors (Tokyo, Osaka, Kanagawa, Saitama, Hyogo).
- ``ENGLISH_NAMES``: the romanised name of every municipality written, by JIS code.
- ``anchor_rows``: grid points of each region box inside one of its municipalities.
- ``region_rows`` / ``origin_rows``: one row per municipality. A region municipality's point is
  the representative point of its part inside the region box, so it always lies in the region;
  slivers under ``MIN_OVERLAP_KM2`` and the Northern Territories (no carrier service) are left out.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import Point, box

from geo.places import REGIONS

MIN_OVERLAP_KM2 = 1.0
EQUAL_AREA_CRS = "EPSG:6933"
NORTHERN_TERRITORIES = frozenset({"01695", "01696", "01697", "01698", "01699", "01700"})

# region id -> N03 file stem; the boxes come from geo.places.REGIONS.
REGION_SOURCES: dict[str, str] = {
    "sapporo": "N03-21_01_210101",
    "east_hokkaido": "N03-21_01_210101",
    "nanki_shirahama": "N03-21_30_210101",
    "takamatsu": "N03-21_37_210101",
    "fukuoka": "N03-21_40_210101",
}

# prefecture code -> N03 file stem (the national file where no prefecture file exists)
ORIGIN_SOURCES: dict[str, str] = {
    "13": "N03-21_13_210101",
    "27": "N03-21_27_210101",
    "11": "N03-21_210101",
    "14": "N03-21_210101",
    "28": "N03-21_210101",
}

# A table, kept compact.
# fmt: off
ENGLISH_NAMES: dict[str, str] = {
    # Hokkaido: Sapporo region
    "01101": "Sapporo Chuo-ku", "01102": "Sapporo Kita-ku", "01103": "Sapporo Higashi-ku",
    "01104": "Sapporo Shiroishi-ku", "01105": "Sapporo Toyohira-ku", "01106": "Sapporo Minami-ku",
    "01107": "Sapporo Nishi-ku", "01108": "Sapporo Atsubetsu-ku", "01109": "Sapporo Teine-ku",
    "01110": "Sapporo Kiyota-ku", "01203": "Otaru", "01209": "Yubari", "01210": "Iwamizawa",
    "01213": "Tomakomai", "01215": "Bibai", "01216": "Ashibetsu", "01217": "Ebetsu",
    "01218": "Akabira", "01222": "Mikasa", "01224": "Chitose", "01226": "Sunagawa",
    "01227": "Utashinai", "01230": "Noboribetsu", "01231": "Eniwa", "01233": "Date",
    "01234": "Kitahiroshima", "01235": "Ishikari", "01303": "Tobetsu", "01304": "Shinshinotsu",
    "01395": "Niseko", "01396": "Makkari", "01397": "Rusutsu", "01398": "Kimobetsu",
    "01399": "Kyogoku", "01400": "Kutchan", "01401": "Kyowa", "01407": "Niki", "01408": "Yoichi",
    "01409": "Akaigawa", "01423": "Nanporo", "01424": "Naie", "01425": "Kamisunagawa",
    "01427": "Yuni", "01428": "Naganuma", "01429": "Kuriyama", "01430": "Tsukigata",
    "01431": "Urausu", "01432": "Shintotsukawa", "01462": "Minamifurano", "01571": "Toyoura",
    "01575": "Sobetsu", "01578": "Shiraoi", "01581": "Atsuma", "01584": "Toyako", "01585": "Abira",
    "01586": "Mukawa", "01601": "Hidaka", "01602": "Biratori",
    # Hokkaido: East Hokkaido region
    "01206": "Kushiro", "01208": "Kitami", "01211": "Abashiri", "01219": "Monbetsu",
    "01223": "Nemuro", "01543": "Bihoro", "01544": "Tsubetsu", "01545": "Shari",
    "01546": "Kiyosato", "01547": "Koshimizu", "01549": "Kunneppu", "01550": "Oketo",
    "01552": "Saroma", "01555": "Engaru", "01559": "Yubetsu", "01564": "Ozora", "01631": "Otofuke",
    "01632": "Shihoro", "01633": "Kamishihoro", "01643": "Makubetsu", "01644": "Ikeda",
    "01645": "Toyokoro", "01646": "Honbetsu", "01647": "Ashoro", "01648": "Rikubetsu",
    "01649": "Urahoro", "01661": "Kushiro-cho", "01662": "Akkeshi", "01663": "Hamanaka",
    "01664": "Shibecha", "01665": "Teshikaga", "01667": "Tsurui", "01668": "Shiranuka",
    "01691": "Betsukai", "01692": "Nakashibetsu", "01693": "Shibetsu", "01694": "Rausu",
    # Wakayama: Nanki-Shirahama region
    "30206": "Tanabe", "30391": "Minabe", "30401": "Shirahama", "30404": "Kamitonda",
    "30406": "Susami",
    # Kagawa: Takamatsu region
    "37201": "Takamatsu", "37203": "Sakaide", "37206": "Sanuki", "37341": "Miki",
    "37387": "Ayagawa",
    # Fukuoka: Fukuoka region
    "40131": "Fukuoka Higashi-ku", "40132": "Fukuoka Hakata-ku", "40133": "Fukuoka Chuo-ku",
    "40134": "Fukuoka Minami-ku", "40135": "Fukuoka Nishi-ku", "40136": "Fukuoka Jonan-ku",
    "40137": "Fukuoka Sawara-ku", "40217": "Chikushino", "40218": "Kasuga", "40219": "Onojo",
    "40221": "Dazaifu", "40226": "Miyawaka", "40231": "Nakagawa", "40341": "Umi",
    "40342": "Sasaguri", "40343": "Shime", "40344": "Sue", "40345": "Shingu", "40348": "Hisayama",
    "40349": "Kasuya",
    # Tokyo: the 23 special wards and Tama cities
    "13101": "Chiyoda-ku", "13102": "Chuo-ku", "13103": "Minato-ku", "13104": "Shinjuku-ku",
    "13105": "Bunkyo-ku", "13106": "Taito-ku", "13107": "Sumida-ku", "13108": "Koto-ku",
    "13109": "Shinagawa-ku", "13110": "Meguro-ku", "13111": "Ota-ku", "13112": "Setagaya-ku",
    "13113": "Shibuya-ku", "13114": "Nakano-ku", "13115": "Suginami-ku", "13116": "Toshima-ku",
    "13117": "Kita-ku", "13118": "Arakawa-ku", "13119": "Itabashi-ku", "13120": "Nerima-ku",
    "13121": "Adachi-ku", "13122": "Katsushika-ku", "13123": "Edogawa-ku", "13201": "Hachioji",
    "13202": "Tachikawa", "13203": "Musashino", "13204": "Mitaka", "13206": "Fuchu",
    "13208": "Chofu", "13209": "Machida",
    # Osaka: the 24 wards of Osaka city and neighbouring cities
    "27102": "Osaka Miyakojima-ku", "27103": "Osaka Fukushima-ku", "27104": "Osaka Konohana-ku",
    "27106": "Osaka Nishi-ku", "27107": "Osaka Minato-ku", "27108": "Osaka Taisho-ku",
    "27109": "Osaka Tennoji-ku", "27111": "Osaka Naniwa-ku", "27113": "Osaka Nishiyodogawa-ku",
    "27114": "Osaka Higashiyodogawa-ku", "27115": "Osaka Higashinari-ku", "27116": "Osaka Ikuno-ku",
    "27117": "Osaka Asahi-ku", "27118": "Osaka Joto-ku", "27119": "Osaka Abeno-ku",
    "27120": "Osaka Sumiyoshi-ku", "27121": "Osaka Higashisumiyoshi-ku",
    "27122": "Osaka Nishinari-ku", "27123": "Osaka Yodogawa-ku", "27124": "Osaka Tsurumi-ku",
    "27125": "Osaka Suminoe-ku", "27126": "Osaka Hirano-ku", "27127": "Osaka Kita-ku",
    "27128": "Osaka Chuo-ku", "27203": "Toyonaka", "27205": "Suita", "27207": "Takatsuki",
    "27227": "Higashiosaka",
    # Kanagawa
    "14101": "Yokohama Tsurumi-ku", "14102": "Yokohama Kanagawa-ku", "14103": "Yokohama Nishi-ku",
    "14104": "Yokohama Naka-ku", "14109": "Yokohama Kohoku-ku", "14117": "Yokohama Aoba-ku",
    "14131": "Kawasaki Kawasaki-ku", "14133": "Kawasaki Nakahara-ku", "14204": "Kamakura",
    "14205": "Fujisawa",
    # Saitama
    "11103": "Saitama Omiya-ku", "11107": "Saitama Urawa-ku", "11201": "Kawagoe",
    "11203": "Kawaguchi", "11208": "Tokorozawa",
    # Hyogo
    "28101": "Kobe Higashinada-ku", "28110": "Kobe Chuo-ku", "28202": "Amagasaki",
    "28204": "Nishinomiya", "28206": "Ashiya", "28207": "Itami",
}
# fmt: on

ORIGIN_CODES: tuple[str, ...] = tuple(code for code in ENGLISH_NAMES if code[:2] in ORIGIN_SOURCES)

COLUMNS = ("code", "pref_code", "name_ja", "name_en", "lat", "lon", "region_id")
ANCHOR_COLUMNS = ("code", "lat", "lon")
# Anchor grid spacing (degrees lat, lon) by region mesh level: about 2 km, and 1 km in focus areas.
ANCHOR_STEP: dict[int, tuple[float, float]] = {2: (1 / 60, 1 / 40), 3: (1 / 120, 1 / 80)}


def load_municipalities(geo_dir: Path, stem: str) -> gpd.GeoDataFrame:
    """One row per municipality code of an N03 file, parts dissolved together."""
    frame = gpd.read_file(geo_dir / f"{stem}.json")
    frame = frame.dropna(subset=["N03_007"])
    return frame.dissolve(by="N03_007", as_index=False, aggfunc="first")


def japanese_name(row: Any) -> str:
    """City plus ward for designated-city wards (札幌市中央区), else the municipality name."""
    county_or_city = row.N03_003
    name = str(row.N03_004)
    if isinstance(county_or_city, str) and county_or_city.endswith("市"):
        return county_or_city + name
    return name


def make_row(row: Any, point: Point, region_id: str) -> dict[str, str]:
    """The CSV row of one municipality at a representative point."""
    code = str(row.N03_007)
    return {
        "code": code,
        "pref_code": code[:2],
        "name_ja": japanese_name(row),
        "name_en": ENGLISH_NAMES[code],
        "lat": f"{point.y:.5f}",
        "lon": f"{point.x:.5f}",
        "region_id": region_id,
    }


def region_rows(geo_dir: Path) -> list[dict[str, str]]:
    """Municipalities overlapping each region box, with a point inside the overlap."""
    rows: list[dict[str, str]] = []
    for region_id, stem in REGION_SOURCES.items():
        south, west, north, east = REGIONS[region_id].bbox
        frame = load_municipalities(geo_dir, stem)
        clipped = frame.geometry.intersection(box(west, south, east, north))
        overlap_km2 = gpd.GeoSeries(clipped, crs=frame.crs).to_crs(EQUAL_AREA_CRS).area / 1e6
        for row, part, km2 in zip(frame.itertuples(), clipped, overlap_km2, strict=True):
            if km2 >= MIN_OVERLAP_KM2 and row.N03_007 not in NORTHERN_TERRITORIES:
                rows.append(make_row(row, part.representative_point(), region_id))
    return rows


def origin_rows(geo_dir: Path) -> list[dict[str, str]]:
    """Visitors' home municipalities, each at the representative point of its whole area."""
    rows: list[dict[str, str]] = []
    for stem in sorted(set(ORIGIN_SOURCES.values())):
        prefectures = {pref for pref, source in ORIGIN_SOURCES.items() if source == stem}
        codes = [code for code in ORIGIN_CODES if code[:2] in prefectures]
        frame = load_municipalities(geo_dir, stem)
        wanted = frame[frame["N03_007"].isin(codes)]
        for row in wanted.itertuples():
            rows.append(make_row(row, row.geometry.representative_point(), ""))
    return rows


def grid_points(region_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Centres of a regular grid over the region box (latitudes, longitudes)."""
    south, west, north, east = REGIONS[region_id].bbox
    lat_step, lon_step = ANCHOR_STEP[REGIONS[region_id].mesh_level]
    lats = np.arange(south + lat_step / 2, north, lat_step)
    lons = np.arange(west + lon_step / 2, east, lon_step)
    grid_lat, grid_lon = np.meshgrid(lats, lons, indexing="ij")
    return grid_lat.ravel(), grid_lon.ravel()


def anchor_rows(geo_dir: Path, municipalities: list[dict[str, str]]) -> list[dict[str, str]]:
    """Grid points inside a region municipality, labelled with its code, plus each rep. point."""
    rows = [
        {"code": m["code"], "lat": m["lat"], "lon": m["lon"]}
        for m in municipalities
        if m["region_id"]
    ]
    for region_id, stem in REGION_SOURCES.items():
        members = {m["code"] for m in municipalities if m["region_id"] == region_id}
        frame = load_municipalities(geo_dir, stem)
        frame = frame[frame["N03_007"].isin(members)]
        lats, lons = grid_points(region_id)
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs=frame.crs)
        hits = gpd.sjoin(points, frame[["N03_007", "geometry"]], predicate="within")
        hits = hits[~hits.index.duplicated()]
        rows.extend(
            {"code": code, "lat": f"{pt.y:.4f}", "lon": f"{pt.x:.4f}"}
            for code, pt in zip(hits["N03_007"], hits.geometry, strict=True)
        )
    return sorted(rows, key=lambda r: (r["code"], r["lat"], r["lon"]))


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with a header."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {path}")


def main(geo_dir: Path, out_dir: Path) -> None:
    """Write the municipality table (sorted by code) and the anchor-point table."""
    rows = sorted(region_rows(geo_dir) + origin_rows(geo_dir), key=lambda r: r["code"])
    missing = set(ORIGIN_CODES) - {r["code"] for r in rows}
    if missing:
        raise SystemExit(f"origin codes not found in N03: {sorted(missing)}")
    write_csv(out_dir / "municipalities.csv", COLUMNS, rows)
    write_csv(out_dir / "municipality_anchors.csv", ANCHOR_COLUMNS, anchor_rows(geo_dir, rows))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
