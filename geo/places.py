"""The named places of the study: airports, study regions, municipalities and points of interest.

Everything here is fixed reference data, declared before any party data is read, so that payload
domains (the mesh cells of a region) never depend on the data. Map of the module:

* :class:`Airport`, :data:`AIRPORTS` — the ten airports of DESIGN §7; :data:`STUDY_AIRPORTS` are
  the destinations studied, :data:`ORIGIN_AIRPORTS` where visitors fly from.
* :class:`Municipality`, :data:`MUNICIPALITIES` — every municipality a region covers plus the home
  municipalities of visitors (Tokyo, Osaka, Kanagawa, Saitama, Hyogo), read from the derived table
  ``geo/data/municipalities.csv``. That table is built once from MLIT N03 boundaries by
  ``geo/tools/build_municipalities.py``; the N03 files themselves are never shipped.
* :class:`Region`, :data:`REGIONS`, :func:`region_of_airport`, :func:`region_domain` — study
  regions, each a box of mesh cells at one level: the fixed payload domain.
* :class:`PointOfInterest`, :data:`POINTS_OF_INTEREST`, :func:`points_of_interest` — sights,
  stations, onsen… with a relative popularity, from ``geo/data/points_of_interest.csv``.
* :data:`PREFECTURES` — the 47 prefecture codes with Japanese and English names.

Coordinates are WGS 84 degrees (N03 uses JGD2011, which differs by far less than a mesh cell).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from foundation.errors import InputError
from geo.mesh import codes_in_bbox, parse_level

__all__ = [
    "AIRPORTS",
    "MUNICIPALITIES",
    "ORIGIN_AIRPORTS",
    "POINTS_OF_INTEREST",
    "PREFECTURES",
    "REGIONS",
    "STUDY_AIRPORTS",
    "Airport",
    "Municipality",
    "PointOfInterest",
    "Region",
    "points_of_interest",
    "region_domain",
    "region_of_airport",
]

_MUNICIPALITY_CODE = re.compile(r"\d{5}")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def _check_point(lat: float, lon: float, what: str) -> None:
    """Refuse coordinates that are not finite or lie outside Japan's rough extent."""
    if not (math.isfinite(lat) and math.isfinite(lon) and 20 <= lat <= 46 and 122 <= lon <= 154):
        raise InputError(f"{what}: coordinates must lie in Japan (lat 20–46, lon 122–154)")


@dataclass(frozen=True)
class Airport:
    """An airport by IATA code, with the municipality (JIS X 0402) its reference point lies in."""

    code: str
    name_ja: str
    name_en: str
    lat: float
    lon: float
    municipality_code: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{3}", self.code):
            raise InputError("airport code must be three capital letters (IATA)", field="code")
        if not _MUNICIPALITY_CODE.fullmatch(self.municipality_code):
            raise InputError(f"airport {self.code}: municipality code must be five digits")
        _check_point(self.lat, self.lon, f"airport {self.code}")


@dataclass(frozen=True)
class Municipality:
    """A municipality (or a ward of a designated city) and a representative point inside it."""

    code: str
    pref_code: str
    name_ja: str
    name_en: str
    lat: float
    lon: float
    region_id: str | None

    def __post_init__(self) -> None:
        if not _MUNICIPALITY_CODE.fullmatch(self.code):
            raise InputError("municipality code must be five digits (JIS X 0402)", field="code")
        if self.pref_code != self.code[:2] or self.pref_code not in PREFECTURES:
            raise InputError(f"municipality {self.code}: prefecture code must be its first digits")
        _check_point(self.lat, self.lon, f"municipality {self.code}")


@dataclass(frozen=True)
class Region:
    """A study region: its airports and a box (south, west, north, east) of cells at one level."""

    id: str
    name_ja: str
    name_en: str
    airports: tuple[str, ...]
    mesh_level: int
    bbox: tuple[float, float, float, float]
    municipality_codes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _IDENTIFIER.fullmatch(self.id):
            raise InputError("region id must be lower-case letters, digits and '_'", field="id")
        parse_level(self.mesh_level)
        south, west, north, east = self.bbox
        if not (south < north and west < east):
            raise InputError(f"region {self.id}: bbox must be (south, west, north, east)")
        _check_point(south, west, f"region {self.id}")
        _check_point(north, east, f"region {self.id}")

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies in the region's box (edges included)."""
        south, west, north, east = self.bbox
        return south <= lat <= north and west <= lon <= east


