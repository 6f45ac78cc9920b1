"""Randomiser reuse: no two Paillier ciphertexts a party receives may share their randomness.

A Paillier ciphertext is ``(1 + m·n)·r^n mod n²``, so ``c mod n = r^n mod n`` depends on the
randomiser alone. A curious carrier that finds two indicators with equal ``c mod n`` divides them
and reads ``m_a − m_b``: whether one position matched a group and the other did not. A curious
airline, who can strip the plaintext of what it decrypts (``c·(1 − m·n) mod n²`` is ``r^n``), would
see a reused mask on two noised sums the same way. DESIGN §3: "every randomiser is single-use".

Attack: every indicator ciphertext of every query the carrier received (``c mod n``, the carrier's
view) and every randomiser of every output the airline decrypted (the airline's view) are collected
over two queries of a session whose randomiser and mask pools are filled in the background (the
product's configuration, small pools so both pooled and on-demand residues are used); all must be
distinct. Deterministic: an honest collision has probability below 2⁻²⁰⁰.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType

import gmpy2
import pytest

from engine.crypto.pool import ResiduePool
from engine.ledger.values import Scope
from engine.session import SecureSession, SessionSettings

RANDOMISER_POOL = 3000  # fewer than one query's positions: pooled and on-demand residues both
MASK_POOL = 8  # fewer than the outputs of the two queries


@pytest.fixture(scope="module")
def pooled(
    kit: ModuleType, tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[int], list[int]]:
    """(carrier's c mod n of every indicator, airline's r^n of every output) over two queries."""
    transcript = kit.Transcript()
    settings = SessionSettings(
        key_bits=kit.KEY_BITS,
        min_peer_key_bits=kit.KEY_BITS,
        randomiser_pool=RANDOMISER_POOL,
        mask_pool=MASK_POOL,
    )
    session = SecureSession(
        tmp_path_factory.mktemp("pool"), tiny_dir, settings, transcript=transcript
    )
    session.prepare()
    for ledger in (session.airline.ledger, session.carrier.ledger):
        for month in kit.MONTHS:
            for pair in ("airline+carrier", "carrier"):  # the airline's and the carrier's scopes
                ledger.set_budget(Scope(pair, month), kit.BUDGET, "attack-test")
    session.connect()
    pools = [(session.airline.encryptor.residues, RANDOMISER_POOL)]  # starts the airline's pool
    pools.append((session.carrier._encryptor().residues, MASK_POOL))
    for end in ("2025-08-12", "2025-08-13"):
        _wait_full(pools)
        session.release(kit.visit_spec(end=end))
    keys = session.airline.keys
    n = gmpy2.mpz(keys.public.n)
    nsquare = n * n
    indicators: list[int] = []
    outputs: list[int] = []
    for message in kit.messages_of(transcript.entries, "indicator_partition"):
        indicators += [int(gmpy2.mpz(c) % n) for c in _ciphertexts(message)]
    for message in kit.messages_of(transcript.entries, "noised_sums"):
        for c in _ciphertexts(message):
            m = gmpy2.mpz(keys.private.raw_decrypt(c))
            outputs.append(int(gmpy2.mpz(c) * (1 - m * n) % nsquare))
    session.close()
    return indicators, outputs


def _wait_full(pools: list[tuple[object, int]]) -> None:
    """Wait (≤ 30 s) until every pool holds its capacity, so the query draws pooled residues."""
    deadline = time.monotonic() + 30
    for pool, capacity in pools:
        assert isinstance(pool, ResiduePool)
        while len(pool) < capacity:
            assert time.monotonic() < deadline, "a randomiser pool did not fill"
            time.sleep(0.05)


def _ciphertexts(message: object) -> list[int]:
    width, blob = message.ciphertext_bytes, message.ciphertexts  # type: ignore[attr-defined]
    return [int.from_bytes(blob[i : i + width], "big") for i in range(0, len(blob), width)]


def test_no_randomiser_is_used_twice(pooled: tuple[list[int], list[int]]) -> None:
    """Indicators (C's view) and masked outputs (A's view) never share a randomiser."""
    indicators, outputs = pooled
    assert len(indicators) > 2 * RANDOMISER_POOL and len(outputs) > MASK_POOL
    assert len(set(indicators)) == len(indicators), "two indicators share their randomness"
    assert len(set(outputs)) == len(outputs), "two noised sums share their mask"
