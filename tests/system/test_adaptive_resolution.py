"""Two-level (adaptive-resolution) visit maps through the real protocol on the tiny world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.dp import Release
from engine.ledger.values import Scope
from engine.parties import airline
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.queries.shapes import ProjectedRows
from engine.service import CrossmeshService
from engine.session import SecureSession, SessionSettings
from geo.mesh import parent

assemble = airline._assemble
WINDOW = {"start": "2025-08-01", "end": "2025-08-14", "threshold": 0, "max_trips": 3}


@pytest.fixture(scope="module")
def service(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrossmeshService]:
    """An ingested tiny workspace with large budgets and few dummies (fast)."""
    workspace = tmp_path_factory.mktemp("ws")
    with SecureSession(workspace, tiny_dir) as session:
        session.prepare()
    settings = SessionSettings(policy=SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000))
    svc = CrossmeshService(workspace, tiny_dir, settings)
    months = pd.period_range("2024-08", "2025-12", freq="M").strftime("%Y-%m")
    for ledger in (svc.ledger, svc.carrier_ledger):
        for month in months:
            for pair in ("airline+carrier", "carrier"):
                ledger.set_budget(Scope(pair, month), 1e4, "test")
    yield svc
    svc.session.close()


def _adaptive(service: CrossmeshService, epsilon: float) -> QuerySpec:
    spec = QuerySpec(
        kind="visit-map", airport="SHM", days=3, epsilon=epsilon, resolution="adaptive", **WINDOW
    )
    return service.fit(spec)


def _released(
    service: CrossmeshService, spec: QuerySpec, monkeypatch: pytest.MonkeyPatch
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The release's frame and, beside it, the airline's reconciled rows before the rule."""
    seen: list[ProjectedRows] = []

    def spy(rows: ProjectedRows, *args: Any) -> Release:
        seen.append(rows)
        return assemble(rows, *args)

    monkeypatch.setattr(airline, "_assemble", spy)
    frame = service.release(spec).to_frame()
    (rows,) = seen
    estimates = pd.DataFrame(list(rows.labels), columns=list(rows.label_names))
    estimates = estimates.assign(estimate=rows.values, parent_row=rows.parent_of)
    return frame, estimates.assign(sd=rows.noise_sd)


def test_huge_epsilon_two_level_map_is_consistent_and_true(
    service: CrossmeshService, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children sum exactly to their parent, parents equal the truth, the drawn cells tile."""
    spec = _adaptive(service, 1000.0)
    frame, rows = _released(service, spec, monkeypatch)
    assert list(frame.columns[:4]) == ["day_offset", "mesh_code", "level", "drawn"]
    assert set(frame["level"]) == {"3", "2"}
    shown = ~frame["suppressed"]
    assert (frame.loc[shown, "value"] == rows.loc[shown, "estimate"]).all()

    children = rows[rows["level"] == "3"].assign(
        parent=lambda f: [parent(code, 2) for code in f["mesh_code"]]
    )
    parents = rows[rows["level"] == "2"].set_index(["day_offset", "mesh_code"])["estimate"]
    summed = children.groupby(["day_offset", "parent"])["estimate"].sum()
    summed.index.names = ["day_offset", "mesh_code"]
    assert summed.reindex(parents.index).tolist() == parents.tolist()
    assert (
        rows.loc[children.index, "parent_row"].map(rows["mesh_code"]) == children["parent"]
    ).all()

    truth = pd.read_csv(tiny_dir / "truth" / "visit_mesh.csv", dtype=str)
    truth = truth[(truth["airport"] == "SHM") & truth["arrival_date"].between(
        spec.start.isoformat(), spec.end.isoformat()
    )]  # fmt: skip
    truth = truth.assign(n=truth["count"].astype(int), p=[parent(c, 2) for c in truth["mesh_code"]])
    want = truth.groupby(["day_offset", "p"])["n"].sum()
    sd = rows[rows["level"] == "2"].set_index(["day_offset", "mesh_code"])["sd"]
    joined = pd.concat([parents.rename("got"), want.rename("want")], axis=1).fillna(0)
    assert joined["want"].sum() > 0  # the noise is small, not zero: within 4.5 σ
    assert ((joined["got"] - joined["want"]).abs() <= 4.5 * sd.reindex(joined.index) + 1).all()

    drawn = frame[frame["drawn"] == "yes"]
    assert not drawn["suppressed"].any()
    assert (frame.loc[(frame["level"] == "3") & shown, "drawn"] == "yes").all()
    under = {
        (d, parent(c, 2))
        for d, c in drawn.loc[drawn["level"] == "3", ["day_offset", "mesh_code"]].itertuples(
            index=False
        )
    }
    drawn_parents = set(
        drawn.loc[drawn["level"] == "2", ["day_offset", "mesh_code"]].itertuples(
            index=False, name=None
        )
    )
    assert not under & drawn_parents


def test_two_level_map_costs_what_a_one_level_map_costs(service: CrossmeshService) -> None:
    """The two levels share the spec's ε: both ledgers are charged what a plain map costs."""

    def spent() -> dict[str, float]:
        ledgers = (service.ledger, service.carrier_ledger)
        return {
            f"{i}{b.scope}": b.spent_rho
            for i, ledger in enumerate(ledgers)
            for b in ledger.budgets()
        }

    start = spent()
    service.release(_adaptive(service, 1.0))
    middle = spent()
    plain = QuerySpec(kind="visit-map", airport="SHM", days=3, epsilon=1.0, **WINDOW)
    release = service.release(service.fit(plain))
    end = spent()
    two_level = {k: middle[k] - start.get(k, 0.0) for k in middle}
    one_level = {k: end[k] - middle.get(k, 0.0) for k in end}
    assert any(v > 0 for v in two_level.values())
    assert two_level == pytest.approx(one_level)
    assert release.rho == pytest.approx(plain.cost.rho)