@dataclass(frozen=True)
class PointOfInterest:
    """A place visitors go to; ``weight`` is its relative popularity within its region."""

    id: str
    name_ja: str
    name_en: str
    lat: float
    lon: float
    region_id: str
    kind: str
    weight: float

    def __post_init__(self) -> None:
        if not _IDENTIFIER.fullmatch(self.id):
            raise InputError("point-of-interest id must be lower-case letters, digits and '_'")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise InputError(f"point of interest {self.id}: weight must be positive")
        _check_point(self.lat, self.lon, f"point of interest {self.id}")


# A table, kept compact.
# fmt: off
PREFECTURES: dict[str, tuple[str, str]] = {
    f"{number:02d}": names
    for number, names in enumerate(
        [
            ("北海道", "Hokkaido"), ("青森県", "Aomori"), ("岩手県", "Iwate"),
            ("宮城県", "Miyagi"), ("秋田県", "Akita"), ("山形県", "Yamagata"),
            ("福島県", "Fukushima"), ("茨城県", "Ibaraki"), ("栃木県", "Tochigi"),
            ("群馬県", "Gunma"), ("埼玉県", "Saitama"), ("千葉県", "Chiba"),
            ("東京都", "Tokyo"), ("神奈川県", "Kanagawa"), ("新潟県", "Niigata"),
            ("富山県", "Toyama"), ("石川県", "Ishikawa"), ("福井県", "Fukui"),
            ("山梨県", "Yamanashi"), ("長野県", "Nagano"), ("岐阜県", "Gifu"),
            ("静岡県", "Shizuoka"), ("愛知県", "Aichi"), ("三重県", "Mie"),
            ("滋賀県", "Shiga"), ("京都府", "Kyoto"), ("大阪府", "Osaka"),
            ("兵庫県", "Hyogo"), ("奈良県", "Nara"), ("和歌山県", "Wakayama"),
            ("鳥取県", "Tottori"), ("島根県", "Shimane"), ("岡山県", "Okayama"),
            ("広島県", "Hiroshima"), ("山口県", "Yamaguchi"), ("徳島県", "Tokushima"),
            ("香川県", "Kagawa"), ("愛媛県", "Ehime"), ("高知県", "Kochi"),
            ("福岡県", "Fukuoka"), ("佐賀県", "Saga"), ("長崎県", "Nagasaki"),
            ("熊本県", "Kumamoto"), ("大分県", "Oita"), ("宮崎県", "Miyazaki"),
            ("鹿児島県", "Kagoshima"), ("沖縄県", "Okinawa"),
        ],
        start=1,
    )
}
# fmt: on

AIRPORTS: dict[str, Airport] = {
    airport.code: airport
    for airport in (
        Airport("CTS", "新千歳空港", "New Chitose", 42.77528, 141.69250, "01224"),
        Airport("OKD", "丘珠空港", "Sapporo Okadama", 43.11750, 141.38139, "01103"),
        Airport("MMB", "女満別空港", "Memanbetsu", 43.88056, 144.16417, "01564"),
        Airport("KUH", "たんちょう釧路空港", "Kushiro", 43.04083, 144.19278, "01206"),
        Airport("SHB", "中標津空港", "Nakashibetsu", 43.57750, 144.96000, "01692"),
        Airport("SHM", "南紀白浜空港", "Nanki-Shirahama", 33.66222, 135.36444, "30401"),
        Airport("TAK", "高松空港", "Takamatsu", 34.21417, 134.01556, "37201"),
        Airport("FUK", "福岡空港", "Fukuoka", 33.58444, 130.45167, "40132"),
        Airport("HND", "東京国際空港（羽田）", "Tokyo Haneda", 35.55333, 139.78111, "13111"),
        Airport("ITM", "大阪国際空港（伊丹）", "Osaka Itami", 34.78444, 135.43917, "28207"),
    )
}
STUDY_AIRPORTS: tuple[str, ...] = ("CTS", "OKD", "MMB", "KUH", "SHB", "SHM", "TAK", "FUK")
ORIGIN_AIRPORTS: tuple[str, ...] = ("HND", "ITM")


