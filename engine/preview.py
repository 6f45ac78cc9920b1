"""Accuracy before spending: what a release would show, from the mechanism and public facts only.

Like a clean room's privacy-impact preview, this answers — before a single ε is charged — how
wide the intervals will be, from what size a value can be shown, roughly what share of places
will be withheld, and how many such releases the budget left allows. Nothing here reads party
data: the noise law follows from the spec (:func:`engine.queries.shapes.shape_of`, the bounds and
the cost); the budget from the ledger; and the predicted withheld share from the newest
*published* release of the same kind and place (a DP output, so reading it is post-processing),
or nothing if there is none.

* :class:`AccuracyPreview` — the answer, a frozen value the CLI and the app print;
* :func:`preview_accuracy` — computes it; :func:`withheld_share` is the prediction alone.

The prediction treats the earlier release's shown values as the truth and its withheld values
as 0, and solves the Benjamini–Hochberg cut-off for the new noise as a fixed point (the cut-off
depends on how many values pass it), taking a value as shown from the smallest size whose
selection-adjusted interval excludes 0. It is an estimate, labelled as one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from engine.dp import (
    FALSE_DISCOVERY_RATE,
    ContributionBounds,
    NoiseLaw,
    PrivacyCost,
    Release,
    mechanism_for,
    noise_law,
)
from engine.dp.publication import smallest_shown
from engine.queries import QuerySpec
from engine.queries.shapes import shape_of
from engine.views import K_MESH, view_family
from foundation.errors import InputError

__all__ = ["AccuracyPreview", "preview_accuracy", "release_noise", "same_place", "withheld_share"]

RESIDENCIES = 2  # resident, visitor: the population release's rows per cell


@dataclass(frozen=True)
class AccuracyPreview:
    """What a release of ``kind`` at ``epsilon`` would look like, before it is charged.

    ``half_width`` is the 95 % ± of a typical value (``draws`` noise draws at ``noise_scale``);
    a value is shown when it is above ``shown_from_best`` if many values are shown, and always
    when above ``shown_from_alone`` (the cut-off for a value shown alone). ``withheld_share`` is
    predicted from release ``based_on`` (``None`` without one); ``releases_left`` is how many
    releases of this cost the remaining budget allows (the smallest over the scopes charged).
    """

    kind: str
    epsilon: float
    mechanism: str
    noise_scale: float
    values: int
    draws: int
    half_width: int
    shown_from_best: int
    shown_from_alone: int
    withheld_share: float | None
    based_on: str | None
    releases_left: int


def release_noise(spec: QuerySpec) -> tuple[str, float, tuple[int, ...]]:
    """The mechanism kind, noise scale and per-value draws of ``spec``'s release (public)."""
    cost = PrivacyCost.from_epsilon(spec.epsilon, spec.delta, spec.mechanism)  # type: ignore[arg-type]
    if spec.kind == "population":
        days = (spec.end - spec.start).days + 1
        mechanism = mechanism_for(cost, ContributionBounds(days, 1, K_MESH))
        cells = len(view_family(f"region:{spec.region}").block("mesh").labels)
        return mechanism.kind, mechanism.scale, (1,) * (RESIDENCIES * cells)
    shape = shape_of(spec)
    zeros = [np.zeros(shape.vector_length(), dtype=np.int64) for _ in shape.group_labels]
    rows = shape.project(shape.group_labels, zeros, [0] * shape.groups)
    mechanism = shape.mechanism
    return mechanism.kind, mechanism.scale, tuple(2 * count for count in rows.summed)


def withheld_share(
    truth: Sequence[int], law: NoiseLaw, rate: float = FALSE_DISCOVERY_RATE
) -> float:
    """The expected share of values withheld if ``truth`` were released with noise ``law``.

    Fixed point of the BH cut-off: with ``r`` values expected to pass, the cut-off is the
    x with P(N ≥ x) ≤ q·r/m; the expected number passing it is Σ P(t + N ≥ x).
    """
    m = len(truth)
    if m == 0:
        return 0.0
    values = np.asarray(truth, dtype=np.int64)
    passing = max(1.0, float((values > 0).sum()))
    for _ in range(12):
        cut = smallest_shown(law, rate * passing / m)
        expected = sum(law.upper_tail(cut - int(t)) for t in values)
        if abs(expected - passing) < 0.5:
            break
        passing = max(1.0, expected)
    return max(0.0, 1 - passing / m)


def same_place(spec: QuerySpec, earlier: Mapping[str, object]) -> bool:
    """Whether an earlier release's spec (canonical form) asks ``spec``'s kind about its place."""
    return earlier.get("kind") == spec.kind and all(
        earlier.get(name) == getattr(spec, name) for name in ("airport", "municipality", "region")
    )


def preview_accuracy(
    spec: QuerySpec,
    remaining_rho: Sequence[float],
    charge_rho: float,
    published: Sequence[tuple[str, Release]] = (),
) -> AccuracyPreview:
    """The preview of ``spec``: its noise, cut-offs, predicted withheld share and releases left.

    ``published`` are earlier releases, newest first, with their ids; the first of the same kind
    and place is the basis of the prediction.
    """
    if charge_rho <= 0:
        raise InputError("a release's charge must be positive", field="epsilon")
    kind, scale, draws = release_noise(spec)
    typical = int(np.median(draws)) if draws else 1
    law = noise_law(kind, scale, typical)  # type: ignore[arg-type]
    basis = next(((rid, r) for rid, r in published if same_place(spec, r.query_spec)), None)
    share = None
    if basis is not None:
        truth = [0 if v is None else v for v in basis[1].values]
        share = round(withheld_share(truth, law), 3)
    left = min((math.floor(r / charge_rho + 1e-9) for r in remaining_rho), default=0)
    return AccuracyPreview(
        kind=spec.kind,
        epsilon=spec.epsilon,
        mechanism=kind,
        noise_scale=scale,
        values=len(draws),
        draws=typical,
        half_width=law.half_width(),
        shown_from_best=smallest_shown(law, FALSE_DISCOVERY_RATE),
        shown_from_alone=smallest_shown(law, FALSE_DISCOVERY_RATE / max(1, len(draws))),
        withheld_share=share,
        based_on=None if basis is None else basis[0],
        releases_left=max(0, left),
    )
