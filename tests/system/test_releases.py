"""Releases on tiny data: huge ε reproduces the truth; the cache; the carrier's guards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine.dp import FALSE_DISCOVERY_RATE, noise_law
from engine.dp.publication import smallest_shown
from engine.ledger.values import Scope
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.service import CrossmeshService
from engine.session import SecureSession, SessionSettings

WINDOW = {"start": "2025-08-01", "end": "2025-08-14"}
HUGE = {"epsilon": 1000.0, "threshold": 0, "max_trips": 3}


@pytest.fixture(scope="module")
def service(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrossmeshService]:
    """An ingested tiny workspace whose budgets are raised far above any real setting."""
    workspace = tmp_path_factory.mktemp("ws")
    with SecureSession(workspace, tiny_dir) as session:
        session.prepare()
    # Few dummies (a large side-channel ρ) keep these exactness checks fast; the noise is tiny.
    settings = SessionSettings(policy=SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000))
    svc = CrossmeshService(workspace, tiny_dir, settings)
    months = pd.period_range("2024-08", "2025-12", freq="M").strftime("%Y-%m")
    for ledger in (svc.ledger, svc.carrier_ledger):
        for month in months:
            for pair in ("airline+carrier", "carrier"):
                ledger.set_budget(Scope(pair, month), 1e4, "test")
    yield svc
    svc.session.close()


def _truth(tiny_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(tiny_dir / "truth" / f"{name}.csv", dtype=str)


def _compare(release_frame: pd.DataFrame, expected: pd.Series, keys: list[str]) -> None:
    """Shown values equal the truth up to rounding; a withheld one (its interval reaches 0: a
    count of a few at most at this ε) has a small truth."""
    indexed = release_frame.set_index(keys)
    got = indexed["value"].astype("Float64")
    width = indexed["ci95"].astype("Float64").rename("width")
    joined = pd.concat([got.rename("got"), width, expected.rename("want")], axis=1)
    joined["want"] = joined["want"].fillna(0)
    shown = joined[joined["got"].notna()]
    withheld = joined[joined["got"].isna()]
    difference = (shown["got"] - shown["want"]).abs()
    assert len(shown) > 0 and joined["want"].sum() > 0
    # Within the stated interval (0–3 wide at this ε), give or take the one trip the bound drops
    inside = difference <= shown["width"] + 1
    assert inside.mean() >= 0.9 and (difference <= 2 * shown["width"] + 1).all(), shown[~inside]
    small = 4 * float(shown["width"].median()) + 4  # a few intervals: the cut-off's reach
    assert (withheld["want"] <= small).all(), withheld[withheld["want"] > small].head()


def _within(frame: pd.DataFrame, column: str, spec: QuerySpec) -> pd.DataFrame:
    """Truth rows of events inside the spec's (fitted) window."""
    days = frame[column]
    return frame[(days >= spec.start.isoformat()) & (days <= spec.end.isoformat())]


def _counts(frame: pd.DataFrame, keys: list[str], column: str = "count") -> pd.Series:
    return frame.assign(n=frame[column].astype(int)).groupby(keys)["n"].sum()


@pytest.mark.parametrize(
    ("kind", "truth_name", "slot"),
    [("visit-map", "visit_mesh", "mesh_code"), ("flows", "visit_area", "municipality_code")],
)
def test_huge_epsilon_arrival_maps_equal_truth(
    service: CrossmeshService, tiny_dir: Path, kind: str, truth_name: str, slot: str
) -> None:
    """With a huge ε and no suppression, visit maps and flows equal the truth up to rounding."""
    spec = service.fit(QuerySpec(kind=kind, airport="SHM", days=3, **WINDOW, **HUGE))
    frame = service.release(spec).to_frame()
    truth = _within(_truth(tiny_dir, truth_name), "arrival_date", spec)
    expected = _counts(truth[truth["airport"] == "SHM"], ["day_offset", slot])
    _compare(frame, expected, ["day_offset", slot])


