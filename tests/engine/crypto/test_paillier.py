"""Tests of fast Paillier encryption, arithmetic and formats (engine.crypto.paillier)."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import numpy as np
import pytest
from phe import EncryptedNumber

from engine.crypto.packing import SlotCodec
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
from engine.errors import ConfigError, CryptoError, IntegrityError, ProtocolError


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


def test_homomorphic_sum_of_packed_vectors(keys: PaillierKeys, encryptor: Encryptor) -> None:
    """Summed, noised, re-randomised packed ciphertexts unpack to Σ vectors + noise."""
    codec = SlotCodec.for_modulus(keys.public.n)
    rng = np.random.default_rng(7)
    vectors = rng.integers(0, 50, size=(40, 75))
    noise = rng.integers(-500, 500, size=75)
    per_vector = codec.plaintexts_for(75)
    records = [encryptor.encrypt_many(p) for p in codec.pack_many(vectors)]
    sums = [encryptor.sum_ciphertexts(r[j] for r in records) for j in range(per_vector)]
    noised = [
        encryptor.add(s, c)
        for s, c in zip(sums, encryptor.encrypt_many(codec.pack_noise(noise)), strict=True)
    ]
    released = [encryptor.rerandomize(c) for c in noised]
    decoded = codec.unpack(keys.decrypt_many(released), offsets_added=1, length=75)
    np.testing.assert_array_equal(decoded, vectors.sum(axis=0) + noise)


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
        with pytest.raises(CryptoError, match="SlotCodec"):
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
    """On a real-size key both paths pack, encrypt, sum and decrypt through phe correctly."""
    keys = PaillierKeys.generate(2048)
    codec = SlotCodec.for_modulus(keys.public.n)
    assert codec.slots_per_plaintext == 62 and keys.public.n.bit_length() == 2048
    vector = np.arange(100, dtype=np.int64) * 1000
    holder, public = Encryptor.for_key_holder(keys), Encryptor.for_public_key(keys.public)
    first, second = holder.encrypt_many(codec.pack(vector)), public.encrypt_many(codec.pack(vector))
    total = [public.rerandomize(public.add(a, b)) for a, b in zip(first, second, strict=True)]
    plaintexts = [keys.private.raw_decrypt(c) for c in total]
    np.testing.assert_array_equal(codec.unpack(plaintexts, length=100), 2 * vector)
