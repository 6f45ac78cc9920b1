"""Tests of the slot-packing codec (engine.crypto.packing), on plaintext integers."""

from __future__ import annotations

import numpy as np
import pytest

from engine.crypto.packing import SlotCodec
from engine.errors import ConfigError, CryptoError, InputError

RNG_SEED = 20250801


def add_plaintexts(*packed: list[int]) -> list[int]:
    """What homomorphic addition does to plaintexts (the sums stay far below n)."""
    return [sum(column) for column in zip(*packed, strict=True)]


@pytest.mark.parametrize(
    ("modulus_bits", "slot_bits", "slots"),
    [(1024, 32, 30), (2048, 32, 62), (3072, 32, 94), (2048, 16, 125), (2048, 48, 41)],
)
def test_slot_counts_follow_the_key_size(modulus_bits: int, slot_bits: int, slots: int) -> None:
    """Slots per plaintext = ⌊(bits − 1 − margin)/slot_bits⌋ − 1 (one checksum field)."""
    assert SlotCodec(modulus_bits, slot_bits).slots_per_plaintext == slots


@pytest.mark.parametrize("slot_bits", [8, 16, 32, 56])
@pytest.mark.parametrize("length", [0, 1, 29, 30, 31, 200])
def test_round_trip_of_random_vectors(slot_bits: int, length: int) -> None:
    """pack then unpack returns the vector, for any length and slot width."""
    codec = SlotCodec(1024, slot_bits)
    rng = np.random.default_rng(RNG_SEED + length)
    vector = rng.integers(0, 2**slot_bits, size=length, dtype=np.uint64).astype(np.int64)
    if slot_bits == 56:
        vector[: min(length, 2)] = 2**56 - 1  # the largest count a slot holds
    plaintexts = codec.pack(vector)
    assert len(plaintexts) == codec.plaintexts_for(length)
    assert all(0 <= p < 2**1023 for p in plaintexts)
    decoded = codec.unpack(plaintexts, length=length)
    assert decoded.dtype == np.int64
    np.testing.assert_array_equal(decoded, vector)


def test_sum_of_many_vectors_plus_signed_noise() -> None:
    """Σ packed counts + two packed noise vectors decodes to Σ counts + Σ noise."""
    codec = SlotCodec(2048, 32)
    rng = np.random.default_rng(RNG_SEED)
    counts = rng.integers(0, 1000, size=(300, 150))
    noises = rng.integers(-(2**20), 2**20, size=(2, 150))
    packed = [*codec.pack_many(counts), codec.pack_noise(noises[0]), codec.pack_noise(noises[1])]
    total = add_plaintexts(*packed)
    decoded = codec.unpack(total, offsets_added=2, length=150)
    np.testing.assert_array_equal(decoded, counts.sum(axis=0) + noises.sum(axis=0))


def test_negative_totals_decode_exactly() -> None:
    """Noise larger than the counts gives a negative slot value, not an error."""
    codec = SlotCodec(1024, 16)
    total = add_plaintexts(codec.pack([3, 0, 5]), codec.pack_noise([-7, -codec.noise_offset, 2]))
    np.testing.assert_array_equal(
        codec.unpack(total, offsets_added=1, length=3), [-4, -codec.noise_offset, 7]
    )


def test_pack_many_matches_pack_row_by_row() -> None:
    """The vectorised path packs each row exactly as pack does."""
    codec = SlotCodec(1024, 32)
    matrix = np.random.default_rng(RNG_SEED).integers(0, 2**31, size=(7, 65))
    assert codec.pack_many(matrix) == [codec.pack(row) for row in matrix]


@pytest.mark.parametrize("slot", [0, 5, 29], ids=["first", "middle", "last"])
def test_overflow_of_any_slot_is_detected(slot: int) -> None:
    """A slot total that reaches 2^w raises CryptoError instead of decoding wrong values."""
    codec = SlotCodec(1024, 16)
    vector = [0] * 30
    vector[slot] = 2**15
    with pytest.raises(CryptoError, match="overflowed"):
        codec.unpack(add_plaintexts(codec.pack(vector), codec.pack(vector)))


def test_overflow_is_detected_when_carries_could_cancel() -> None:
    """Carries out of the first and the last slot together are still detected."""
    codec = SlotCodec(1024, 8)
    vector = [0] * codec.slots_per_plaintext
    vector[0] = vector[-1] = 200
    with pytest.raises(CryptoError, match="overflowed"):
        codec.unpack(add_plaintexts(codec.pack(vector), codec.pack(vector)))


def test_noise_offset_overflow_is_detected() -> None:
    """Counts that fit alone but not with the noise offset are caught at decoding."""
    codec = SlotCodec(1024, 16)
    capacity = codec.capacity(offsets_added=1)
    fits = add_plaintexts(codec.pack([capacity - 1]), codec.pack_noise([0]))
    assert codec.unpack(fits, offsets_added=1, length=1)[0] == capacity - 1
    spills = add_plaintexts(codec.pack([capacity]), codec.pack_noise([0]))
    with pytest.raises(CryptoError):
        codec.unpack(spills, offsets_added=1)


def test_headroom_rule() -> None:
    """capacity is 2^w − k·B; ensure_headroom refuses totals at or above it."""
    codec = SlotCodec(2048, 32)
    assert codec.noise_offset == 2**30
    assert codec.capacity(1) == 2**32 - 2**30
    codec.ensure_headroom(2**32 - 2**30 - 1, offsets_added=1)
    with pytest.raises(CryptoError, match="slot"):
        codec.ensure_headroom(2**32 - 2**30, offsets_added=1)
    with pytest.raises(ConfigError):
        codec.capacity(4)


@pytest.mark.parametrize(
    ("method", "values"),
    [
        ("pack", [-1]),
        ("pack", [2**16]),
        ("pack_noise", [-(2**14) - 1]),
        ("pack_noise", [3 * 2**14]),
    ],
)
def test_values_that_do_not_fit_are_refused(method: str, values: list[int]) -> None:
    """Negative counts, counts ≥ 2^w and noise outside [−B, 2^w − B) raise CryptoError."""
    codec = SlotCodec(1024, 16)
    with pytest.raises(CryptoError, match="16-bit slot"):
        getattr(codec, method)(values)


def test_unpack_refuses_foreign_plaintexts() -> None:
    """A plaintext wider than the modulus, or negative, is refused."""
    codec = SlotCodec(1024, 32)
    with pytest.raises(CryptoError, match="wrong key"):
        codec.unpack([2**1024])
    with pytest.raises(CryptoError):
        codec.unpack([-1])


def test_bad_configuration_and_arguments() -> None:
    """Slot widths, margins and shapes are validated."""
    for bad in ({"slot_bits": 12}, {"slot_bits": 64}, {"margin_bits": -1}):
        with pytest.raises(ConfigError):
            SlotCodec(1024, **bad)
    with pytest.raises(ConfigError):
        SlotCodec(64, 32)
    with pytest.raises(InputError):
        SlotCodec(1024).pack_many(np.zeros(3, dtype=np.int64))
    with pytest.raises(InputError):
        SlotCodec(1024).unpack(SlotCodec(1024).pack([1]), length=31)