def test_huge_epsilon_hokkaido_and_population_equal_truth(
    service: CrossmeshService, tiny_dir: Path
) -> None:
    """East Hokkaido catchments and the carrier's own population counts equal the truth."""
    spec = service.fit(QuerySpec(kind="hokkaido", days=2, **WINDOW, **HUGE))
    frame = service.release(spec).to_frame()
    truth = _within(_truth(tiny_dir, "visit_area"), "arrival_date", spec)
    truth = truth[truth["airport"].isin(["MMB", "KUH", "SHB"]) & (truth["day_offset"] != "2")]
    keys = ["airport", "day_offset", "municipality_code"]
    _compare(frame, _counts(truth, keys), keys)

    spec = QuerySpec(kind="population", region="nanki_shirahama", **WINDOW, **HUGE)
    frame = service.release(spec).to_frame()
    truth = _within(_truth(tiny_dir, "population"), "date", spec)
    truth = truth[truth["region"] == "nanki_shirahama"]
    # Distinct people per cell over the window: at least the busiest day's, at most the sum of
    # the days' (the truth tables count per day).
    daily = truth.assign(n=truth["count"].astype(int)).groupby(["residency", "mesh_code", "date"])
    busiest = daily["n"].sum().groupby(level=[0, 1]).max()
    summed = _counts(truth, ["residency", "mesh_code"])
    shown = frame[~frame["suppressed"]].set_index(["residency", "mesh_code"])
    assert len(shown) > 0
    for key, row in shown.iterrows():
        width = int(row["ci95"]) + 1
        assert busiest.get(key, 0) - width <= int(row["value"]) <= summed.get(key, 0) + width


def test_huge_epsilon_furusato_and_preboarding_equal_truth(
    service: CrossmeshService, tiny_dir: Path
) -> None:
    """Donor visits and pre-boarding location classes equal the truth up to rounding."""
    truth = _truth(tiny_dir, "furusato")
    municipality = truth.loc[truth["cohort"] == "donor", "municipality_code"].iloc[0]
    spec = QuerySpec(kind="furusato", municipality=municipality, months_after=1, **WINDOW, **HUGE)
    release = service.release(service.fit(spec))  # no month after August is observed
    frame = release.to_frame()
    rows = truth[(truth["municipality_code"] == municipality) & (truth["month_offset"] == "0")]
    got = frame[frame["month_offset"] == "0"].set_index("cohort")["value"].fillna(0).astype(int)
    assert set(got.index) == {"donor", "comparison"}  # every public group, however small
    assert "withheld_groups" not in release.query_spec
    for row in rows.itertuples(index=False):
        assert abs(got[row.cohort] - int(row.visited)) <= 2

    spec = service.fit(QuerySpec(kind="preboarding", airport="HND", **WINDOW, **HUGE))
    release = service.release(spec)
    frame = release.to_frame()
    truth = _within(_truth(tiny_dir, "preboarding"), "departure_date", spec)
    truth = truth[(truth["origin"] == "HND") & (truth["location_class"] != "none")]
    keys = ["half", "minutes_before", "location_class"]
    got = frame.assign(position=range(len(frame))).set_index(keys)
    expected = _counts(truth, keys)
    assert len(expected) >= 12
    for key, want in expected.items():
        # each value sums one noisy slot per departure slot-time: within twice its 95 % interval
        # (a withheld value, shown as nothing, counts as 0 with the interval of its draws)
        value = got.loc[key, "value"]
        position = int(got.loc[key, "position"])
        width = release.sum_half_width([position])
        if pd.isna(value):  # withheld: below what the rule shows even alone, give or take noise
            law = noise_law(release.mechanism, release.noise_scale, release.draws[position])
            assert want <= smallest_shown(law, FALSE_DISCOVERY_RATE / len(frame)) + 2 * width
        else:
            assert abs(int(value) - want) <= 2 * width + 1


def test_identical_spec_is_served_from_cache_and_spends_nothing(service: CrossmeshService) -> None:
    """Asking the same question twice returns the identical release and charges nothing more."""
    spec = service.fit(QuerySpec(kind="flows", airport="FUK", epsilon=1.0, **WINDOW))
    first = service.release(spec)
    spent = {str(b.scope): b.spent_rho for b in service.budgets()}
    again = service.release(spec)
    assert again.to_json() == first.to_json()
    assert {str(b.scope): b.spent_rho for b in service.budgets()} == spent
    assert service.estimate(spec).cached


def test_cross_and_population_releases_charge_one_subscriber_month(
    service: CrossmeshService,
) -> None:
    """At the carrier, a cross and a population release of August both charge carrier@2025-08."""
    ledger, month = service.carrier_ledger, Scope("carrier", "2025-08")
    before = ledger.budget(month).spent_rho
    service.release(service.fit(QuerySpec(kind="flows", airport="FUK", epsilon=0.7, **WINDOW)))
    after_cross = ledger.budget(month).spent_rho
    spec = QuerySpec(kind="population", region="nanki_shirahama", epsilon=0.7, **WINDOW)
    service.release(spec)
    after_population = ledger.budget(month).spent_rho
    assert before < after_cross < after_population
    assert after_population - after_cross == pytest.approx(spec.cost.rho)
    assert all(b.spent_rho == 0 for b in ledger.budgets() if b.scope.pair != "carrier")
