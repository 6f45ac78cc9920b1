"""Tests of the side-channel noise (engine.dp.side_channels): dummy coins and padding.

The accounting is checked against brute-force enumeration and against the Gaussian it approximates.
The draws cannot be seeded (secrets, OpenDP), so the sampling tests are statistical; each states its
tolerance and the probability that a correct implementation fails it, and most also show that the
same statistic rejects a deliberately wrong alternative.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
import pytest

from engine.dp import side_channels
from engine.dp.accounting import zcdp_to_epsilon
from engine.dp.bounds import ContributionBounds
from engine.dp.mechanisms import NoiseMechanism
from engine.dp.side_channels import DummyCoins, PaddingNoise, dummy_count
from foundation.errors import ConfigError, InputError

COINS = 200_000
# Hoeffding: P(|heads − n/2| ≥ t) ≤ 2·exp(−2t²/n) = 9e-8 for t = 1 300, n = 200 000.
COIN_TOLERANCE = 1_300
DRAWS = 20_000  # OpenDP draws ~80 000 discrete Gaussians a second on these machines
EXAMPLE = PaddingNoise(rho=0.01, l2_sensitivity=31.0)  # DESIGN's scope size: 31 days a month
SMALL = PaddingNoise(rho=0.5, l2_sensitivity=1.0, delta_tail=0.05)  # σ = 1, shift 2


def binomial_pmf(m: int) -> np.ndarray:
    """P[Binomial(m, ½) = j] for j = 0…m, from exact integers."""
    return np.array([math.comb(m, j) / 2**m for j in range(m + 1)])


def brute_force_delta(m: int, groups: int, shift: int, epsilon: float) -> float:
    """δ(ε) by enumerating every outcome vector of ``groups`` counts, both directions."""
    pmf = binomial_pmf(m)
    plain = np.concatenate((pmf, np.zeros(shift)))  # P[X = x], x = 0…m + shift
    shifted = np.concatenate((np.zeros(shift), pmf))  # P[X + shift = x]
    deltas = []
    for p, q in ((shifted, plain), (plain, shifted)):
        joint_p, joint_q = p, q
        for _ in range(groups - 1):
            joint_p, joint_q = np.multiply.outer(joint_p, p), np.multiply.outer(joint_q, q)
        deltas.append(float(np.maximum(joint_p - math.exp(epsilon) * joint_q, 0).sum()))
    return max(deltas)


def gaussian_delta(rho: float, epsilon: float) -> float:
    """Exact δ(ε) of the Gaussian mechanism with Δ/σ = √(2ρ) (Balle & Wang 2018, Thm 8)."""
    mu = math.sqrt(2 * rho)

    def cdf(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2))

    return cdf(mu / 2 - epsilon / mu) - math.exp(epsilon) * cdf(-mu / 2 - epsilon / mu)


def discrete_gaussian_pmf(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Support |z| ≤ 14σ + 2 and the normalised discrete Gaussian pmf on it."""
    reach = math.ceil(14 * sigma) + 2
    support = np.arange(-reach, reach + 1)
    weights = np.exp(-(support.astype(np.float64) ** 2) / (2 * sigma * sigma))
    return support, weights / weights.sum()


def exact_lower_tail(sigma: float, shift: int) -> float:
    """P[Z < −shift] of the discrete Gaussian, summed from its pmf."""
    support, pmf = discrete_gaussian_pmf(sigma)
    return float(pmf[support < -shift].sum())


def is_fair(coins: np.ndarray) -> bool:
    """Whether the number of heads is within COIN_TOLERANCE of half."""
    return abs(int(coins.sum()) - coins.size / 2) < COIN_TOLERANCE


@pytest.fixture(scope="module")
def coins() -> np.ndarray:
    """200 000 coins from DummyCoins.flip."""
    return DummyCoins.flip(COINS)


@pytest.fixture(scope="module")
def example_draws() -> np.ndarray:
    """20 000 paddings at ρ = 0.01, sensitivity 31 (σ ≈ 219, shift 1 315)."""
    return EXAMPLE.sample(DRAWS)


@pytest.fixture(scope="module")
def small_draws() -> np.ndarray:
    """20 000 paddings at σ = 1, shift 2: often clamped."""
    return SMALL.sample(DRAWS)


