"""Names of places and categories in the user's language.

Place names come from the fixed reference data of :mod:`geo.places` (Japanese and English names
of airports, regions and municipalities); the words for released categories (gender, residency,
location class, cohort…) come from :mod:`app.i18n` under ``cat.<label>.<value>``.

* :func:`airport_label`, :func:`region_label`, :func:`municipality_names`;
* :func:`category` — a released label value as words (falls back to the value itself).
"""

from __future__ import annotations

from functools import cache

from app.i18n import has_text, text
from geo.places import AIRPORTS, MUNICIPALITIES, Region

__all__ = ["airport_label", "category", "municipality_names", "region_label"]


def airport_label(code: str, lang: str) -> str:
    """``SHM 南紀白浜空港`` / ``SHM Nanki-Shirahama``."""
    airport = AIRPORTS[code]
    return f"{code} {airport.name_ja if lang == 'ja' else airport.name_en}"


def region_label(region: Region, lang: str) -> str:
    """The region's name in ``lang``."""
    return region.name_ja if lang == "ja" else region.name_en


@cache
def municipality_names(lang: str) -> dict[str, str]:
    """Every known municipality code → its name in ``lang``."""
    return {
        code: place.name_ja if lang == "ja" else place.name_en
        for code, place in MUNICIPALITIES.items()
    }


def category(label: str, value: object, lang: str) -> str:
    """A released category (``gender`` = ``F``…) as words, or the value itself if none exist."""
    key = f"cat.{label}.{value}"
    return text(key, lang) if has_text(key) else str(value)
