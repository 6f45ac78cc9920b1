"""Tests of fast Paillier encryption, arithmetic and formats (engine.crypto.paillier)."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import numpy as np
import pytest
from phe import EncryptedNumber

from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    CiphertextSpace,
    Encryptor,
    PaillierKeys,
    load_public_key,
    public_key_from_bytes,
    public_key_to_bytes,
)
from foundation.errors import ConfigError, CryptoError, IntegrityError, ProtocolError


@pytest.fixture(scope="module")
def keys() -> PaillierKeys:
    """One 1024-bit key pair for the module (unit-test size only)."""
    return PaillierKeys.generate(1024)


@pytest.fixture(scope="module", params=["key_holder", "public"])
def encryptor(request: pytest.FixtureRequest, keys: PaillierKeys) -> Encryptor:
    """Each of the two fast encryption paths."""
    if request.param == "key_holder":
        return Encryptor.for_key_holder(keys)
    return Encryptor.for_public_key(keys.public)


def test_fast_ciphertexts_decrypt_with_phe(keys: PaillierKeys, encryptor: Encryptor) -> None:
    """Every ciphertext decrypts with phe's own raw_decrypt to its plaintext, edges included."""
    n = keys.public.n
    plaintexts = [0, 1, n - 1, n // 2, *(secrets.randbelow(n) for _ in range(20))]
    ciphertexts = encryptor.encrypt_many(plaintexts)
    assert [keys.private.raw_decrypt(c) for c in ciphertexts] == plaintexts
    assert keys.decrypt_many(ciphertexts) == plaintexts


def test_ciphertexts_wrap_as_phe_encrypted_numbers(
    keys: PaillierKeys, encryptor: Encryptor
) -> None:
    """phe.EncryptedNumber wrappers decrypt (and add) through phe's high-level API."""
    first, second = (encryptor.as_encrypted_number(c) for c in encryptor.encrypt_many([41, 1]))
    assert isinstance(first, EncryptedNumber)
    assert keys.private.decrypt(first) == 41
    assert keys.private.decrypt(first + second) == 42


def test_encryption_is_randomised(encryptor: Encryptor) -> None:
    """The same plaintext encrypts to different ciphertexts every time."""
    ciphertexts = encryptor.encrypt_many([7] * 5) + encryptor.encrypt_many([7])
    assert len(set(ciphertexts)) == 6


def test_homomorphic_sum_of_indicators(keys: PaillierKeys, encryptor: Encryptor) -> None:
    """Summed one-hot indicators, Horner-packed and noised, decrypt to counts + noise."""
    layout = LaneLayout.for_modulus(keys.public.n, 3)
    piece = layout.pieces[0]
    rng = np.random.default_rng(7)
    groups = rng.integers(-1, 3, size=(5, 40))  # 5 slots × 40 records, -1: no match
    sums = []
    for slot in groups:
        indicators = [layout.indicator_plaintexts([] if g < 0 else [int(g)])[0] for g in slot]
        sums.append(encryptor.sum_ciphertexts(encryptor.encrypt_many(indicators)))
    noise = rng.integers(-500, 500, size=(5, 3))
    packed = LaneLayout.horner(sums, piece, int(encryptor.nsquare))
    masks = encryptor.encrypt_many(layout.noise_plaintexts(piece, noise))
    released = [
        encryptor.rerandomize(encryptor.add(c, m)) for c, m in zip(packed, masks, strict=True)
    ]
    decoded = layout.unpack(piece, keys.decrypt_many(released), 5)
    truth = np.stack([(groups == g).sum(axis=1) for g in range(3)], axis=1)
    np.testing.assert_array_equal(decoded, truth + noise)


def test_paths_interoperate(keys: PaillierKeys) -> None:
    """A key-holder ciphertext and a public-path ciphertext add under the same key."""
    holder, public = Encryptor.for_key_holder(keys), Encryptor.for_public_key(keys.public)
    total = public.add(holder.encrypt(1000), public.encrypt(234))
    assert keys.decrypt_many([total]) == [1234]


def test_rerandomised_ciphertext_differs_but_decrypts_the_same(
    keys: PaillierKeys, encryptor: Encryptor
) -> None:
    """rerandomize changes the ciphertext and keeps the plaintext."""
    ciphertext = encryptor.encrypt(123456789)
    fresh = encryptor.rerandomize(ciphertext)
    assert fresh != ciphertext
    assert keys.decrypt_many([fresh]) == [123456789]


def test_empty_sum_is_an_encryption_of_zero(keys: PaillierKeys, encryptor: Encryptor) -> None:
    """Summing no ciphertexts gives the trivial encryption of 0, which re-randomises."""
    empty = encryptor.sum_ciphertexts([])
    assert keys.decrypt_many([empty, encryptor.rerandomize(empty)]) == [0, 0]


def test_plaintexts_outside_the_message_space_are_refused(
    keys: PaillierKeys, encryptor: Encryptor
) -> None:
    """Negative plaintexts and plaintexts ≥ n raise CryptoError."""
    for bad in (-1, keys.public.n):
        with pytest.raises(CryptoError, match="LaneLayout"):
            encryptor.encrypt(bad)


def test_ciphertext_bytes_round_trip(keys: PaillierKeys, encryptor: Encryptor) -> None:
    """Ciphertexts serialise to fixed 2·n_bytes big-endian values and back."""
    ciphertexts = encryptor.encrypt_many([0, 5, keys.public.n - 1])
    blob = encryptor.to_bytes(ciphertexts)
    assert encryptor.ciphertext_bytes == 256 and len(blob) == 3 * 256
    assert CiphertextSpace(keys.public).from_bytes(blob) == ciphertexts
    with pytest.raises(ProtocolError):
        encryptor.from_bytes(blob[:-1])
    with pytest.raises(CryptoError):
        encryptor.from_bytes(b"\xff" * 256)  # ≥ n²
    with pytest.raises(CryptoError):
        encryptor.from_bytes(bytes(256))  # zero is no ciphertext


def test_public_key_bytes_round_trip(keys: PaillierKeys) -> None:
    """The public key travels as n and comes back equal; implausible moduli are refused."""
    blob = public_key_to_bytes(keys.public)
    assert len(blob) == 128
    assert public_key_from_bytes(blob) == keys.public
    for bad in ((2**1023 + 2).to_bytes(128, "big"), (2**500 + 1).to_bytes(64, "big")):
        with pytest.raises(ProtocolError):
            public_key_from_bytes(bad)


def test_key_files_are_private_atomic_and_round_trip(tmp_path: Path, keys: PaillierKeys) -> None:
    """save writes a 0600 private file and a public file; load restores both keys."""
    keys.save(tmp_path)
    assert stat.S_IMODE((tmp_path / PRIVATE_KEY_FILE).stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]
    loaded = PaillierKeys.load(tmp_path)
    assert loaded.public == keys.public and loaded.private == keys.private
    assert load_public_key(tmp_path) == keys.public
    assert hex(keys.private.p)[2:] not in repr(keys)


def test_key_loading_refuses_bad_files(tmp_path: Path, keys: PaillierKeys) -> None:
    """Missing, shared, mismatched or corrupt key files raise the right errors."""
    with pytest.raises(ConfigError):
        PaillierKeys.load(tmp_path)
    keys.save(tmp_path)
    (tmp_path / PRIVATE_KEY_FILE).chmod(0o640)
    with pytest.raises(ConfigError, match="chmod 600"):
        PaillierKeys.load(tmp_path)
    (tmp_path / PRIVATE_KEY_FILE).chmod(0o600)
    PaillierKeys.generate(1024).save(tmp_path / "other")
    (tmp_path / "other" / PUBLIC_KEY_FILE).replace(tmp_path / PUBLIC_KEY_FILE)
    with pytest.raises(IntegrityError, match="does not match"):
        PaillierKeys.load(tmp_path)
    (tmp_path / PRIVATE_KEY_FILE).write_text('{"format": "something else"}')
    with pytest.raises(IntegrityError):
        PaillierKeys.load(tmp_path)


def test_keys_and_encryptors_must_match(keys: PaillierKeys) -> None:
    """Mixing a private key or residue source with another public key is refused."""
    other = PaillierKeys.generate(1024)
    with pytest.raises(ConfigError):
        PaillierKeys(keys.public, other.private)
    with pytest.raises(ConfigError):
        Encryptor(keys.public, Encryptor.for_key_holder(other)._residues)
    with pytest.raises(ConfigError):
        PaillierKeys.generate(1000)
    with pytest.raises(IntegrityError):
        PaillierKeys.from_primes(15, 7)


def test_2048_bit_key_end_to_end() -> None:
    """On a real-size key both paths encrypt indicators that sum and decrypt through phe."""
    keys = PaillierKeys.generate(2048)
    layout = LaneLayout.for_modulus(keys.public.n, 4)
    assert layout.fields_per_plaintext == 84 and keys.public.n.bit_length() == 2048
    holder, public = Encryptor.for_key_holder(keys), Encryptor.for_public_key(keys.public)
    first = holder.encrypt_many(layout.indicator_plaintexts([1, 3]))
    second = public.encrypt_many(layout.indicator_plaintexts([3]))
    piece = layout.pieces[0]
    offset = public.encrypt_many(layout.noise_plaintexts(piece, np.zeros((1, 4), np.int64)))
    total = public.rerandomize(public.sum_ciphertexts([first[0], second[0], offset[0]]))
    values = layout.unpack(piece, [keys.private.raw_decrypt(total)], 1)
    np.testing.assert_array_equal(values, [[0, 1, 0, 2]])


def test_an_opening_proves_a_ciphertext_and_nothing_else(
    keys: PaillierKeys, encryptor: Encryptor
) -> None:
    """The residue of a ciphertext opens it to its plaintext only (the carrier's canary check)."""
    ciphertexts, residues = encryptor.encrypt_opening([5, 9])
    assert encryptor.opens(ciphertexts[0], 5, residues[0])
    assert not encryptor.opens(ciphertexts[0], 6, residues[0])
    assert not encryptor.opens(ciphertexts[1], 9, residues[0])
    assert not encryptor.opens(ciphertexts[0], 5, 0)
