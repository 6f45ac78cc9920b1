"""Group lanes (engine.crypto.lanes): indicators, pieces, Horner packing, checksums, headroom."""

from __future__ import annotations

import numpy as np
import pytest

from engine.crypto.lanes import LANE_BITS, LaneLayout
from foundation.errors import CryptoError

N_BITS = 2048


def test_lanes_fit_one_plaintext_until_84_fields() -> None:
    """83 groups and a checksum fill one 2048-bit plaintext; more are split into balanced pieces."""
    assert LaneLayout(N_BITS, 83).pieces[0].lanes == 83 and len(LaneLayout(N_BITS, 83).pieces) == 1
    split = LaneLayout(N_BITS, 108).pieces
    assert [p.lanes for p in split] == [54, 54] and split[1].start == 54
    assert LaneLayout(N_BITS, 3).pieces[0].slots_per_output == 21  # 84 fields / 4


def test_indicator_sets_its_lanes_and_counts_them() -> None:
    """A multi-hot indicator sets one lane per group and its checksum holds their number."""
    layout = LaneLayout(N_BITS, 5)
    [plaintext] = layout.indicator_plaintexts([0, 3])
    lanes = [(plaintext >> (LANE_BITS * i)) & ((1 << LANE_BITS) - 1) for i in range(6)]
    assert lanes == [1, 0, 0, 1, 0, 2]
    assert layout.indicator_plaintexts([]) == [0]


def test_plaintext_horner_and_unpack_round_trip() -> None:
    """Summed indicator plaintexts, shifted as Horner does, decode slot by slot with the noise."""
    layout = LaneLayout(N_BITS, 3)
    piece = layout.pieces[0]
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 1000, size=(30, 3))
    noise = rng.integers(-400, 400, size=(30, 3))
    per_slot = [
        int(c[0]) + (int(c[1]) << LANE_BITS) + (int(c[2]) << 2 * LANE_BITS) + (int(c.sum()) << 72)
        for c in counts
    ]
    packed = []
    for start in range(0, 30, piece.slots_per_output):
        value = 0
        for slot in per_slot[start : start + piece.slots_per_output]:
            value = (value << piece.block_bits) + slot
        packed.append(value)
    masks = layout.noise_plaintexts(piece, noise)
    decoded = layout.unpack(piece, [p + m for p, m in zip(packed, masks, strict=True)], 30)
    np.testing.assert_array_equal(decoded, counts + noise)


def test_a_sum_that_does_not_balance_is_refused() -> None:
    """One lane altered without its checksum (overflow or tampering) raises CryptoError."""
    layout = LaneLayout(N_BITS, 2)
    piece = layout.pieces[0]
    [mask] = layout.noise_plaintexts(piece, np.zeros((1, 2), np.int64))
    with pytest.raises(CryptoError, match="checksum"):
        layout.unpack(piece, [mask + 1], 1)


def test_headroom_refuses_sums_that_could_overflow() -> None:
    """A scope too large for 24-bit lanes is refused before anything is computed."""
    layout = LaneLayout(N_BITS, 3)
    layout.ensure_headroom(100_000, 3, 500)
    with pytest.raises(CryptoError, match="lanes"):
        layout.ensure_headroom(5_000_000, 3, 500)
    with pytest.raises(CryptoError):
        layout.ensure_headroom(10, 1, 1 << 22)


def test_noise_outside_its_offset_is_refused() -> None:
    """Noise below −B cannot be packed (it would borrow from the next lane)."""
    layout = LaneLayout(N_BITS, 1)
    with pytest.raises(CryptoError):
        layout.noise_plaintexts(layout.pieces[0], np.array([[-(1 << 22) - 1]]))


def test_fitting_picks_the_narrowest_lanes_the_bounds_allow() -> None:
    """Small scopes get 16-bit lanes; pre-boarding's 108 groups fit one piece at 17 bits."""
    n = (1 << 2047) + 1
    small = LaneLayout.fitting(n, 3, 10_000, 300)
    assert small.lane_bits == 16 and small.pieces[0].slots_per_output == 126 // 4
    preboarding = LaneLayout.fitting(n, 108, 73_728, 700)
    assert preboarding.lane_bits == 17 and len(preboarding.pieces) == 1
    assert LaneLayout.fitting(n, 3, 5_000_000, 300).lane_bits == 23
    with pytest.raises(CryptoError):
        LaneLayout.fitting(n, 3, 20_000_000, 300)


def test_narrow_lanes_round_trip_with_noise() -> None:
    """At 16 bits, packed sums plus noise decode exactly, checksums included."""
    layout = LaneLayout(N_BITS, 2, 16)
    piece = layout.pieces[0]
    counts = np.array([[5, 7], [0, 3000]])
    noise = np.array([[-40, 12], [300, -299]])
    per_slot = [int(c[0]) + (int(c[1]) << 16) + (int(c.sum()) << 32) for c in counts]
    packed = (per_slot[0] << piece.block_bits) + per_slot[1]
    [mask] = layout.noise_plaintexts(piece, noise)
    np.testing.assert_array_equal(layout.unpack(piece, [packed + mask], 2), counts + noise)
