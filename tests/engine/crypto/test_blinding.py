"""Tests of join-key hashing and blinding (engine.crypto.blinding)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from nacl.bindings import (
    crypto_core_ed25519_add,
    crypto_core_ed25519_from_uniform,
    crypto_core_ed25519_is_valid_point,
    crypto_core_ed25519_scalar_mul,
)

from engine.crypto.blinding import (
    IDENTITY_POINT,
    BlindingKey,
    JoinKey,
    check_points,
    hash_many_to_group,
    hash_to_group,
)
from engine.errors import ConfigError, CryptoError, InputError, IntegrityError

PHONE = "+819012345678"
# A point of order 2 ((0, -1)); adding it to a subgroup point leaves the prime-order subgroup.
ORDER_TWO_POINT = (2**255 - 19 - 1).to_bytes(32, "little")


def key(
    id_e164: str = PHONE, period: str = "2025-08-01", domain: str = "crossmesh/test"
) -> JoinKey:
    """A join key with defaults, so each test varies only what it is about."""
    return JoinKey(domain=domain, id_e164=id_e164, period=period)


def test_hash_to_group_is_pinned() -> None:
    """The hash of a fixed key never changes (stored blinded partitions depend on it)."""
    assert hash_to_group(key()).hex() == (
        "c0ba5262ba9364dde0cba72b0616c1e3820046577da310fd4491fc0cd9832f8c"
    )


def test_hash_output_is_a_valid_subgroup_point() -> None:
    """H(k) is a canonical, non-identity point of the prime-order subgroup."""
    for number in ("+819012345678", "+818011112222", "+15551234567"):
        point = hash_to_group(key(number))
        assert crypto_core_ed25519_is_valid_point(point)
        assert point != IDENTITY_POINT


def test_double_blinding_commutes() -> None:
    """(H^a)^c == (H^c)^a, and equals H^(a·c)."""
    airline, carrier = BlindingKey.generate(), BlindingKey.generate()
    points = hash_many_to_group([key(f"+8190{i:08d}") for i in range(20)])
    via_airline = carrier.blind(airline.blind(points))
    via_carrier = airline.blind(carrier.blind(points))
    combined = BlindingKey(crypto_core_ed25519_scalar_mul(airline.scalar, carrier.scalar))
    assert via_airline == via_carrier == combined.blind(points)


def test_distinct_keys_periods_and_domains_give_distinct_points() -> None:
    """Changing any one field of the join key changes the point; equal keys agree."""
    variants = [
        key(),
        key(id_e164="+819012345679"),
        key(period="2025-08-02"),
        key(period="2025-08"),
        key(domain="crossmesh/other"),
    ]
    points = [hash_to_group(k) for k in variants]
    assert len(set(points)) == len(points)
    assert hash_to_group(key()) == points[0]


def test_field_boundaries_are_unambiguous() -> None:
    """Moving characters between fields cannot produce the same encoding."""
    assert key(domain="ab", period="2025-08").encode() != key(domain="a", period="2025-08").encode()
    assert len({k.encode() for k in (key(), key(period="2025-08"))}) == 2


def test_blinded_output_hides_the_input() -> None:
    """Neither the hash nor its blinding contains the ID, and blinding changes the point."""
    blinding = BlindingKey.generate()
    point = hash_to_group(key())
    blinded = blinding.blind([point])[0]
    digits = PHONE.encode()
    assert digits not in point and digits not in blinded and digits[1:] not in blinded
    assert blinded != point
    assert blinded != BlindingKey.generate().blind([point])[0]


def test_blind_keys_matches_hash_then_blind() -> None:
    """blind_keys is exactly blind(hash_many_to_group(keys))."""
    blinding = BlindingKey.generate()
    keys = [key(f"+8180{i:08d}") for i in range(5)]
    assert blinding.blind_keys(keys) == blinding.blind(hash_many_to_group(keys))


def test_threaded_blinding_gives_the_same_result_in_order() -> None:
    """workers=2 returns the same points, in the same order, as one thread."""
    blinding = BlindingKey.generate()
    points = hash_many_to_group([key(f"+8170{i:08d}") for i in range(600)], workers=2)
    assert points == hash_many_to_group([key(f"+8170{i:08d}") for i in range(600)])
    assert blinding.blind(points, workers=2) == blinding.blind(points)


@pytest.mark.parametrize(
    "bad_point",
    [
        IDENTITY_POINT,
        ORDER_TWO_POINT,
        bytes(31),
        "not bytes",
    ],
    ids=["identity", "small-order", "short", "not-bytes"],
)
def test_blind_rejects_invalid_points(bad_point: object) -> None:
    """Identity, small-order and malformed points raise CryptoError naming the position."""
    good = hash_to_group(key())
    with pytest.raises(CryptoError, match="position 1"):
        BlindingKey.generate().blind([good, bad_point])  # type: ignore[list-item]
    with pytest.raises(CryptoError):
        check_points([good, bad_point])  # type: ignore[list-item]


def test_blind_rejects_points_outside_the_prime_order_subgroup() -> None:
    """A subgroup point plus a small-order component is refused, by blind and by check_points."""
    mixed = crypto_core_ed25519_add(
        crypto_core_ed25519_from_uniform(bytes(range(32))), ORDER_TWO_POINT
    )
    with pytest.raises(CryptoError):
        BlindingKey.generate().blind([mixed])
    with pytest.raises(CryptoError):
        check_points([mixed])
    check_points([hash_to_group(key())])


def test_invalid_join_keys_are_refused_without_echoing_the_id() -> None:
    """A non-E.164 ID raises InputError naming the field, not the number."""
    with pytest.raises(InputError) as caught:
        key(id_e164="09012345678")
    assert caught.value.field == "id_e164" and "09012345678" not in str(caught.value)
    assert "+8190" not in repr(key())
    for bad in ({"period": "2025-13"}, {"period": "2025-02-30"}, {"domain": "Bad Tag"}):
        with pytest.raises(InputError):
            key(**bad)


def test_key_file_is_private_and_round_trips(tmp_path: Path) -> None:
    """save writes mode 0600; load returns the same scalar; repr hides it."""
    blinding = BlindingKey.generate()
    path = tmp_path / "keys" / "blinding.json"
    blinding.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert BlindingKey.load(path) == blinding
    assert blinding.scalar.hex() not in repr(blinding)


def test_load_refuses_shared_missing_or_corrupt_files(tmp_path: Path) -> None:
    """A group-readable file is a ConfigError, a missing one too, a corrupt one IntegrityError."""
    path = tmp_path / "blinding.json"
    with pytest.raises(ConfigError):
        BlindingKey.load(path)
    BlindingKey.generate().save(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        BlindingKey.load(path)
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(IntegrityError):
        BlindingKey.load(path)


def test_scalars_must_be_reduced_and_non_zero() -> None:
    """The zero scalar and scalars not reduced mod L are refused."""
    with pytest.raises(CryptoError):
        BlindingKey(bytes(32))
    with pytest.raises(CryptoError):
        BlindingKey(b"\xff" * 32)
    with pytest.raises(CryptoError):
        BlindingKey(b"\x01" * 31)
