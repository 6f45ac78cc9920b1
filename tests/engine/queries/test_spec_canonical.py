"""Canonical query specs: one question, one hash (defaults and unused fields normalised)."""

from __future__ import annotations

import pytest

from engine.queries import QuerySpec
from foundation.errors import InputError
from geo.places import region_of_airport

WINDOW = {"start": "2025-08-01", "end": "2025-08-07"}


def test_the_default_level_and_unused_fields_do_not_change_the_hash() -> None:
    """--level at the region's own level, a stray --municipality or --region: the same question."""
    plain = QuerySpec(kind="visit-map", airport="SHM", epsilon=1, **WINDOW)
    level = region_of_airport("SHM").mesh_level
    noisy = QuerySpec(
        kind="visit-map", airport="SHM", epsilon=1.0, level=level, municipality="30401",
        region="sapporo", months_after=7, extra={"x": 1}, **WINDOW,
    )  # fmt: skip
    assert noisy.spec_hash == plain.spec_hash
    assert noisy == plain


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("population", {"region": "nanki_shirahama"}),
        ("furusato", {"municipality": "30401"}),
        ("preboarding", {"airport": "HND"}),
        ("hokkaido", {}),
    ],
)
def test_fields_a_kind_does_not_read_are_reset(kind: str, fields: dict) -> None:
    """Days, trips, airport… that a kind ignores are reset to their defaults before hashing."""
    plain = QuerySpec(kind=kind, epsilon=1, **fields, **WINDOW)
    extra = {"days": 9, "max_trips": 4, "airport": "CTS", "region": "sapporo", "months_after": 3}
    extra = {k: v for k, v in extra.items() if k not in fields}
    used = {
        "population": set(),
        "furusato": {"months_after"},
        "preboarding": {"max_trips"},
        "hokkaido": {"days", "max_trips"},
    }[kind]
    ignored = {k: v for k, v in extra.items() if k not in used}
    assert QuerySpec(kind=kind, epsilon=1, **fields, **ignored, **WINDOW) == plain
    if used:
        changed = {k: v for k, v in extra.items() if k in used}
        assert QuerySpec(kind=kind, epsilon=1, **fields, **changed, **WINDOW) != plain


def test_a_level_the_region_does_not_release_is_refused() -> None:
    """--level 9 is an error (naming the level), not silently dropped."""
    with pytest.raises(InputError, match="level 9"):
        QuerySpec(kind="visit-map", airport="SHM", epsilon=1, level=9, **WINDOW)
