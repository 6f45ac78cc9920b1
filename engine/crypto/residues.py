"""Random n-th residues mod n²: the expensive half of a Paillier encryption, made cheap.

A Paillier ciphertext is ``g^m · ρ mod n²`` where ``ρ`` is a random *n-th residue* (``r^n`` for a
random unit ``r``). With ``g = n + 1`` the first factor costs nothing (``g^m = 1 + m·n``), so
nearly all the work of textbook encryption is the exponentiation ``r^n mod n²`` with a 2048-bit
exponent: about 2,500 multiplications of 4096-bit numbers, ~9 ms here. This module makes ``ρ``
two ways.

**Uniform residues** (:meth:`PublicResidues.uniform`, :meth:`CrtResidues.uniform`) are exactly the
textbook distribution. The key holder, who knows ``n = p·q``, computes them by Chinese
remaindering: the n-th residues mod ``p²`` are the subgroup of order ``p − 1``, and ``s ↦ s^p mod
p²`` maps a uniform ``s`` in ``[1, p)`` uniformly onto it (because ``gcd(q, p − 1) = 1``, which
:class:`CrtResidues` checks), so two 1024-bit exponentiations mod ``p²`` and ``q²`` replace one
2048-bit exponentiation mod ``n²``. We use uniform residues wherever *unlinkability* matters:
re-randomising a result before the carrier, who can decrypt and so recover the randomness of what
it receives, sees it.

**Short-exponent residues** (:meth:`PublicResidues.sample_many`, :meth:`CrtResidues.sample_many`)
fix one random n-th residue ``h`` per encryptor and return ``h^x`` for a fresh random ``x`` of
``exponent_bits`` bits (default 256). Precomputed tables of ``h^(d·256^j)`` for every byte digit
``d`` and position ``j`` (fixed-base windowing, after Brickell, Gordon, McCurley and Wilson,
EUROCRYPT 1992) turn ``h^x`` into ``exponent_bits / 8`` table multiplications — 32 for a 256-bit
``x``, done mod ``p²`` and ``q²`` when the key holder encrypts. This is the scheme of Damgård, Jurik
and Nielsen ("A generalization of Paillier's public-key system with applications to electronic
voting", IJIS 9(6), 2010 — ``h^x`` with ``x`` of ⌈k/2⌉ bits for a k-bit ``n``), and of the
precomputation analysed by Jost, Lam, Maximov and Smeets ("Encryption performance improvements of
the Paillier cryptosystem", IACR ePrint 2015/864), whose library OPHELib uses exponents as short as
λ bits.

Why 256 bits, i.e. 2λ for λ = 128: semantic security now also rests on the *short-exponent
assumption* — ``h^x`` for short ``x`` is indistinguishable from a uniform element of ``⟨h⟩``
(Koshiba and Kurosawa, "Short exponent Diffie-Hellman problems", PKC 2004). With ⌈k/2⌉-bit
exponents this follows from factoring (Håstad, Schrift and Shamir, "The discrete logarithm modulo
a composite hides O(n) bits", JCSS 47, 1993); below that it is an assumption, and the best known
attack on an ``ℓ``-bit exponent is Pollard's kangaroo at ``2^(ℓ/2)`` group operations. Van Oorschot
and Wiener (EUROCRYPT 1996) speed that up with Pohlig–Hellman on small factors of the group order,
but the order of ``⟨h⟩`` divides ``λ(n)`` and is hidden from everyone who cannot factor ``n``. So
``ℓ = 2λ`` gives λ-bit security against outsiders and against the airline — exactly the parties
that see the carrier's bulk ciphertexts — while the 2048-bit modulus itself offers ~112 bits. The
one party that *can* factor ``n`` is the key holder, so anything the key holder must not link is
re-randomised with a uniform residue. Pass ``exponent_bits = n_bits // 2`` for DJN's setting,
which needs no short-exponent assumption, at about four times the cost.
"""

from __future__ import annotations

import math
import secrets

import gmpy2

from foundation.errors import ConfigError, CryptoError

__all__ = [
    "DEFAULT_EXPONENT_BITS",
    "MIN_EXPONENT_BITS",
    "CrtResidues",
    "FixedBaseTable",
    "PublicResidues",
]

DEFAULT_EXPONENT_BITS = 256
MIN_EXPONENT_BITS = 224  # 2 × 112, the security level NIST assigns to a 2048-bit modulus


