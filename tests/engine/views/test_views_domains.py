"""The fixed domains: families, blocks, caps and slot arithmetic, independent of any data."""

from __future__ import annotations

import pytest

import engine.views as views
from engine.views import (
    K_AREA,
    K_MESH,
    SLOT_TIMES,
    SlotBlock,
    ViewFamily,
    demographic_labels,
    view_families,
    view_family,
)
from foundation.errors import InputError
from geo.places import REGIONS, region_domain


def test_families_are_the_seven_declared_ones() -> None:
    """One family per region, then depart and month, with their periods."""
    names = [family.name for family in view_families()]
    assert names == [*(f"region:{rid}" for rid in REGIONS), "depart", "month"]
    periods = {family.name: family.period for family in view_families()}
    assert periods["month"] == "month" and periods["depart"] == "day"
    assert all(periods[f"region:{rid}"] == "day" for rid in REGIONS)


def test_families_are_fixed_and_equal_across_calls() -> None:
    """Building the domains twice gives identical layouts (nothing depends on data)."""
    first, second = view_families(), view_families()
    assert [family.labels() for family in first] == [family.labels() for family in second]
    assert first == second


def test_region_family_layout() -> None:
    """A region family has mesh, area, hour, demographic, prior_visits, hour_area with caps."""
    family = view_family("region:fukuoka")
    blocks = {block.name: block for block in family.blocks}
    assert list(blocks) == ["mesh", "area", "hour", "demographic", "prior_visits", "hour_area"]
    assert blocks["mesh"].labels == region_domain("fukuoka")
    assert blocks["area"].labels == REGIONS["fukuoka"].municipality_codes
    assert blocks["hour"].labels == tuple(f"{h:02d}" for h in range(24))
    assert blocks["prior_visits"].labels == ("0", "1", "2", "3-5", "6-10", "11+")
    areas = REGIONS["fukuoka"].municipality_codes
    assert blocks["hour_area"].labels == tuple(f"{h:02d}|{a}" for h in range(24) for a in areas)
    assert blocks["hour_area"].cap == 24  # one municipality per hour
    assert family.max_nonzero == K_MESH + K_AREA + 24 + 1 + 1 + 24
    assert family.size == sum(len(block.labels) for block in family.blocks)


def test_demographic_labels_cover_unknown_values() -> None:
    """Every age band × gender, unknown included, appears once."""
    labels = demographic_labels()
    assert len(labels) == 7 * 3 and len(set(labels)) == len(labels)
    assert {"20-29|F", "70+|M", "unknown|unknown", "40-49|unknown", "unknown|F"} <= set(labels)


def test_departure_family_layout() -> None:
    """54 slot times from 05:00 to 22:40 every 20 minutes, three classes each, one per time."""
    family = view_family("depart")
    assert len(SLOT_TIMES) == 54 and SLOT_TIMES[0] == "05:00" and SLOT_TIMES[-1] == "22:40"
    assert family.size == 162 and family.max_nonzero == 54
    assert family.labels()[:3] == [
        ("class_at", "05:00|home"),
        ("class_at", "05:00|airport"),
        ("class_at", "05:00|elsewhere"),
    ]
    assert family.slot_index("class_at", "22:40|elsewhere") == 161


def test_month_family_is_every_region_municipality() -> None:
    """The month block lists every municipality of every region, sorted and unique."""
    family = view_family("month")
    expected = sorted({code for region in REGIONS.values() for code in region.municipality_codes})
    assert list(family.block("visited").labels) == expected
    assert family.max_nonzero == len(expected)


def test_slot_index_agrees_with_labels() -> None:
    """slot_index and block_offset point at the same slots as labels()."""
    for family in view_families():
        labels = family.labels()
        for index in (0, len(labels) // 2, len(labels) - 1):
            block, label = labels[index]
            assert family.slot_index(block, label) == index
        offsets = [family.block_offset(block.name) for block in family.blocks]
        assert offsets == sorted(offsets) and offsets[0] == 0


def test_area_codes_override_changes_area_and_month_blocks() -> None:
    """Given area codes replace the built-in ones in the area block and the month union."""
    families = {f.name: f for f in view_families({"takamatsu": ("37202", "37201", "37201")})}
    assert families["region:takamatsu"].block("area").labels == ("37201", "37202")
    assert "area" not in [block.name for block in families["region:fukuoka"].blocks]
    assert families["month"].block("visited").labels == ("37201", "37202")


@pytest.mark.parametrize("codes", [{"atlantis": ("01101",)}, {"sapporo": ("1101",)}])
def test_bad_area_codes_are_refused(codes: dict[str, tuple[str, ...]]) -> None:
    """Unknown regions and malformed municipality codes raise InputError."""
    with pytest.raises(InputError):
        view_families(codes)


def test_invalid_blocks_and_families_are_refused() -> None:
    """Caps above the block size, duplicate labels, bad names and periods raise InputError."""
    with pytest.raises(InputError, match="cap"):
        SlotBlock("hour", ("00", "01"), 3)
    with pytest.raises(InputError, match="unique"):
        SlotBlock("hour", ("00", "00"), 1)
    block = SlotBlock("hour", ("00",), 1)
    with pytest.raises(InputError, match="name"):
        ViewFamily("weekly", "day", (block,))
    with pytest.raises(InputError, match="period"):
        ViewFamily("depart", "week", (block,))
    with pytest.raises(InputError, match="distinct"):
        ViewFamily("depart", "day", (block, block))
    with pytest.raises(InputError, match="no slot"):
        view_family("depart").slot_index("class_at", "04:40|home")
    with pytest.raises(InputError, match="unknown view family"):
        view_family("region:atlantis")


def test_package_all_is_honest() -> None:
    """Every name in engine.views.__all__ exists and is listed once."""
    for name in views.__all__:
        assert hasattr(views, name), name
    assert len(set(views.__all__)) == len(views.__all__)
