"""The randomiser pool (engine.crypto.pool): single use, filled while idle, paused when busy."""

from __future__ import annotations

import time

import pytest

from engine.crypto.paillier import Encryptor, PaillierKeys
from engine.crypto.pool import ResiduePool
from engine.crypto.residues import CrtResidues
from foundation.errors import ConfigError


@pytest.fixture(scope="module")
def keys() -> PaillierKeys:
    """A small key: the pool's logic does not depend on its size."""
    return PaillierKeys.generate(1024)


def _filled(pool: ResiduePool, at_least: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while len(pool) < at_least and time.monotonic() < deadline:
        time.sleep(0.01)


def test_pooled_residues_are_used_once_and_then_computed(keys: PaillierKeys) -> None:
    """Every residue handed out is distinct; more than the pool holds are computed on demand."""
    pool = ResiduePool(CrtResidues(keys.private.p, keys.private.q), 200)
    pool.start()
    _filled(pool, 200)
    assert len(pool) >= 200
    with pool.busy():
        first = pool.sample_many(150)
        second = pool.sample_many(150)
    pool.stop()
    values = [int(r) for r in first + second]
    assert len(set(values)) == 300
    assert len(pool) == 0


def test_filler_pauses_while_busy(keys: PaillierKeys) -> None:
    """While a query encrypts, the pool does not grow (it would compete for the CPU)."""
    pool = ResiduePool(CrtResidues(keys.private.p, keys.private.q), 10_000)
    with pool.busy():
        pool.start()
        time.sleep(0.3)
        before = len(pool)
        time.sleep(0.3)
        during = len(pool)
    pool.stop()
    assert during - before <= 64  # at most the batch that was already being computed


def test_pooled_encryption_decrypts(keys: PaillierKeys) -> None:
    """Ciphertexts made with pooled residues decrypt to their plaintexts and never repeat."""
    encryptor = Encryptor.for_key_holder(keys, pool=100)
    pool = encryptor.residues
    assert isinstance(pool, ResiduePool)
    pool.start()
    _filled(pool, 100)
    ciphertexts = encryptor.encrypt_many([5] * 120)
    pool.stop()
    assert len(set(ciphertexts)) == 120
    assert set(keys.decrypt_many(ciphertexts)) == {5}


def test_negative_capacity_is_refused(keys: PaillierKeys) -> None:
    """A pool cannot hold a negative number of residues."""
    with pytest.raises(ConfigError):
        ResiduePool(CrtResidues(keys.private.p, keys.private.q), -1)


def test_uniform_mask_pool_serves_each_mask_once(keys: PaillierKeys) -> None:
    """The carrier's pool of uniform masks re-randomises with distinct, pooled residues."""
    encryptor = Encryptor.for_public_key(keys.public, uniform_pool=8)
    pool = encryptor.residues
    assert isinstance(pool, ResiduePool) and pool.holds_uniform
    pool.start()
    _filled(pool, 8)
    ciphertext = encryptor.encrypt(42)
    fresh = [encryptor.rerandomize(ciphertext) for _ in range(12)]
    pool.stop()
    assert len(set(fresh)) == 12
    assert set(keys.decrypt_many(fresh)) == {42}