class FixedBaseTable:
    """Every ``base^(d·256^j) mod modulus`` for byte digits ``d`` and positions ``j``.

    :meth:`power` then costs one modular multiplication per non-zero byte of the exponent. The
    table holds ``255 · ⌈exponent_bits / 8⌉`` residues: 4 MB for 256-bit exponents mod a
    4096-bit ``n²``.
    """

    def __init__(self, base: int, modulus: int, exponent_bits: int) -> None:
        if exponent_bits < 8:
            raise ConfigError(f"exponent_bits must be at least 8, not {exponent_bits}")
        self.modulus = gmpy2.mpz(modulus)
        self.exponent_bytes = math.ceil(exponent_bits / 8)
        self._rows = self._build_rows(gmpy2.mpz(base) % self.modulus)

    def _build_rows(self, base: gmpy2.mpz) -> list[list[gmpy2.mpz]]:
        rows: list[list[gmpy2.mpz]] = []
        step = base  # base^(256^j) for the current position j
        for _ in range(self.exponent_bytes):
            row = [gmpy2.mpz(1), step]
            for _digit in range(2, 256):
                row.append(row[-1] * step % self.modulus)
            rows.append(row)
            step = row[-1] * step % self.modulus
        return rows

    def power(self, exponent_le: bytes) -> gmpy2.mpz:
        """``base^x mod modulus`` for the little-endian exponent bytes ``exponent_le``."""
        if len(exponent_le) > self.exponent_bytes:
            raise CryptoError(
                f"exponent has {len(exponent_le)} bytes; this table covers {self.exponent_bytes}"
            )
        result = gmpy2.mpz(1)
        modulus = self.modulus
        for row, digit in zip(self._rows, exponent_le, strict=False):
            if digit:
                result = result * row[digit] % modulus
        return result


def _random_unit_below(bound: int) -> gmpy2.mpz:
    """A uniform integer in ``[1, bound)`` coprime to ``bound``."""
    while True:
        candidate = gmpy2.mpz(secrets.randbelow(bound - 1) + 1)
        if gmpy2.gcd(candidate, bound) == 1:
            return candidate


def _check_exponent_bits(exponent_bits: int) -> None:
    if exponent_bits < MIN_EXPONENT_BITS:
        raise ConfigError(
            f"exponent_bits must be at least {MIN_EXPONENT_BITS} (2 × the security level), "
            f"not {exponent_bits}"
        )


def _short_exponents(count: int, exponent_bytes: int) -> list[bytes]:
    """``count`` independent uniform exponents, as little-endian bytes, from one OS draw."""
    pool = secrets.token_bytes(count * exponent_bytes)
    return [pool[i * exponent_bytes : (i + 1) * exponent_bytes] for i in range(count)]


class PublicResidues:
    """Random n-th residues mod ``n²`` for anyone who knows only the public modulus ``n``."""

    def __init__(self, n: int, exponent_bits: int = DEFAULT_EXPONENT_BITS) -> None:
        _check_exponent_bits(exponent_bits)
        self.n = gmpy2.mpz(n)
        self.nsquare = self.n * self.n
        self.exponent_bits = exponent_bits
        self._table = FixedBaseTable(self.uniform(), self.nsquare, exponent_bits)

    def uniform(self) -> gmpy2.mpz:
        """A uniform n-th residue ``r^n mod n²`` (one full-size exponentiation)."""
        return gmpy2.powmod(_random_unit_below(int(self.n)), self.n, self.nsquare)

    def sample_many(self, count: int) -> list[gmpy2.mpz]:
        """``count`` short-exponent residues ``h^x mod n²``."""
        exponents = _short_exponents(count, self._table.exponent_bytes)
        return [self._table.power(x) for x in exponents]


class CrtResidues:
    """Random n-th residues mod ``n²`` for the key holder, computed mod ``p²`` and ``q²``."""

    def __init__(self, p: int, q: int, exponent_bits: int = DEFAULT_EXPONENT_BITS) -> None:
        _check_exponent_bits(exponent_bits)
        self.p, self.q = gmpy2.mpz(p), gmpy2.mpz(q)
        if gmpy2.gcd(self.p, self.q - 1) != 1 or gmpy2.gcd(self.q, self.p - 1) != 1:
            raise ConfigError(
                "Paillier primes with p | q − 1 or q | p − 1 are not supported; generate a new key"
            )
        self.psquare, self.qsquare = self.p * self.p, self.q * self.q
        self.nsquare = self.psquare * self.qsquare
        self._qsquare_inverse = gmpy2.invert(self.psquare, self.qsquare)
        self.exponent_bits = exponent_bits
        self._table_p = FixedBaseTable(self._uniform_mod(self.p), self.psquare, exponent_bits)
        self._table_q = FixedBaseTable(self._uniform_mod(self.q), self.qsquare, exponent_bits)

    def _uniform_mod(self, prime: gmpy2.mpz) -> gmpy2.mpz:
        # s^p mod p² is uniform on the order-(p−1) subgroup, which is the n-th residues mod p².
        return gmpy2.powmod(_random_unit_below(int(prime)), prime, prime * prime)

    def _combine(self, mod_p: gmpy2.mpz, mod_q: gmpy2.mpz) -> gmpy2.mpz:
        """The residue mod ``n²`` with the given residues mod ``p²`` and ``q²`` (Garner)."""
        lift = (mod_q - mod_p) * self._qsquare_inverse % self.qsquare
        return mod_p + self.psquare * lift

    def uniform(self) -> gmpy2.mpz:
        """A uniform n-th residue, by two half-size exponentiations."""
        return self._combine(self._uniform_mod(self.p), self._uniform_mod(self.q))

    def sample_many(self, count: int) -> list[gmpy2.mpz]:
        """``count`` short-exponent residues ``h^x mod n²``, each by two half-size table lookups."""
        exponents = _short_exponents(count, self._table_p.exponent_bytes)
        power_p, power_q = self._table_p.power, self._table_q.power
        return [self._combine(power_p(x), power_q(x)) for x in exponents]
