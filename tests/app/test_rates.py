"""Furusato visit rates: released counts over cohort sizes, pooled over months, within 0–100 %."""

from __future__ import annotations

import pandas as pd
import pytest

from app.screens.furusato import visit_rates

Row = tuple[str, str, int, int, int | None]


def furusato_rows(rows: list[Row]) -> pd.DataFrame:
    """cohort, donation_month, month_offset, cohort_keys, value (None = suppressed)."""
    return pd.DataFrame(
        {
            "cohort": [r[0] for r in rows],
            "donation_month": [r[1] for r in rows],
            "month_offset": [r[2] for r in rows],
            "cohort_keys": [r[3] for r in rows],
            "value": pd.array([r[4] for r in rows], dtype="Int64"),
            "suppressed": [r[4] is None for r in rows],
            "ci95": pd.array([None if r[4] is None else 10 for r in rows], dtype="Int64"),
        }
    )


def test_rates_pool_published_months() -> None:
    """Counts and sizes of the published months add up before dividing."""
    rows: list[Row] = [("donor", "2025-08", 0, 100, 30), ("donor", "2025-09", 0, 300, 50)]
    rows.append(("donor", "2025-08", 1, 100, None))
    frame = furusato_rows(rows)
    rates = visit_rates(frame).set_index(["cohort", "month_offset"])
    assert rates.loc[("donor", 0), "value"] == pytest.approx(20.0)  # 80 of 400
    assert rates.loc[("donor", 0), "ci95"] == pytest.approx(100 * (200**0.5) / 400)
    assert rates.loc[("donor", 1), "suppressed"] and rates["value"].isna()[("donor", 1)]


def test_noise_never_makes_a_rate_above_one_hundred_percent() -> None:
    """A noisy count larger than a small cohort is shown as 100 %."""
    rates = visit_rates(furusato_rows([("donor", "2025-08", 2, 12, 40)]))
    assert rates["value"].tolist() == [100.0]


def test_rate_intervals_stay_inside_zero_and_one_hundred() -> None:
    """Small cohorts and big noise: low and high never leave 0–100 %, and bracket the rate."""
    rows: list[Row] = [("donor", "2025-08", 0, 12, 40), ("comparison", "2025-08", 0, 500, 11)]
    rates = visit_rates(furusato_rows(rows)).set_index("cohort")
    for cohort in ("donor", "comparison"):
        low, value, high = (float(rates.loc[cohort, c]) for c in ("low", "value", "high"))
        assert 0.0 <= low <= value <= high <= 100.0
    assert rates.loc["comparison", "low"] == pytest.approx(100 * 1 / 500)  # 11 − 10 of 500


def test_donor_verdicts_claim_a_difference_only_when_intervals_do_not_overlap() -> None:
    """Plain words per month: higher, no evidence of a difference, or not comparable."""
    from app.screens.furusato import verdicts

    rows: list[Row] = [("donor", "2025-08", 0, 100, 60), ("comparison", "2025-08", 0, 1000, 100)]
    rows += [("donor", "2025-08", 1, 100, 14), ("comparison", "2025-08", 1, 1000, 100)]
    rows += [("donor", "2025-08", 2, 100, None), ("comparison", "2025-08", 2, 1000, 100)]
    lines = verdicts(visit_rates(furusato_rows(rows)))
    assert len(lines) == 3
    assert "寄附者の方が訪問率が高い" in lines[0]  # 60 % ± 10 against 10 % ± 1
    assert "差があるとは言えない" in lines[1]  # 14 % ± 10 against 10 % ± 1
    assert "比較できない" in lines[2]