def _data_rows(name: str) -> list[dict[str, str]]:
    """The rows of one CSV table shipped in ``geo/data``."""
    text = resources.files("geo").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _load_municipalities() -> dict[str, Municipality]:
    """Municipalities from the derived table; an empty region_id marks an origin municipality."""
    table: dict[str, Municipality] = {}
    for row in _data_rows("municipalities.csv"):
        table[row["code"]] = Municipality(
            code=row["code"],
            pref_code=row["pref_code"],
            name_ja=row["name_ja"],
            name_en=row["name_en"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            region_id=row["region_id"] or None,
        )
    return table


def _load_points_of_interest() -> tuple[PointOfInterest, ...]:
    """Points of interest from their table, in file order (grouped by region)."""
    return tuple(
        PointOfInterest(
            id=row["id"],
            name_ja=row["name_ja"],
            name_en=row["name_en"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            region_id=row["region_id"],
            kind=row["kind"],
            weight=float(row["weight"]),
        )
        for row in _data_rows("points_of_interest.csv")
    )


MUNICIPALITIES: dict[str, Municipality] = _load_municipalities()
POINTS_OF_INTEREST: tuple[PointOfInterest, ...] = _load_points_of_interest()


def _region(
    region_id: str,
    names: tuple[str, str],
    airports: tuple[str, ...],
    level: int,
    bbox: tuple[float, float, float, float],
) -> Region:
    """A region whose municipalities are those the derived table assigns to it."""
    codes = tuple(sorted(m.code for m in MUNICIPALITIES.values() if m.region_id == region_id))
    return Region(region_id, names[0], names[1], airports, level, bbox, codes)


# Boxes sit on mesh-cell edges of their level, so the domain is exactly the cells of the box.
# Kept in step with geo/tools/build_municipalities.py, which reads them from here.
REGIONS: dict[str, Region] = {
    region.id: region
    for region in (
        _region(
            "sapporo",
            ("札幌・新千歳", "Sapporo & New Chitose"),
            ("CTS", "OKD"),
            2,
            (42.5, 140.75, 43.5, 142.25),
        ),
        _region(
            "east_hokkaido",
            ("道東", "East Hokkaido"),
            ("MMB", "KUH", "SHB"),
            2,
            (42.75, 143.375, 44.25, 145.875),
        ),
        _region(
            "nanki_shirahama",
            ("南紀白浜", "Nanki-Shirahama"),
            ("SHM",),
            3,
            (33.6, 135.3, 33.8, 135.5),
        ),
        _region("takamatsu", ("高松", "Takamatsu"), ("TAK",), 3, (34.2, 133.95, 34.4, 134.175)),
        _region("fukuoka", ("福岡", "Fukuoka"), ("FUK",), 3, (33.5, 130.3, 33.675, 130.55)),
    )
}


def region_of_airport(code: str) -> Region:
    """The study region served by a study airport; InputError for any other code."""
    for region in REGIONS.values():
        if code in region.airports:
            return region
    raise InputError(
        f"airport {code!r} serves no study region; use one of {', '.join(STUDY_AIRPORTS)}",
        field="airport",
    )


def _known_region(region_id: str) -> Region:
    """The region named ``region_id``, or an InputError listing the known ones."""
    if region_id not in REGIONS:
        raise InputError(
            f"unknown region {region_id!r}; use one of {', '.join(REGIONS)}", field="region"
        )
    return REGIONS[region_id]


@cache
def region_domain(region_id: str) -> tuple[str, ...]:
    """The region's mesh cells at its level, sorted: the fixed payload domain of its views."""
    region = _known_region(region_id)
    return tuple(codes_in_bbox(*region.bbox, region.mesh_level))


def points_of_interest(region_id: str) -> tuple[PointOfInterest, ...]:
    """The points of interest of one region, in table order."""
    _known_region(region_id)
    return tuple(poi for poi in POINTS_OF_INTEREST if poi.region_id == region_id)
