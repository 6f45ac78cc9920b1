"""Tests of join-key hashing and blinding (engine.crypto.blinding)."""

from __future__ import annotations

import pytest
from nacl.bindings import (
    crypto_core_ed25519_is_valid_point,
    crypto_scalarmult_ed25519_base_noclamp,
    crypto_sign_ed25519_pk_to_curve25519,
)

from engine.crypto.blinding import (
    BlindingKey,
    JoinKey,
    _hash_point,
    check_points,
    hash_many_to_group,
    hash_to_group,
    montgomery_u,
    random_point,
    random_points,
)
from foundation.errors import CryptoError, InputError

PHONE = "+819012345678"
# Montgomery u-coordinates of small order: 0 (order 4 / identity image), 1 (order... 2-torsion).
SMALL_ORDER_U = (bytes(32), (1).to_bytes(32, "little"))


def key(
    id_e164: str = PHONE, period: str = "2025-08-01", domain: str = "crossmesh/test"
) -> JoinKey:
    """A join key with defaults, so each test varies only what it is about."""
    return JoinKey(domain=domain, id_e164=id_e164, period=period)


def test_hash_to_group_is_pinned() -> None:
    """The hash of a fixed key never changes (stored blinded partitions depend on it)."""
    assert hash_to_group(key()).hex() == (
        "26c00796d5fb0401110f8da698b56894468ab4c1115dd7d4c5d7151a90f0302b"
    )


def test_montgomery_u_equals_libsodiums_conversion() -> None:
    """Our u = (1 + y)/(1 − y) is byte for byte libsodium's, on map outputs and base multiples."""
    points = [_hash_point(key(f"+8190{n:08d}")) for n in range(500)]
    points += [
        crypto_scalarmult_ed25519_base_noclamp(n.to_bytes(32, "little")) for n in range(1, 200)
    ]
    for point in points:
        assert montgomery_u(point) == crypto_sign_ed25519_pk_to_curve25519(point)


def test_hash_output_comes_from_a_valid_subgroup_point() -> None:
    """H(k) is the canonical Montgomery u of a prime-order edwards25519 point."""
    for number in ("+819012345678", "+818011112222", "+15551234567"):
        edwards = _hash_point(key(number))
        assert crypto_core_ed25519_is_valid_point(edwards)
        point = hash_to_group(key(number))
        assert len(point) == 32 and point[-1] < 0x80 and point not in SMALL_ORDER_U


def test_double_blinding_commutes() -> None:
    """(H^a)^c == (H^c)^a, and distinct keys stay distinct."""
    airline, carrier = BlindingKey.generate(), BlindingKey.generate()
    points = hash_many_to_group([key(f"+8190{i:08d}") for i in range(20)])
    via_airline = carrier.blind(airline.blind(points))
    via_carrier = airline.blind(carrier.blind(points))
    assert via_airline == via_carrier
    assert len(set(via_airline)) == len(points)


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
    [*SMALL_ORDER_U, b"\xff" * 32, bytes(31), "not bytes"],
    ids=["u0", "u1", "non-canonical", "short", "not-bytes"],
)
def test_blind_rejects_invalid_points(bad_point: object) -> None:
    """Small-order, non-canonical and malformed points raise CryptoError naming the position."""
    good = hash_to_group(key())
    with pytest.raises(CryptoError, match="position 1"):
        BlindingKey.generate().blind([good, bad_point])  # type: ignore[list-item]


def test_check_points_refuses_malformed_encodings() -> None:
    """check_points accepts hashed and random points and refuses malformed bytes."""
    check_points([hash_to_group(key()), random_point()])
    for bad in (b"\xff" * 32, bytes(31)):
        with pytest.raises(CryptoError):
            check_points([bad])


def test_random_points_and_blinded_points_look_alike() -> None:
    """Random points are canonical 32-byte encodings like blinded ones, and all distinct."""
    points = [random_point() for _ in range(200)]
    assert len(set(points)) == 200 and all(p[-1] < 0x80 for p in points)


def test_invalid_join_keys_are_refused_without_echoing_the_id() -> None:
    """A non-E.164 ID raises InputError naming the field, not the number."""
    with pytest.raises(InputError) as caught:
        key(id_e164="09012345678")
    assert caught.value.field == "id_e164" and "09012345678" not in str(caught.value)
    assert "+8190" not in repr(key())
    for bad in ({"period": "2025-13"}, {"period": "2025-02-30"}, {"domain": "Bad Tag"}):
        with pytest.raises(InputError):
            key(**bad)


def test_scalars_are_32_bytes_and_fresh() -> None:
    """A scalar of another length is refused; two generated scalars differ and are not shown."""
    with pytest.raises(CryptoError):
        BlindingKey(b"\x01" * 31)
    first, second = BlindingKey.generate(), BlindingKey.generate()
    assert first != second and first.scalar.hex() not in repr(first)


def test_blinding_groups_as_one_batch_equals_blinding_each_group() -> None:
    scalar = BlindingKey.generate()
    groups = [
        [hash_to_group(key(f"+8190{g:04d}{j:04d}")) for j in range(n)]
        for g, n in enumerate((0, 3, 600, 1))
    ]
    batched = scalar.blind_groups(groups, workers=2)
    assert batched == [scalar.blind(group) for group in groups]


def test_random_points_are_distinct_valid_points_on_threads() -> None:
    points = random_points(1200, workers=2)
    assert len(set(points)) == 1200
    check_points(points)
