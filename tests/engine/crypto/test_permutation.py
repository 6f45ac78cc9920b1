"""Tests of the secret shuffle (engine.crypto.permutation)."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from engine.crypto.permutation import secret_permutation, shuffled

# Upper 10⁻⁴ points of χ² with 5 and 9 degrees of freedom: a fair shuffle exceeds them 1 in 10,000.
CHI2_5_CRITICAL = 25.74
CHI2_9_CRITICAL = 33.72


def chi_square(observed: list[int] | np.ndarray) -> float:
    """Pearson's statistic against equal expected counts."""
    counts = np.asarray(observed, dtype=float)
    expected = counts.sum() / len(counts)
    return float(((counts - expected) ** 2 / expected).sum())


def test_a_permutation_holds_every_position_once() -> None:
    for count in (0, 1, 2, 7, 5000):
        order = secret_permutation(count)
        assert sorted(order.tolist()) == list(range(count))


def test_every_ordering_of_three_is_equally_likely() -> None:
    """Chi-square over the 6 orderings of 3 items (60,000 draws): a biased shuffle fails."""
    draws = Counter(tuple(secret_permutation(3).tolist()) for _ in range(60_000))
    observed = [draws[p] for p in itertools.permutations(range(3))]
    assert sum(observed) == 60_000
    assert chi_square(observed) < CHI2_5_CRITICAL


def test_each_item_lands_anywhere_uniformly() -> None:
    """Where item 0 of 10 ends up, over 20,000 shuffles: uniform over the 10 places."""
    places = np.zeros(10, dtype=np.int64)
    for _ in range(20_000):
        places[shuffled(list(range(10))).index(0)] += 1
    assert chi_square(places) < CHI2_9_CRITICAL


def test_two_shuffles_of_a_long_list_differ() -> None:
    """No fixed seed: two shuffles of 1,000 items agree on an ordering with negligible chance."""
    items = list(range(1000))
    assert shuffled(items) != shuffled(items)
    assert sorted(shuffled(items)) == items
