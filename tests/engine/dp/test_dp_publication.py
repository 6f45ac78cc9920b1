"""Tests of the publication rule (engine.dp.publication): shown only when told apart from noise.

Played as a reader of the map would be fooled: cells whose truth is 0 must not appear as numbers,
except at the stated false discovery rate, and no shown value may have an interval reaching 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.dp import ContributionBounds, PrivacyCost, mechanism_for
from engine.dp.publication import FALSE_DISCOVERY_RATE, publish, selected
from engine.dp.sums import noise_law
from foundation.errors import InputError

MECHANISM = mechanism_for(PrivacyCost.from_epsilon(1.0), ContributionBounds(3, 1, 4))


def reference_bh(p: list[float], q: float) -> set[int]:
    """Benjamini–Hochberg by its textbook definition."""
    m = len(p)
    ranked = sorted(range(m), key=lambda i: p[i])
    last = max((r for r in range(1, m + 1) if p[ranked[r - 1]] <= q * r / m), default=0)
    return set(ranked[:last])


def test_selection_is_benjamini_hochberg() -> None:
    """The mask equals the textbook step-up procedure on random p-values."""
    rng = np.random.default_rng(3)  # p-values only: no noise is drawn with numpy
    for _ in range(50):
        p = list(np.concatenate([rng.uniform(size=40), rng.uniform(0, 0.002, size=5)]))
        assert set(np.flatnonzero(selected(p, 0.05))) == reference_bh(p, 0.05)


def test_no_shown_value_has_an_interval_that_includes_zero() -> None:
    """Over many noisy releases, every shown value exceeds its half-width (the interval x ± k
    lies above 0) and is None-free; every withheld value has neither number nor interval."""
    law = noise_law(MECHANISM.kind, MECHANISM.scale, 2)
    truth = np.repeat([0, 5, 20, 60, 200], 200)
    for _ in range(20):
        noisy = truth + MECHANISM.sample(2 * truth.size).reshape(2, -1).sum(axis=0)
        shown = publish(list(noisy), [law] * truth.size)
        for value, hidden, width in zip(shown.values, shown.suppressed, shown.ci95, strict=True):
            if hidden:
                assert value is None and width is None
            else:
                assert value is not None and width is not None and value - width > 0


def test_false_discoveries_stay_below_the_rate_on_a_sparse_map() -> None:
    """A map of 2,000 cells, 1,900 truly empty: the share of shown cells whose truth is 0, over
    200 releases with real OpenDP noise, stays at most the stated rate (2.5 %, with slack for the
    simulation); a fixed threshold of 10 would show mostly noise."""
    law = noise_law(MECHANISM.kind, MECHANISM.scale, 2)
    truth = np.zeros(2000, dtype=np.int64)
    truth[:100] = 4 * law.half_width()
    shares, threshold_shares = [], []
    for _ in range(200):
        noisy = truth + MECHANISM.sample(2 * truth.size).reshape(2, -1).sum(axis=0)
        hidden = np.asarray(publish(list(noisy), [law] * truth.size).suppressed)
        shown_zero = int((~hidden & (truth == 0)).sum())
        shares.append(shown_zero / max(1, int((~hidden).sum())))
        naive = noisy >= 10
        threshold_shares.append(int((naive & (truth == 0)).sum()) / max(1, int(naive.sum())))
    assert float(np.mean(shares)) <= FALSE_DISCOVERY_RATE + 0.01
    assert float(np.mean(threshold_shares)) > 0.5


def test_the_floor_withholds_small_values_too() -> None:
    """A value past the rule but below the floor is withheld."""
    law = noise_law(MECHANISM.kind, MECHANISM.scale, 1)
    big = 10 * law.half_width()
    assert publish([big], [law], floor=big + 1).suppressed == (True,)
    assert publish([big], [law], floor=big).values == (big,)


@pytest.mark.parametrize("bad", [[1.5], [True]])
def test_non_integer_noisy_values_are_refused(bad: list[object]) -> None:
    """Float noise upstream is an error, not something to round away."""
    law = noise_law(MECHANISM.kind, MECHANISM.scale, 1)
    with pytest.raises(InputError):
        publish(bad, [law])  # type: ignore[arg-type]
