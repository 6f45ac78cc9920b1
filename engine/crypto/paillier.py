"""Paillier encryption on python-paillier (``phe``) keys: fast, compact, and phe-compatible.

In protocol v2 the airline encrypts one group indicator for every position of a query's scope, so
encryption speed sets the online cost of a release; the carrier encrypts only its noise, with
uniform randomness. We keep
``phe``'s key objects and its decryption — so every ciphertext made here decrypts with
``PaillierPrivateKey.raw_decrypt`` and wraps as ``phe.EncryptedNumber(public_key, c)`` — and
replace only the encryption, which in ``phe`` spends ~9 ms per ciphertext on ``r^n mod n²``:

* ``g = n + 1``, so ``g^m = 1 + m·n mod n²`` needs no exponentiation (as in ``phe``);
* the random n-th residue comes from :mod:`engine.crypto.residues` — a precomputed fixed-base
  table with a 256-bit exponent, evaluated mod ``p²`` and ``q²`` when the key holder encrypts
  (:meth:`Encryptor.for_key_holder`) or mod ``n²`` for anyone else
  (:meth:`Encryptor.for_public_key`). That module's docstring gives the security argument;
* :meth:`Encryptor.rerandomize` multiplies by a *uniform* encryption of 0, so that a sum the key
  holder decrypts cannot be linked to the ciphertexts it was built from.

Plaintexts here are raw integers in ``[0, n)``: the packed lanes of :mod:`engine.crypto.lanes`,
never phe's float encoding. Homomorphic addition is multiplication mod ``n²``.

Wire and disk formats are deliberately plain: a public key is ``n`` as big-endian bytes, a
ciphertext is ``2 · ⌈bits(n)/8⌉`` big-endian bytes (512 for a 2048-bit key), and the private key
is ``(p, q)`` in a JSON file. Both key files are created with mode 0600, exclusively (complete or
not at all, never over an existing file: :func:`foundation.atomic.create_exclusive`); a workspace
records their fingerprints and checks them on every open (:mod:`engine.keyring`), which is why
:meth:`PaillierKeys.key_files` and :meth:`PaillierKeys.from_key_files` work on the files' bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import gmpy2
from phe import EncryptedNumber, PaillierPrivateKey, PaillierPublicKey, generate_paillier_keypair

from engine.crypto.pool import ResiduePool
from engine.crypto.residues import DEFAULT_EXPONENT_BITS, CrtResidues, PublicResidues
from foundation.atomic import create_exclusive
from foundation.errors import ConfigError, CryptoError, IntegrityError, ProtocolError

__all__ = [
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "CiphertextSpace",
    "Encryptor",
    "PaillierKeys",
    "load_public_key",
    "public_key_from_bytes",
    "public_key_to_bytes",
]

PRIVATE_KEY_FILE = "paillier_private.json"
PUBLIC_KEY_FILE = "paillier_public.json"
SUPPORTED_KEY_BITS = (1024, 2048, 3072, 4096)  # 1024 is for fast tests only
_PRIVATE_FORMAT = "crossmesh-paillier-private-key/1"
_PUBLIC_FORMAT = "crossmesh-paillier-public-key/1"


def _modulus_bytes(n: int) -> int:
    return (n.bit_length() + 7) // 8


def public_key_to_bytes(public_key: PaillierPublicKey) -> bytes:
    """The public key as its modulus ``n``, big-endian."""
    return int(public_key.n).to_bytes(_modulus_bytes(public_key.n), "big")


def public_key_from_bytes(blob: bytes) -> PaillierPublicKey:
    """Rebuild a public key from :func:`public_key_to_bytes`, checking it is plausible."""
    n = int.from_bytes(blob, "big")
    if n.bit_length() < min(SUPPORTED_KEY_BITS) or n % 2 == 0:
        raise ProtocolError(
            f"not a Paillier modulus: {n.bit_length()} bits"
            f"{', even' if n % 2 == 0 else ''}; expected an odd modulus of at least 1024 bits"
        )
    return PaillierPublicKey(n)


@dataclass(frozen=True)
class PaillierKeys:
    """The key holder's Paillier key pair (phe objects), with files and batch decryption."""

    public: PaillierPublicKey
    private: PaillierPrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if self.private.public_key != self.public:
            raise ConfigError("Paillier private key does not belong to the public key given")

    @classmethod
    def generate(cls, bits: int = 2048) -> PaillierKeys:
        """A fresh key pair with a ``bits``-bit modulus (2048 or more outside tests)."""
        if bits not in SUPPORTED_KEY_BITS:
            raise ConfigError(f"Paillier key size must be one of {SUPPORTED_KEY_BITS}, not {bits}")
        public, private = generate_paillier_keypair(n_length=bits)
        return cls(public, private)

    @classmethod
    def from_primes(cls, p: int, q: int) -> PaillierKeys:
        """The key pair for primes ``p`` and ``q`` (checked to be distinct probable primes)."""
        if p == q or not (gmpy2.is_prime(p, 30) and gmpy2.is_prime(q, 30)):
            raise IntegrityError("Paillier private key: p and q must be two distinct primes")
        public = PaillierPublicKey(p * q)
        return cls(public, PaillierPrivateKey(public, p, q))

    def key_files(self) -> dict[str, bytes]:
        """The bytes of the private and the public key file, by file name."""
        private = {"format": _PRIVATE_FORMAT, "p": hex(self.private.p), "q": hex(self.private.q)}
        public = {"format": _PUBLIC_FORMAT, "n": hex(self.public.n)}
        return {
            PRIVATE_KEY_FILE: json.dumps(private).encode("utf-8"),
            PUBLIC_KEY_FILE: json.dumps(public).encode("utf-8"),
        }

    @classmethod
    def from_key_files(cls, files: Mapping[str, bytes], where: Path) -> PaillierKeys:
        """The key pair in the bytes of :meth:`key_files` (``where`` names them in errors)."""
        fields = _parse_key_file(files[PRIVATE_KEY_FILE], where / PRIVATE_KEY_FILE,
                                 _PRIVATE_FORMAT, ("p", "q"))  # fmt: skip
        keys = cls.from_primes(fields["p"], fields["q"])
        public = _parse_key_file(files[PUBLIC_KEY_FILE], where / PUBLIC_KEY_FILE,
                                 _PUBLIC_FORMAT, ("n",))  # fmt: skip
        if PaillierPublicKey(public["n"]) != keys.public:
            raise IntegrityError(f"{PUBLIC_KEY_FILE} in {where} does not match the private key")
        return keys

    def save(self, directory: Path) -> None:
        """Create both key files (mode 0600) in ``directory``; never over existing ones."""
        for name, blob in self.key_files().items():
            create_exclusive(Path(directory) / name, blob, secret=True)

    @classmethod
    def load(cls, directory: Path) -> PaillierKeys:
        """Read back what :meth:`save` wrote, refusing a private key others can read."""
        directory = Path(directory)
        _refuse_shared_secret(directory / PRIVATE_KEY_FILE)
        return cls.from_key_files(
            {name: _read_bytes(directory / name) for name in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE)},
            directory,
        )

    def decrypt_many(self, ciphertexts: Iterable[int]) -> list[int]:
        """The raw plaintexts (in ``[0, n)``) of ``ciphertexts``, with phe's CRT decryption."""
        space = CiphertextSpace(self.public)
        return [self.private.raw_decrypt(int(space.checked(c))) for c in ciphertexts]


