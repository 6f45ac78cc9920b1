"""Padding stripping: a curious carrier compares the cohorts of two queries of the same travellers.

The carrier receives, per group, the airline's points ``H(k)^a`` — real keys, ``m`` dummies of the
public dummy domain and DP padding points. It asks for a visit map and a flows release of the same
cohort (SHM arrivals Aug 1–12) and tries to strip the dummies and padding to get the exact cohort
sizes: by intersecting the two cohorts (a reused scalar would leave exactly the real and dummy
points in common), by spotting unblinded dummy or record points it can hash itself, or by
subtracting ``m`` and the padding shift from the sizes. As in the product, the airline blinds
the second cohort with points raised ahead to the second query's scalar
(:mod:`engine.crypto.preblind`): a table left over from the first query would show here.

Tolerances: the padding of a group is ``max(0, shift + Z)``, Z a discrete Gaussian of scale σ
(≈ 17 here); each |padding − shift| ≤ 7σ fails with probability < 3e-12; equal sizes in all three
groups of both queries has probability ≈ (1/(2σ√π))³ < 5e-6.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from engine.parties.dummies import dummy_points
from engine.parties.policy import SideChannelPlan, SideChannelPolicy, plan_side_channels
from engine.queries.shapes import shape_of


@dataclass(frozen=True)
class CarrierView:
    """The cohort of one query as the carrier received it, and the truth."""

    groups: list[list[bytes]]
    real_sizes: list[int]
    side: SideChannelPlan


@pytest.fixture(scope="module")
def views(
    kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[tuple[CarrierView, CarrierView], set[bytes]]:
    """Visit-map and flows of the same cohort; and every point the carrier can hash itself."""
    transcript = kit.Transcript()
    session = kit.open_world(tmp_path_factory.mktemp("pad"), tiny_dir, transcript)
    found = []
    own: set[bytes] = set()
    with kit.lookups() as looked_up:
        for kind in ("visit-map", "flows"):
            spec = kit.visit_spec(kind=kind)
            session.release(spec)
            entries = kit.query_entries(transcript, kit.last_query_id(transcript))
            (cohort,) = kit.messages_of(entries, "blinded_cohort")
            side = plan_side_channels(SideChannelPolicy(), shape_of(spec))
            real = [len(group) for group in kit.cohort_points(session, spec)]
            groups = [kit.split_points(blob) for blob in cohort.groups]
            found.append(CarrierView(groups, real, side))
            own |= set(kit.scope_records(session, spec))
            for number in range(len(groups)):
                own |= set(dummy_points(number, side.dummies_per_group))
            kit.wait_preblinded(session)  # the second query blinds its own points ahead
    # The first query found nothing ahead; the second took both parties' own points from it.
    assert looked_up[:2] == [0, 0] and min(looked_up[2:]) > 0, looked_up
    session.close()
    return (found[0], found[1]), own


def test_cohort_padding_cannot_be_stripped(
    views: tuple[tuple[CarrierView, CarrierView], set[bytes]],
) -> None:
    """Two cohorts share no point, hide every hashable point, and have DP-padded sizes."""
    (first, second), own = views
    points = [{p for group in view.groups for p in group} for view in (first, second)]
    assert not points[0] & points[1], "a cohort point was reused across queries"
    assert not (points[0] | points[1]) & own, "a cohort point is unblinded (dummy or record)"
    assert first.real_sizes == second.real_sizes and min(first.real_sizes) > 0
    padding = first.side.group_padding
    m = first.side.dummies_per_group
    for view in (first, second):
        for group, real in zip(view.groups, view.real_sizes, strict=True):
            assert len(set(group)) == len(group)
            extra = len(group) - real - m
            assert extra >= 0, "a group is smaller than its real keys and dummies"
            assert abs(extra - padding.shift) <= 7 * padding.scale, (extra, padding.shift)
    sizes = [[len(group) for group in view.groups] for view in (first, second)]
    assert sizes[0] != sizes[1], "identical cohorts gave identical sizes: no padding noise"
    # The carrier's best estimate (size − m − shift) misses the real sizes by the padding noise.
    estimates = [[s - m - padding.shift for s in row] for row in sizes]
    assert any(e != r for row in estimates for e, r in zip(row, first.real_sizes, strict=True))
