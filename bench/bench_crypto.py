"""Benchmark of the crypto primitives: packed fast Paillier encryption against phe, and blinding.

Measures on a fresh 2048-bit key:

* phe's ``public_key.encrypt(small int)`` — the baseline: one count per ciphertext;
* our packed encryption, key-holder (CRT) and public (fixed-base) paths: ciphertexts/s and
  32-bit slots/s, with and without the packing step, and the ratios to phe;
* the *floor* of each path: the modular multiplications it cannot avoid (table products mod
  ``p²``/``q²`` or ``n²``, the CRT recombination and the ``g^m`` product) timed on their own, so
  the achieved rate can be read as a fraction of what the method allows in Python + gmpy2;
* uniform re-randomisation and phe decryption, per ciphertext;
* hash-to-group and blinding scalar multiplications per second (1 and 2 threads).

Prints one JSON object. ``--quick`` finishes in a few seconds. Run::

    .venv/bin/python bench/bench_crypto.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import time
from collections.abc import Callable
from typing import Any

import gmpy2
import nacl
import numpy as np

from engine.crypto import BlindingKey, Encryptor, JoinKey, PaillierKeys, SlotCodec
from engine.crypto import hash_many_to_group as hash_keys
from engine.crypto.residues import DEFAULT_EXPONENT_BITS

TARGET_PER_CIPHERTEXT = 40
TARGET_PER_SLOT = 2000
REPEATS = 3


def best_seconds(action: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` runs of ``action`` (least disturbed by other load)."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def per_second(count: int, seconds: float) -> float:
    """A rate rounded for reading."""
    return round(count / seconds, 1)


def bench_phe(keys: PaillierKeys, count: int) -> float:
    """phe encryptions of one small int per second."""
    public = keys.public
    return per_second(count, best_seconds(lambda: [public.encrypt(7) for _ in range(count)]))


def bench_path(encryptor: Encryptor, codec: SlotCodec, vectors: np.ndarray) -> dict[str, float]:
    """Packed encryption rates of one path, with and without the packing step."""
    plaintexts = [p for row in codec.pack_many(vectors) for p in row]
    encrypt_only = best_seconds(lambda: encryptor.encrypt_many(plaintexts))
    pack_and_encrypt = best_seconds(
        lambda: encryptor.encrypt_many([p for row in codec.pack_many(vectors) for p in row])
    )
    slots = codec.slots_per_plaintext
    return {
        "ciphertexts_per_s": per_second(len(plaintexts), encrypt_only),
        "slots_per_s": per_second(len(plaintexts) * slots, encrypt_only),
        "ciphertexts_per_s_incl_packing": per_second(len(plaintexts), pack_and_encrypt),
        "us_per_ciphertext": round(encrypt_only / len(plaintexts) * 1e6, 1),
    }


def mulmod_seconds(modulus: gmpy2.mpz, count: int) -> float:
    """Seconds for one multiplication mod ``modulus`` of two full-size residues."""
    a = gmpy2.mpz(secrets.randbelow(int(modulus)))
    b = gmpy2.mpz(secrets.randbelow(int(modulus)))

    def run() -> None:
        for _ in range(count):
            a * b % modulus

    return best_seconds(run) / count


def message_seconds(keys: PaillierKeys, count: int) -> float:
    """Seconds for the ``g^m · ρ`` step (``ρ + n·(m·ρ mod n)``) with a full-size ``m``."""
    n = gmpy2.mpz(keys.public.n)
    rho, m = gmpy2.mpz(secrets.randbelow(int(n * n))), secrets.randbelow(int(n))

    def run() -> None:
        for _ in range(count):
            rho + n * (m * rho % n)

    return best_seconds(run) / count


def floors(keys: PaillierKeys, count: int) -> dict[str, float]:
    """The unavoidable modular work of each path, in µs per ciphertext."""
    p = gmpy2.mpz(keys.private.p)
    n2 = gmpy2.mpz(keys.public.nsquare)
    table_products = DEFAULT_EXPONENT_BITS // 8
    t_n2, t_p2 = mulmod_seconds(n2, count), mulmod_seconds(p * p, count)
    t_message = message_seconds(keys, count)
    # The CRT recombination costs about two multiplications mod p²: one mod q², one p²·lift.
    return {
        "mulmod_n2_us": round(t_n2 * 1e6, 3),
        "mulmod_p2_us": round(t_p2 * 1e6, 3),
        "g_power_step_us": round(t_message * 1e6, 3),
        "table_products_per_residue": table_products,
        "public_floor_us": round((table_products * t_n2 + t_message) * 1e6, 1),
        "key_holder_floor_us": round(((2 * table_products + 2) * t_p2 + t_message) * 1e6, 1),
        "phe_floor_us": round(_phe_floor_seconds(keys) * 1e6, 1),
    }


def _phe_floor_seconds(keys: PaillierKeys) -> float:
    """One ``r^n mod n²`` (what phe cannot avoid per ciphertext)."""
    n = gmpy2.mpz(keys.public.n)
    r = gmpy2.mpz(secrets.randbelow(int(n)))
    return best_seconds(lambda: gmpy2.powmod(r, n, n * n))


def bench_rerandomize_and_decrypt(keys: PaillierKeys, count: int) -> dict[str, float]:
    """Uniform re-randomisation (both paths) and phe decryption, per ciphertext."""
    holder, public = Encryptor.for_key_holder(keys), Encryptor.for_public_key(keys.public)
    ciphertexts = holder.encrypt_many(list(range(count)))
    return {
        "rerandomize_key_holder_per_s": per_second(
            count, best_seconds(lambda: [holder.rerandomize(c) for c in ciphertexts])
        ),
        "rerandomize_public_per_s": per_second(
            count, best_seconds(lambda: [public.rerandomize(c) for c in ciphertexts])
        ),
        "phe_raw_decrypt_per_s": per_second(
            count, best_seconds(lambda: [keys.private.raw_decrypt(c) for c in ciphertexts])
        ),
    }


def bench_blinding(count: int) -> dict[str, float]:
    """Hash-to-group and blinding rates, on one and two threads."""
    keys = [JoinKey("crossmesh/bench", f"+8190{i:08d}", "2025-08-01") for i in range(count)]
    points = hash_keys(keys)
    blinding = BlindingKey.generate()
    return {
        "hash_to_group_per_s": per_second(count, best_seconds(lambda: hash_keys(keys))),
        "hash_to_group_per_s_2_threads": per_second(
            count, best_seconds(lambda: hash_keys(keys, workers=2))
        ),
        "scalar_mults_per_s": per_second(count, best_seconds(lambda: blinding.blind(points))),
        "scalar_mults_per_s_2_threads": per_second(
            count, best_seconds(lambda: blinding.blind(points, workers=2))
        ),
    }


def run(quick: bool) -> dict[str, Any]:
    """All measurements as one JSON-ready dict."""
    started = time.perf_counter()
    scale = 1 if quick else 6
    keys = PaillierKeys.generate(2048)
    codec = SlotCodec.for_modulus(keys.public.n, slot_bits=32)
    vectors = np.random.default_rng(1).integers(0, 2**16, size=(10 * scale, 4 * 62))
    build_start = time.perf_counter()
    holder = Encryptor.for_key_holder(keys)
    build_holder = time.perf_counter() - build_start
    build_start = time.perf_counter()
    public = Encryptor.for_public_key(keys.public)
    build_public = time.perf_counter() - build_start
    phe_rate = bench_phe(keys, 25 * scale)
    paths = {"key_holder": bench_path(holder, codec, vectors)}
    paths["public"] = bench_path(public, codec, vectors)
    for path in paths.values():
        path["ratio_per_ciphertext"] = round(path["ciphertexts_per_s"] / phe_rate, 1)
        path["ratio_per_slot"] = round(path["slots_per_s"] / phe_rate, 1)
        path["targets_met"] = (
            path["ratio_per_ciphertext"] >= TARGET_PER_CIPHERTEXT
            and path["ratio_per_slot"] >= TARGET_PER_SLOT
        )
    floor = floors(keys, 2000 * scale)
    paths["key_holder"]["fraction_of_floor"] = round(
        floor["key_holder_floor_us"] / paths["key_holder"]["us_per_ciphertext"], 2
    )
    paths["public"]["fraction_of_floor"] = round(
        floor["public_floor_us"] / paths["public"]["us_per_ciphertext"], 2
    )
    return {
        "benchmark": "crypto_primitives",
        "date": dt.date.today().isoformat(),
        "quick": quick,
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "gmpy2": gmpy2.version(),
            "gmp": gmpy2.mp_version(),
            "pynacl": nacl.__version__,
        },
        "key_bits": 2048,
        "slot_bits": codec.slot_bits,
        "slots_per_ciphertext": codec.slots_per_plaintext,
        "exponent_bits": DEFAULT_EXPONENT_BITS,
        "table_build_s": {"key_holder": round(build_holder, 3), "public": round(build_public, 3)},
        "phe_encrypt_per_s": phe_rate,
        "packed": paths,
        "targets": {"per_ciphertext": TARGET_PER_CIPHERTEXT, "per_slot": TARGET_PER_SLOT},
        "floor": floor,
        "other": bench_rerandomize_and_decrypt(keys, 10 * scale),
        "blinding": bench_blinding(2000 * scale),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    """Parse the flags, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts; a few seconds")
    args = parser.parse_args()
    print(json.dumps(run(args.quick), indent=2))


if __name__ == "__main__":
    main()
