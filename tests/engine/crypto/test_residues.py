"""Tests of the random n-th residues behind fast encryption (engine.crypto.residues)."""

from __future__ import annotations

import secrets

import pytest

from engine.crypto.paillier import PaillierKeys
from engine.crypto.residues import CrtResidues, FixedBaseTable, PublicResidues
from foundation.errors import ConfigError, CryptoError


@pytest.fixture(scope="module")
def keys() -> PaillierKeys:
    """One 1024-bit key pair for the module."""
    return PaillierKeys.generate(1024)


def is_nth_residue(value: int, keys: PaillierKeys) -> bool:
    """z is an n-th residue mod n² iff z^φ(n) ≡ 1 (the key holder's test)."""
    p, q = keys.private.p, keys.private.q
    return pow(value, (p - 1) * (q - 1), keys.public.nsquare) == 1


def test_fixed_base_table_matches_pow() -> None:
    """table.power(x) equals pow(base, x, m) for random exponents, zero digits included."""
    modulus = secrets.randbits(512) | 1
    table = FixedBaseTable(base=0xC0FFEE, modulus=modulus, exponent_bits=64)
    for exponent in (0, 1, 255, 256, 2**63, 2**64 - 1, *(secrets.randbits(64) for _ in range(10))):
        assert table.power(exponent.to_bytes(8, "little")) == pow(0xC0FFEE, exponent, modulus)
    with pytest.raises(CryptoError):
        table.power(bytes(9))


@pytest.mark.parametrize("source", ["public", "crt"])
def test_all_residues_are_nth_residues(keys: PaillierKeys, source: str) -> None:
    """Short-exponent and uniform samples are n-th residues below n², and all differ."""
    residues = (
        PublicResidues(keys.public.n)
        if source == "public"
        else CrtResidues(keys.private.p, keys.private.q)
    )
    samples = [*residues.sample_many(10), residues.uniform(), residues.uniform()]
    assert all(0 < s < keys.public.nsquare and is_nth_residue(int(s), keys) for s in samples)
    assert len(set(samples)) == len(samples)


def test_short_exponents_below_the_security_floor_are_refused(keys: PaillierKeys) -> None:
    """Exponents shorter than 224 bits (2 × 112) raise ConfigError."""
    with pytest.raises(ConfigError):
        PublicResidues(keys.public.n, exponent_bits=128)
    with pytest.raises(ConfigError):
        CrtResidues(keys.private.p, keys.private.q, exponent_bits=200)


def test_crt_refuses_primes_with_a_shared_structure() -> None:
    """Primes with q | p − 1 (never produced by phe) are refused rather than mis-sampled."""
    with pytest.raises(ConfigError):
        CrtResidues(7, 3)