def load_public_key(directory: Path) -> PaillierPublicKey:
    """The public key saved in ``directory`` by :meth:`PaillierKeys.save`."""
    fields = _read_key_file(Path(directory) / PUBLIC_KEY_FILE, _PUBLIC_FORMAT, ("n",))
    return PaillierPublicKey(fields["n"])


def _refuse_shared_secret(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as err:
        raise ConfigError(f"no Paillier private key at {path}; generate the keys first") from err
    if mode & 0o077:
        raise ConfigError(f"{path} is readable by other users; run `chmod 600 {path}`")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise ConfigError(f"no Paillier key file at {path}; generate the keys first") from err
    except OSError as err:
        raise IntegrityError(f"{path} cannot be read as a key file ({type(err).__name__})") from err


def _read_key_file(path: Path, expected_format: str, names: Sequence[str]) -> dict[str, int]:
    return _parse_key_file(_read_bytes(path), path, expected_format, names)


def _parse_key_file(
    blob: bytes, path: Path, expected_format: str, names: Sequence[str]
) -> dict[str, int]:
    try:
        document = json.loads(blob.decode("utf-8"))
    except ValueError as err:
        raise IntegrityError(f"{path} cannot be read as a key file ({type(err).__name__})") from err
    if not isinstance(document, dict) or document.get("format") != expected_format:
        raise IntegrityError(f"{path} is not a {expected_format} file")
    try:
        return {name: int(document[name], 16) for name in names}
    except (KeyError, TypeError, ValueError) as err:
        raise IntegrityError(f"{path}: missing or malformed key field") from err


def _times_g_power(rho: gmpy2.mpz, m: int, n: gmpy2.mpz, nsquare: gmpy2.mpz) -> int:
    """``g^m · ρ mod n²`` for ``g = n + 1``.

    ``g^m = 1 + m·n``, so the product is ``ρ + n·(m·ρ mod n)``: a multiplication mod ``n`` instead
    of one mod ``n²`` (a third faster). The sum is below ``2n²``, so one subtraction reduces it.
    """
    product = rho + n * (m * rho % n)
    return int(product - nsquare if product >= nsquare else product)


class CiphertextSpace:
    """Arithmetic and wire format of the ciphertexts under one public key (no secrets, no RNG)."""

    def __init__(self, public_key: PaillierPublicKey) -> None:
        self.public_key = public_key
        self.n = gmpy2.mpz(public_key.n)
        self.nsquare = self.n * self.n
        self._nsquare_int = int(self.nsquare)  # comparing Python ints needs no conversion
        self.ciphertext_bytes = 2 * _modulus_bytes(public_key.n)

    def checked(self, ciphertext: int) -> gmpy2.mpz:
        """``ciphertext`` as an mpz, or :class:`CryptoError` if it is outside ``[1, n²)``."""
        if not 0 < ciphertext < self.nsquare:
            self._refuse_range()
        return gmpy2.mpz(ciphertext)

    @staticmethod
    def _refuse_range() -> NoReturn:
        raise CryptoError("ciphertext outside [1, n²): it was made under another key or damaged")

    def add(self, first: int, second: int) -> int:
        """A ciphertext of the sum of the two plaintexts (mod ``n``)."""
        return int(self.checked(first) * self.checked(second) % self.nsquare)

    def sum_ciphertexts(self, ciphertexts: Iterable[int]) -> int:
        """A ciphertext of the sum of all plaintexts; of 0 (the unrandomised ``1``) if empty."""
        total = gmpy2.mpz(1)
        for ciphertext in ciphertexts:
            total = total * self.checked(ciphertext) % self.nsquare
        return int(total)

    def as_encrypted_number(self, ciphertext: int) -> EncryptedNumber:
        """``ciphertext`` as a ``phe.EncryptedNumber`` (exponent 0) for phe-based callers."""
        return EncryptedNumber(self.public_key, int(self.checked(ciphertext)))

    def to_bytes(self, ciphertexts: Iterable[int]) -> bytes:
        """The ciphertexts end to end, each as fixed-width big-endian bytes."""
        width, bound = self.ciphertext_bytes, self._nsquare_int
        values = [int(c) for c in ciphertexts]
        if not all(0 < value < bound for value in values):
            self._refuse_range()
        return b"".join(value.to_bytes(width, "big") for value in values)

    def from_bytes(self, blob: bytes) -> list[int]:
        """The ciphertexts of a :meth:`to_bytes` blob, each checked to be below ``n²``."""
        width = self.ciphertext_bytes
        if len(blob) % width:
            raise ProtocolError(f"ciphertext bytes are not a whole number of {width}-byte values")
        values = [int.from_bytes(blob[i : i + width], "big") for i in range(0, len(blob), width)]
        bound = self._nsquare_int
        if not all(0 < value < bound for value in values):
            self._refuse_range()
        return values


class Encryptor(CiphertextSpace):
    """Fast encryption and re-randomisation under one public key.

    Build it with :meth:`for_key_holder` (CRT, ~30 % faster) or :meth:`for_public_key`; building
    precomputes the fixed-base tables (tens of milliseconds), so keep one per key and process.
    """

    def __init__(
        self, public_key: PaillierPublicKey, residues: PublicResidues | CrtResidues | ResiduePool
    ):
        super().__init__(public_key)
        if residues.nsquare != self.nsquare:
            raise ConfigError("the residue source was built for another Paillier key")
        self._residues = residues

    @classmethod
    def for_public_key(
        cls,
        public_key: PaillierPublicKey,
        *,
        exponent_bits: int = DEFAULT_EXPONENT_BITS,
        uniform_pool: int = 0,
    ) -> Encryptor:
        """An encryptor for a party that knows only the public key.

        ``uniform_pool`` > 0 computes up to that many uniform residues (the masks of
        :meth:`rerandomize`) ahead while idle; start it with ``encryptor.residues.start()``.
        """
        residues = PublicResidues(public_key.n, exponent_bits)
        if uniform_pool:
            return cls(public_key, ResiduePool(residues, uniform_pool, uniform=True))
        return cls(public_key, residues)

    @classmethod
    def for_key_holder(
        cls, keys: PaillierKeys, *, exponent_bits: int = DEFAULT_EXPONENT_BITS, pool: int = 0
    ) -> Encryptor:
        """An encryptor that uses the private primes to work mod ``p²`` and ``q²``.

        ``pool`` > 0 precomputes up to that many single-use residues while idle
        (:mod:`engine.crypto.pool`); start it with ``encryptor.residues.start()``.
        """
        residues = CrtResidues(keys.private.p, keys.private.q, exponent_bits)
        if pool:
            return cls(keys.public, ResiduePool(residues, pool))
        return cls(keys.public, residues)

    @property
    def residues(self) -> PublicResidues | CrtResidues | ResiduePool:
        """Where this encryptor's randomness comes from."""
        return self._residues

    def encrypt_many(self, plaintexts: Sequence[int]) -> list[int]:
        """Ciphertexts of ``plaintexts``, each an integer in ``[0, n)``."""
        return self.encrypt_opening(plaintexts)[0]

    def encrypt_opening(self, plaintexts: Sequence[int]) -> tuple[list[int], list[int]]:
        """Ciphertexts of ``plaintexts`` and the residue of each: what opens a ciphertext.

        ``c = (1 + m·n)·ρ mod n²``, so anyone shown ``m`` and ``ρ`` can check ``c`` (the carrier's
        canary check); ``ρ`` says nothing about any other ciphertext.
        """
        n, nsquare = self.n, self.nsquare
        for plaintext in plaintexts:
            if not 0 <= plaintext < n:
                raise CryptoError(
                    "plaintext outside [0, n): pack values with LaneLayout before encrypting"
                )
        residues = self._residues.sample_many(len(plaintexts))
        ciphertexts = [
            _times_g_power(rho, m, n, nsquare) for m, rho in zip(plaintexts, residues, strict=True)
        ]
        return ciphertexts, [int(rho) for rho in residues]

    def opens(self, ciphertext: int, plaintext: int, residue: int) -> bool:
        """Whether ``ciphertext`` is the encryption of ``plaintext`` with ``residue``."""
        if not 0 < residue < self.nsquare or not 0 <= plaintext < self.n:
            return False
        return int(ciphertext) == _times_g_power(
            gmpy2.mpz(residue), plaintext, self.n, self.nsquare
        )

    def encrypt(self, plaintext: int) -> int:
        """The ciphertext of one plaintext in ``[0, n)``."""
        return self.encrypt_many([plaintext])[0]

    def rerandomize(self, ciphertext: int) -> int:
        """The same plaintext under fresh, uniformly random (unlinkable) randomness."""
        return int(self.checked(ciphertext) * self._residues.uniform() % self.nsquare)
