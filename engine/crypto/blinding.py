"""Blinded join keys: hash a person-period to the curve, then raise it to a fresh secret scalar.

The private join (DESIGN §3) compares IDs that neither party may see in the other's hands. Each
join key ``k = (domain tag, E.164 phone number, period)`` is first mapped to a point ``H(k)`` of the
prime-order subgroup of Curve25519, then *blinded* by scalar multiplication with a party's secret
scalar: because scalar multiplication commutes, ``(H(k)^a)^c == (H(k)^c)^a`` lets the parties match
doubly blinded points without learning anything about the keys that did not match. This is the
Diffie–Hellman PSI of Huberman, Franklin and Hogg (EC 1999) and of Google's Private Join and
Compute; its security rests on Decisional Diffie–Hellman in the group and on ``H`` behaving as a
random oracle. Protocol v2 draws both scalars fresh for every query, so nothing links two queries.

**Why a random-oracle hash, and how.** A phone number has little entropy: if ``H`` were public and
invertible, or its image structured, a party holding ``H(k)^c`` could test guesses. The blinding
scalar is what stops dictionary attacks; ``H`` must only not weaken it. libsodium's
``crypto_core_ed25519_from_uniform`` is the Elligator 2 map onto edwards25519, multiplied by the
cofactor so that its output is always in the prime-order subgroup. One map alone covers only about
half the group, non-uniformly, so — as RFC 9380's ``hash_to_curve`` does — we map two independent
32-byte halves of a 64-byte BLAKE2b digest and add the points; the sum is indifferentiable from a
random oracle (Brier et al., CRYPTO 2010; Farashahi et al., Math. Comp. 2013). The digest is
keyed by a fixed personalisation string and hashes a length-prefixed encoding of the three fields
(domain separation). The point is then carried to the birationally equivalent Montgomery curve as
its ``u``-coordinate ``u = (1 + y) / (1 − y)``, where blinding is cheapest. We compute ``u`` from
the encoded ``y`` ourselves (one inversion with ``gmpy2``, 3 µs): libsodium's
``crypto_sign_ed25519_pk_to_curve25519`` gives the same bytes (tested) but first checks that the
point is in the prime-order subgroup, a scalar multiplication (61 µs, the largest part of the
hash) that the cofactor-cleared maps make redundant.

**Blinding** is X25519 (``crypto_scalarmult``, RFC 7748) with a uniformly random 32-byte scalar:
the Montgomery ladder costs 32 µs here against 74 µs for an ed25519 scalar multiplication, and
doubly blinded values still commute, because libsodium clamps both scalars the same way. X25519
forgets the sign of a point (``P`` and ``−P`` share a ``u``), which costs a match nothing. Clamped
scalars are multiples of the cofactor 8, so a point from the other party with a small-order
component (or from the twist, whose order is 4 times a prime) reveals nothing of our scalar; a
result that is the identity (the input was of small order) is refused by libsodium and turned into
:class:`CryptoError`, as are non-canonical encodings (top bit set). libsodium releases the GIL, so
large batches use threads (``workers``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import gmpy2
import nacl.exceptions
from nacl.bindings import (
    crypto_core_ed25519_add,
    crypto_core_ed25519_from_uniform,
    crypto_scalarmult,
    crypto_scalarmult_base,
)

from foundation.errors import ConfigError, CryptoError, InputError

__all__ = [
    "POINT_BYTES",
    "BlindingKey",
    "JoinKey",
    "check_points",
    "hash_many_to_group",
    "hash_to_group",
    "montgomery_u",
    "random_point",
    "random_points",
    "regrouped",
]

POINT_BYTES = 32
SCALAR_BYTES = 32
FIELD_PRIME = 2**255 - 19
IDENTITY_POINT = b"\x01" + bytes(31)  # the ed25519 identity (before the map to Montgomery)
_HASH_PERSONALISATION = b"crossmesh-h2g-v1"  # BLAKE2b allows exactly 16 bytes
_DOMAIN = re.compile(r"[a-z][a-z0-9._:/-]{0,63}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?")
_PARALLEL_THRESHOLD = 512  # below this, starting threads costs more than it saves

_In = TypeVar("_In")
_Out = TypeVar("_Out")


def _is_valid_period(period: str) -> bool:
    if not _PERIOD.fullmatch(period):
        return False
    try:
        dt.date.fromisoformat(period if len(period) == 10 else f"{period}-01")
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class JoinKey:
    """One person in one period, as both parties spell it: the input of :func:`hash_to_group`."""

    domain: str
    id_e164: str = field(repr=False)  # a phone number: never printed
    period: str

    def __post_init__(self) -> None:
        if not isinstance(self.domain, str) or not _DOMAIN.fullmatch(self.domain):
            raise InputError(
                "domain tag must be 1-64 characters of a-z, 0-9 and ._:/- starting with a letter",
                field="domain",
            )
        if not isinstance(self.id_e164, str) or not _E164.fullmatch(self.id_e164):
            raise InputError(
                "ID is not a normalised E.164 number ('+' and 7-15 digits); normalise it first",
                field="id_e164",
            )
        if not isinstance(self.period, str) or not _is_valid_period(self.period):
            raise InputError(
                f"period {self.period!r} is neither a date YYYY-MM-DD nor a month YYYY-MM",
                field="period",
            )

    def encode(self) -> bytes:
        """The unambiguous byte string hashed: each field UTF-8, prefixed by its 2-byte length."""
        parts = (self.domain, self.id_e164, self.period)
        return b"".join(len(raw).to_bytes(2, "big") + raw for raw in (p.encode() for p in parts))


def hash_to_group(key: JoinKey) -> bytes:
    """``H(key)``: the Montgomery ``u`` of a prime-order subgroup point, never the identity."""
    return montgomery_u(_hash_point(key))


def montgomery_u(point: bytes) -> bytes:
    """The Montgomery ``u = (1 + y) / (1 − y)`` of an encoded edwards25519 point (not the identity).

    The point must be canonical and in the prime-order subgroup, as every map output is; equal to
    ``crypto_sign_ed25519_pk_to_curve25519`` there, without its subgroup check.
    """
    y = int.from_bytes(point, "little") & ((1 << 255) - 1)  # the top bit is the sign of x
    u = (1 + y) * gmpy2.invert(1 - y, FIELD_PRIME) % FIELD_PRIME
    return int(u).to_bytes(POINT_BYTES, "little")


def _hash_point(key: JoinKey) -> bytes:
    """The edwards25519 point of ``key`` (the sum of two Elligator maps)."""
    digest = hashlib.blake2b(key.encode(), digest_size=64, person=_HASH_PERSONALISATION).digest()
    first = crypto_core_ed25519_from_uniform(digest[:32])
    second = crypto_core_ed25519_from_uniform(digest[32:])
    try:
        point = crypto_core_ed25519_add(first, second)
    except nacl.exceptions.CryptoError as err:
        raise CryptoError("hash-to-group produced an invalid point; report this key") from err
    if point == IDENTITY_POINT:  # probability 2^-252: only a broken hash could get here
        raise CryptoError("hash-to-group produced the identity point; report this key")
    return point


def hash_many_to_group(keys: Iterable[JoinKey], *, workers: int = 1) -> list[bytes]:
    """:func:`hash_to_group` of every key, in order, on up to ``workers`` threads."""
    return _map_in_chunks(lambda chunk, _start: [hash_to_group(k) for k in chunk], keys, workers)


def check_points(points: Iterable[bytes]) -> None:
    """Raise :class:`CryptoError` unless every point is a canonical 32-byte ``u``-coordinate."""
    for index, point in enumerate(points):
        if not _is_point_shaped(point):
            raise CryptoError(_bad_point_message(index))


def random_point() -> bytes:
    """A uniform-looking point: ``u`` of ``[r]B`` for a fresh random scalar ``r``."""
    return crypto_scalarmult_base(secrets.token_bytes(SCALAR_BYTES))


def random_points(count: int, *, workers: int = 1) -> list[bytes]:
    """``count`` :func:`random_point` values, on up to ``workers`` threads."""
    return _map_in_chunks(
        lambda chunk, _start: [random_point() for _ in chunk], range(count), workers
    )


def _is_point_shaped(point: object) -> bool:
    return isinstance(point, bytes) and len(point) == POINT_BYTES and point[-1] < 0x80


def _bad_point_message(index: int) -> str:
    return (
        f"point at position {index} is not a valid Curve25519 point (wrong size, non-canonical "
        "or of small order); the sender's data is damaged"
    )


def _map_in_chunks(
    work: Callable[[Sequence[_In], int], list[_Out]], items: Iterable[_In], workers: int
) -> list[_Out]:
    """``work`` over contiguous chunks of ``items`` (with each chunk's start), results in order."""
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    items = list(items)
    if workers == 1 or len(items) < _PARALLEL_THRESHOLD:
        return work(items, 0)
    size = -(-len(items) // workers)
    starts = range(0, len(items), size)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = pool.map(lambda start: work(items[start : start + size], start), starts)
        return [out for part in parts for out in part]


def regrouped(flat: Sequence[_Out], groups: Sequence[Sequence[object]]) -> list[list[_Out]]:
    """``flat`` cut back into lists of the sizes of ``groups`` (a batch's results per group)."""
    out, start = [], 0
    for group in groups:
        out.append(list(flat[start : start + len(group)]))
        start += len(group)
    return out


@dataclass(frozen=True)
class BlindingKey:
    """A party's secret blinding scalar for one query: 32 uniform bytes, clamped by X25519."""

    scalar: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.scalar, bytes) or len(self.scalar) != SCALAR_BYTES:
            raise CryptoError(f"a blinding scalar is {SCALAR_BYTES} bytes")

    @classmethod
    def generate(cls) -> BlindingKey:
        """A fresh uniform scalar (never stored: protocol v2 draws one per query and party)."""
        return cls(secrets.token_bytes(SCALAR_BYTES))

    def blind(self, points: Sequence[bytes], *, workers: int = 1) -> list[bytes]:
        """Every point raised to this scalar, in order; :class:`CryptoError` on an invalid point."""
        return _map_in_chunks(self._blind_chunk, points, workers)

    def blind_groups(
        self, groups: Sequence[Sequence[bytes]], *, workers: int = 1
    ) -> list[list[bytes]]:
        """:meth:`blind` of every group, as one batch (many small groups still use ``workers``)."""
        flat = self.blind([point for group in groups for point in group], workers=workers)
        return regrouped(flat, groups)

    def blind_keys(self, keys: Iterable[JoinKey], *, workers: int = 1) -> list[bytes]:
        """``H(k)^scalar`` for every key, in order."""
        return self.blind(hash_many_to_group(keys, workers=workers), workers=workers)

    def _blind_chunk(self, points: Sequence[bytes], start: int) -> list[bytes]:
        blinded = []
        for index, point in enumerate(points, start):
            if not _is_point_shaped(point):
                raise CryptoError(_bad_point_message(index))
            try:
                blinded.append(crypto_scalarmult(self.scalar, point))
            except nacl.exceptions.RuntimeError as err:
                raise CryptoError(_bad_point_message(index)) from err
        return blinded
