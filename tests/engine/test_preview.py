"""Accuracy before spending (engine.preview): public inputs only, true to the real release."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.dp import ContributionBounds, PrivacyCost, mechanism_for, noise_law, publish
from engine.ledger.values import Scope
from engine.parties.policy import SideChannelPolicy
from engine.preview import preview_accuracy, release_noise, withheld_share
from engine.queries import QuerySpec
from engine.service import CrossmeshService
from engine.session import SecureSession, SessionSettings

WINDOW = {"start": "2025-08-01", "end": "2025-08-10", "epsilon": 1.0}
SPECS = (
    QuerySpec(kind="visit-map", airport="SHM", **WINDOW),  # type: ignore[arg-type]
    QuerySpec(kind="preboarding", airport="HND", **WINDOW),  # type: ignore[arg-type]
    QuerySpec(kind="population", region="nanki_shirahama", **WINDOW),  # type: ignore[arg-type]
)


@pytest.fixture(scope="module")
def service(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrossmeshService]:
    """A prepared tiny workspace with generous budgets."""
    workspace = tmp_path_factory.mktemp("ws")
    with SecureSession(workspace, tiny_dir) as session:
        session.prepare()
    settings = SessionSettings(policy=SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000))
    svc = CrossmeshService(workspace, tiny_dir, settings)
    for ledger in (svc.ledger, svc.carrier_ledger):
        for pair in ("airline+carrier", "carrier"):
            ledger.set_budget(Scope(pair, "2025-08"), 50.0, "test")
            ledger.set_budget(Scope(pair, "2025-07"), 50.0, "test")
    yield svc
    svc.close()


@pytest.mark.parametrize("spec", SPECS, ids=[s.kind for s in SPECS])
def test_the_preview_describes_the_release_that_follows(
    service: CrossmeshService, spec: QuerySpec
) -> None:
    """Noise scale, values and draws predicted from the spec alone equal the release's own, and
    previewing charges nothing."""
    spec = service.fit(spec)
    spent = [row.spent_rho for row in service.budgets()]
    preview = service.preview(spec)
    assert [row.spent_rho for row in service.budgets()] == spent
    release = service.release(spec)
    kind, scale, draws = release_noise(spec)
    assert (kind, scale) == (release.mechanism, release.noise_scale)
    assert draws == release.draws and preview.values == len(release.values)
    shown = [w for w in release.ci95 if w is not None]
    typical = noise_law(release.mechanism, release.noise_scale, preview.draws).half_width()
    assert preview.half_width == typical
    assert all(w == typical for w in shown if release.draws[release.ci95.index(w)] == preview.draws)


def test_releases_left_is_what_the_budget_allows(service: CrossmeshService) -> None:
    """The count of further releases is ⌊remaining ρ / charge⌋, the smallest over the scopes."""
    spec = service.fit(QuerySpec(kind="flows", airport="FUK", **WINDOW))  # type: ignore[arg-type]
    estimate = service.estimate(spec)
    preview = service.preview(spec)
    assert preview.releases_left == min(
        int(r // estimate.rho) for r in estimate.remaining_rho.values()
    )
    assert preview_accuracy(spec, [2.5 * estimate.rho], estimate.rho).releases_left == 2


def test_predicted_withheld_share_matches_the_rule_applied_to_real_noise() -> None:
    """The fixed-point prediction is within 3 points of the share the rule really withholds,
    over 100 releases of a known truth with OpenDP noise."""
    mechanism = mechanism_for(PrivacyCost.from_epsilon(1.0), ContributionBounds(3, 1, 4))
    law = noise_law(mechanism.kind, mechanism.scale, 2)
    truth = np.zeros(800, dtype=np.int64)
    truth[:60] = np.linspace(5, 6 * law.half_width(), 60).astype(np.int64)
    shares = []
    for _ in range(100):
        noisy = truth + mechanism.sample(2 * truth.size).reshape(2, -1).sum(axis=0)
        shares.append(np.mean(publish(list(noisy), [law] * truth.size).suppressed))
    assert abs(withheld_share(list(truth), law) - float(np.mean(shares))) < 0.03


def test_without_an_earlier_release_no_share_is_guessed() -> None:
    """No published release of the kind and place: the share is None, never made up."""
    spec = QuerySpec(kind="repeat", airport="TAK", **WINDOW)  # type: ignore[arg-type]
    preview = preview_accuracy(spec, [1.0], 0.1)
    assert preview.withheld_share is None and preview.based_on is None
    assert preview.half_width < preview.shown_from_best <= preview.shown_from_alone
    assert pd.notna(preview.noise_scale)
