"""Shaping released rows: sums of published values, suppression kept, shares, coarser cells."""

from __future__ import annotations

import pandas as pd

from app import frames

Row = tuple[str, str, int | None, int | None]


def released(rows: list[Row]) -> pd.DataFrame:
    """A release-like frame: day_offset, mesh_code, value, suppressed, ci95."""
    return pd.DataFrame(
        {
            "day_offset": [row[0] for row in rows],
            "mesh_code": [row[1] for row in rows],
            "value": pd.array([row[2] for row in rows], dtype="Int64"),
            "suppressed": [row[2] is None for row in rows],
            "ci95": pd.array([row[3] for row in rows], dtype="Int64"),
        }
    )


def test_normalise_makes_offsets_integers_and_codes_text() -> None:
    """Offsets become int, codes stay text, value columns are untouched."""
    frame = frames.normalise(released([("0", "50353224", 12, 5), ("1", "50353225", None, None)]))
    assert frame["day_offset"].tolist() == [0, 1]
    assert frame["mesh_code"].tolist() == ["50353224", "50353225"]
    assert frame["value"].isna().tolist() == [False, True]


def test_collapse_adds_published_values_and_keeps_suppression() -> None:
    """A key sums its published rows; a key with every row suppressed stays without a number."""
    rows: list[Row] = [("0", "A", 10, 3), ("1", "A", 20, 4), ("0", "B", None, None)]
    rows += [("1", "B", None, None), ("0", "C", 15, 3), ("1", "C", None, None)]
    frame = released(rows)
    result = frames.collapse(frame, ["mesh_code"]).set_index("mesh_code")
    assert result.loc["A", "value"] == 30 and result.loc["A", "ci95"] == 5  # √(9 + 16)
    assert result.loc["B", "suppressed"] and result["value"].isna()["B"]
    assert result["ci95"].isna()["B"]
    assert result.loc["C", "value"] == 15 and not result.loc["C", "suppressed"]


def test_collapse_of_nothing_is_an_empty_frame_with_the_columns() -> None:
    """An empty release collapses to an empty frame that pages can still draw."""
    result = frames.collapse(released([]), ["mesh_code"])
    assert result.empty and {"mesh_code", "value", "suppressed", "ci95"} <= set(result)


def test_share_needs_both_values_published() -> None:
    """The share is a percentage where both are published, suppressed otherwise."""
    part_rows: list[Row] = [("0", "A", 20, 3), ("0", "B", 12, 3), ("0", "C", None, None)]
    part = frames.collapse(released(part_rows), ["mesh_code"])
    whole = frames.collapse(released([("0", "A", 80, 9), ("0", "B", None, None)]), ["mesh_code"])
    result = frames.share(part, whole, "mesh_code").set_index("mesh_code")
    assert result.loc["A", "value"] == 25.0 and not result.loc["A", "suppressed"]
    assert result.loc["B", "suppressed"] and result["value"].isna()["B"]
    assert result.loc["C", "suppressed"] and result["ci95"].isna().all()


def test_coarsen_merges_cells_into_their_parents() -> None:
    """Four 1 km cells of one 10 km cell become that cell, with their published sum."""
    frame = released(
        [("0", "50353224", 10, 3), ("0", "50353225", 11, 4), ("0", "50354300", None, None)]
    )
    result = frames.coarsen(frame, 2).set_index("mesh_code")
    assert result.loc["503532", "value"] == 21
    assert result.loc["503543", "suppressed"]


def test_top_published_ignores_suppressed_rows() -> None:
    """The largest published rows, largest first."""
    frame = released([("0", "A", 10, 3), ("0", "B", None, None), ("0", "C", 30, 3)])
    assert frames.top_published(frame, 5)["mesh_code"].tolist() == ["C", "A"]


def test_collapse_gives_sums_the_exact_interval_of_their_draws() -> None:
    """A frame that says its noise gets, for a sum of rows, the half-width of the summed draws'
    exact law — not √Σw²."""
    from engine.dp import noise_law

    frame = released([("0", "A", 300, 40), ("1", "A", 200, 40)]).assign(draws=[2, 6])
    frame.attrs["noise"] = {"mechanism": "laplace", "scale": 12.0}
    result = frames.collapse(frame, ["mesh_code"])
    assert int(result["ci95"][0]) == noise_law("laplace", 12.0, 8).half_width()
    assert int(result["draws"][0]) == 8


def test_share_intervals_stay_inside_zero_and_one_hundred() -> None:
    """The ratio's interval comes from both sides at √0.95 and never leaves 0–100 %."""
    part = released([("0", "A", 90, 20)]).assign(draws=[2])
    whole = released([("0", "A", 100, 20)]).assign(draws=[1])
    for frame in (part, whole):
        frame.attrs["noise"] = {"mechanism": "gaussian", "scale": 8.0}
    result = frames.share(part, whole, "mesh_code")
    low, value, high = (float(result[c][0]) for c in ("low", "value", "high"))
    assert 0.0 <= low < value <= high <= 100.0 and high == 100.0


def test_compare_gives_a_verdict_only_where_both_are_shown() -> None:
    """The difference's interval decides: clear differences are higher or lower, small ones
    'no_difference'; a withheld side is 'not_comparable' with no number."""
    first = released([("0", "A", 500, 30), ("0", "B", 210, 30), ("0", "C", 90, 20)])
    second = released([("0", "A", 300, 30), ("0", "B", 200, 30), ("0", "C", None, None)])
    result = frames.compare(first, second, "mesh_code").set_index("mesh_code")
    assert result.loc["A", "verdict"] == "higher" and result.loc["A", "difference"] == 200
    assert result.loc["A", "ci95"] >= 42  # at least √(30² + 30²)
    assert result.loc["B", "verdict"] == "no_difference"
    assert result.loc["C", "verdict"] == "not_comparable" and pd.isna(result.loc["C", "difference"])
    swapped = frames.compare(second, first, "mesh_code").set_index("mesh_code")
    assert swapped.loc["A", "verdict"] == "lower"


def test_a_two_level_map_keeps_only_its_drawn_cells_and_coarsens_without_double_counting() -> None:
    """Drawn children and a merged-upward parent stay; coarsening them adds nothing twice."""
    frame = released(
        [
            ("0", "50353224", 40, 3),  # shown child, drawn
            ("0", "50354300", None, None),  # withheld child
            ("0", "503532", 55, 9),  # shown parent with a shown child: not drawn
            ("0", "503543", 70, 9),  # shown parent, no child shown: drawn (merged upward)
        ]
    ).assign(level=["3", "3", "2", "2"], drawn=["yes", "no", "no", "yes"])
    drawn = frames.drawn(frame)
    assert drawn["mesh_code"].tolist() == ["50353224", "503543"]
    coarse = frames.coarsen(drawn, 2).set_index("mesh_code")["value"]
    assert coarse.to_dict() == {"503532": 40, "503543": 70}
    assert frames.drawn(frame.drop(columns=["level", "drawn"])).shape[0] == 4