@pytest.fixture
def tiny_exact_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Force the rounded (grid) composition past 1 000 atoms, with a fresh PLD cache."""
    side_channels._directions.cache_clear()
    monkeypatch.setattr(side_channels, "_EXACT_ATOMS", 1_000)
    yield
    side_channels._directions.cache_clear()


# --- dummy_count ------------------------------------------------------------------------------


def test_dummy_count_of_the_design_example() -> None:
    """3 groups of 1 key at ρ = 0.005 need 1 200 dummies per group, and 1 199 would not do."""
    assert dummy_count(3, 1, 0.005) == 1200
    assert 2 * 3 / 1199 > 0.005


def test_dummy_count_is_monotone() -> None:
    """m falls as ρ grows and rises with the groups and keys a person may have."""
    counts = [dummy_count(3, 1, rho) for rho in (0.001, 0.005, 0.02, 0.1, 1.0)]
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == len(counts)
    assert dummy_count(2, 1, 0.01) < dummy_count(3, 1, 0.01) < dummy_count(3, 2, 0.01)
    assert dummy_count(1, 1, 1e6) == 1


@pytest.mark.parametrize(
    ("groups", "keys", "rho", "named", "bad"),
    [
        (3, 1, -1, "rho", "-1"),
        (3, 1, 0.0, "rho", "0.0"),
        (3, 1, math.nan, "rho", "nan"),
        (3, 1, "0.1", "rho", "'0.1'"),
        (0, 1, 0.1, "groups_per_person", "0"),
        (True, 1, 0.1, "groups_per_person", "True"),
        (2.0, 1, 0.1, "groups_per_person", "2.0"),
        (3, -2, 0.1, "keys_per_group", "-2"),
    ],
)
def test_dummy_count_rejects_bad_inputs(
    groups: object, keys: object, rho: object, named: str, bad: str
) -> None:
    """A bad ρ, group count or key count raises InputError naming the field and the value."""
    with pytest.raises(InputError, match=named) as raised:
        dummy_count(groups, keys, rho)  # type: ignore[arg-type]
    assert str(raised.value).endswith(f"not {bad}")


# --- DummyCoins accounting --------------------------------------------------------------------


def test_rho_is_the_gaussian_approximation() -> None:
    """ρ = 2·g·k²/m, and for_rho builds the coins of dummy_count."""
    assert DummyCoins(1200, 3, 1).rho == pytest.approx(0.005, rel=1e-15)
    assert DummyCoins(500, 2, 3).rho == pytest.approx(2 * 2 * 9 / 500, rel=1e-15)
    assert DummyCoins.for_rho(3, 1, 0.005) == DummyCoins(1200, 3, 1)


def test_delta_decreases_with_epsilon() -> None:
    """δ(ε) falls strictly with ε while it is above the infinite-loss mass."""
    coins = DummyCoins(1200, 3, 1)
    deltas = [coins.delta(epsilon) for epsilon in np.arange(0.0, 1.0, 0.05)]
    assert all(later < earlier for earlier, later in itertools.pairwise(deltas))
    assert 0 < deltas[-1] < 1e-12


def test_delta_is_close_to_the_gaussian_of_the_same_rho() -> None:
    """At the ε that zCDP gives for ρ = 0.005, δ is within 20 % of the Gaussian's exact δ.

    Bin(1 200, ½) is close to the normal of variance 300 (its privacy loss differs from the
    Gaussian's only in third-order terms), so the two δ agree closely (the ratio is ≈ 1.03); a
    missing group in the composition, a wrong shift or a wrong direction moves δ by orders of
    magnitude, which the last asserts show this band rejects.
    """
    coins = DummyCoins(1200, 3, 1)
    epsilon = zcdp_to_epsilon(coins.rho, 1e-6)
    reference = gaussian_delta(coins.rho, epsilon)
    assert 0.8 < coins.delta(epsilon) / reference < 1.25
    assert coins.delta(epsilon) < 1e-6  # here the binomial stays within the zCDP conversion
    for wrong in (DummyCoins(1200, 1, 1), DummyCoins(1200, 3, 2), DummyCoins(400, 3, 1)):
        assert not 0.8 < wrong.delta(epsilon) / reference < 1.25


def test_a_few_dummies_are_weak_approximate_dp() -> None:
    """With m = 4 a count of real + 5 exposes the person with probability 1/16 at any ε."""
    coins = DummyCoins(4, 1, 1)
    assert coins.delta(50.0) == pytest.approx(1 / 16, rel=1e-12)
    # The Gaussian approximation ρ = 0.5 would claim ε ≈ 5.2 at δ = 1e-6.
    assert coins.delta(zcdp_to_epsilon(coins.rho, 1e-6)) > 0.06
    with pytest.raises(ConfigError, match="cannot reach delta 1e-06"):
        coins.epsilon(1e-6)


@pytest.mark.parametrize(
    ("m", "groups", "keys"), [(6, 1, 1), (7, 2, 1), (5, 2, 2), (9, 1, 3), (100, 3, 1)]
)
@pytest.mark.parametrize("epsilon", [0.0, 0.3, 1.0, 2.5])
def test_delta_matches_brute_force(m: int, groups: int, keys: int, epsilon: float) -> None:
    """delta() equals δ summed over every outcome vector (m = 100 also exercises the pruning)."""
    expected = brute_force_delta(m, groups, keys, epsilon)
    assert DummyCoins(m, groups, keys).delta(epsilon) == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )


@pytest.mark.usefixtures("tiny_exact_limit")
def test_rounded_composition_is_pessimistic_and_tight() -> None:
    """On the loss grid δ is never below the exact one, nor above it at ε − 2 grid steps."""
    for epsilon in (0.2, 0.5, 1.0):
        rounded = DummyCoins(100, 3, 1).delta(epsilon)
        exact = brute_force_delta(100, 3, 1, epsilon)
        assert exact <= rounded <= brute_force_delta(100, 3, 1, epsilon - 2 * side_channels._GRID)


def test_epsilon_inverts_delta() -> None:
    """ε(1e-6) is the smallest ε with δ ≤ 1e-6, and tighter than the zCDP conversion of ρ."""
    coins = DummyCoins(1200, 3, 1)
    epsilon = coins.epsilon(1e-6)
    assert coins.delta(epsilon) <= 1e-6 < coins.delta(epsilon - 1e-6)
    assert 0.3 < epsilon < zcdp_to_epsilon(coins.rho, 1e-6)
    assert DummyCoins(1200, 1, 1).epsilon(0.9) == 0.0


def test_coins_reject_bad_arguments() -> None:
    """A zero m, a negative ε and a δ outside (0, 1) raise InputError naming the value."""
    with pytest.raises(InputError, match="per_group must be a positive integer, not 0"):
        DummyCoins(0, 3, 1)
    with pytest.raises(InputError, match="epsilon must be non-negative, not -1"):
        DummyCoins(10, 1, 1).delta(-1)
    for delta in (0, 1.5):
        with pytest.raises(InputError, match=f"delta must be .*, not {delta}"):
            DummyCoins(10, 1, 1).epsilon(delta)


# --- DummyCoins.flip --------------------------------------------------------------------------


def test_flip_is_fair(coins: np.ndarray) -> None:
    """Heads are within 1 300 of 100 000 in 200 000 coins (fails a fair source w.p. < 1e-7)."""
    assert coins.dtype == np.bool_ and coins.shape == (COINS,)
    assert is_fair(coins)
    biased = coins.copy()
    biased[: COINS // 50] = True  # 51 % heads on average: 2 000 too many
    assert not is_fair(biased)


def test_flip_has_no_serial_pattern(coins: np.ndarray) -> None:
    """XORs of neighbouring coins are fair coins too (same bound), so neighbours are unrelated."""
    assert is_fair(coins[1:] ^ coins[:-1])
    assert not is_fair(
        np.repeat(coins[: COINS // 2], 2)[1:] ^ np.repeat(coins[: COINS // 2], 2)[:-1]
    )


def test_flip_sizes() -> None:
    """Any count works, including 0 and counts that are not whole bytes; a bad count raises."""
    assert DummyCoins.flip(0).shape == (0,)
    assert DummyCoins.flip(13).shape == (13,)
    with pytest.raises(InputError, match="count must be a non-negative integer, not -1"):
        DummyCoins.flip(-1)


# --- PaddingNoise -----------------------------------------------------------------------------


def test_padding_of_the_design_example() -> None:
    """ρ = 0.01 at sensitivity 31: σ = 31/√0.02 ≈ 219.2, and OpenDP's own map agrees."""
    assert EXAMPLE.scale == pytest.approx(31 / math.sqrt(0.02), rel=1e-6)
    assert NoiseMechanism("gaussian", EXAMPLE.scale, ContributionBounds(1, 31, 1)).cost <= 0.01
    assert EXAMPLE.delta == 1e-9
    assert EXAMPLE.shift == pytest.approx(6.0 * EXAMPLE.scale, rel=0.01)


@pytest.mark.parametrize("padding", [EXAMPLE, SMALL, PaddingNoise(2.0, 3.0, 1e-4)])
def test_shift_is_sound_and_nearly_minimal(padding: PaddingNoise) -> None:
    """The exact P[Z < −shift] is ≤ delta_tail, and shift − 2 would break it (≤ 1 step slack)."""
    assert exact_lower_tail(padding.scale, padding.shift) <= padding.delta_tail
    if padding.shift >= 2:
        assert exact_lower_tail(padding.scale, padding.shift - 2) > padding.delta_tail
    assert SMALL.shift == 2


def test_shift_grows_as_delta_tail_shrinks() -> None:
    """A smaller tail probability needs a larger shift."""
    shifts = [PaddingNoise(0.01, 31.0, tail).shift for tail in (1e-3, 1e-6, 1e-9, 1e-12)]
    assert shifts == sorted(shifts) and len(set(shifts)) == len(shifts)


def test_scale_grows_as_rho_shrinks() -> None:
    """A smaller ρ needs a larger σ, and σ = Δ/√(2ρ)."""
    scales = [PaddingNoise(rho, 5.0).scale for rho in (1.0, 0.1, 0.01, 0.001)]
    assert scales == sorted(scales) and len(set(scales)) == len(scales)
    assert scales[2] == pytest.approx(5 / math.sqrt(0.02), rel=1e-6)


def test_samples_are_never_negative(example_draws: np.ndarray, small_draws: np.ndarray) -> None:
    """Padding is a number of records: every draw is an int64 ≥ 0, even when clamping is common."""
    for draws in (example_draws, small_draws):
        assert draws.dtype == np.int64 and draws.shape == (DRAWS,)
        assert draws.min() >= 0
    assert PaddingNoise(0.01, 31.0).sample(0).shape == (0,)


def test_mean_is_the_shift(example_draws: np.ndarray) -> None:
    """The mean is within 6.5·σ/√n of shift (sub-Gaussian bound: fails w.p. < 2e-9)."""
    tolerance = 6.5 * EXAMPLE.scale / math.sqrt(DRAWS)
    assert abs(example_draws.mean() - EXAMPLE.shift) < tolerance
    assert EXAMPLE.shift <= EXAMPLE.expected() < EXAMPLE.shift + 1e-6
    assert abs(example_draws.mean() - (EXAMPLE.shift + 0.5 * EXAMPLE.scale)) > tolerance


def test_std_is_the_scale(example_draws: np.ndarray) -> None:
    """The sample std is within 3.5 % of σ: 7 standard errors of √(1/2n) = 0.5 %; 10 % off fails."""
    ratio = example_draws.std(ddof=1) / EXAMPLE.scale
    assert abs(ratio - 1) < 0.035
    assert abs(ratio / 1.1 - 1) > 0.035


def test_clamped_share_matches_the_tail(small_draws: np.ndarray) -> None:
    """At σ = 1, shift 2 the share of zeros is P[Z ≤ −2] ± 0.012 (Bernstein: fails w.p. < 1e-10).

    Zeros are the clamped draws (P[Z < −2] ≤ delta_tail) plus Z = −2 exactly.
    """
    support, pmf = discrete_gaussian_pmf(SMALL.scale)
    at_zero = float(pmf[support <= -SMALL.shift].sum())
    share = float(np.mean(small_draws == 0))
    assert abs(share - at_zero) < 0.012
    assert share < SMALL.delta_tail + float(pmf[support == -SMALL.shift][0]) + 0.012
    expected = float(np.dot(np.maximum(support + SMALL.shift, 0), pmf))
    assert expected <= SMALL.expected() < expected + 0.05


def test_guarantee_adds_the_clamp_delta() -> None:
    """(ε, δ) of c padded values: ε from ρ, δ plus (1 + e^ε)·c·delta_tail."""
    epsilon, delta = EXAMPLE.guarantee(3, 1e-6)
    assert epsilon == zcdp_to_epsilon(0.01, 1e-6)
    assert delta == pytest.approx(1e-6 + (1 + math.exp(epsilon)) * 3e-9)


def test_padding_rejects_bad_arguments() -> None:
    """A non-positive ρ or sensitivity and a delta_tail outside (0, 1) raise InputError."""
    with pytest.raises(InputError, match="rho must be positive and finite, not -1"):
        PaddingNoise(-1, 31.0)
    with pytest.raises(InputError, match="l2_sensitivity"):
        PaddingNoise(0.01, 0.0)
    with pytest.raises(InputError, match="delta_tail must be below 1, not 1"):
        PaddingNoise(0.01, 31.0, 1)
    with pytest.raises(InputError, match=r"count must be a non-negative integer, not 2\.5"):
        EXAMPLE.sample(2.5)  # type: ignore[arg-type]
