"""The cryptographic primitives of the secure engine.

* :mod:`~engine.crypto.blinding` — join keys hashed to ed25519 and blinded by a secret scalar
  (the private join);
* :mod:`~engine.crypto.lanes` — the airline's one-hot group indicators, per-slot sums, Horner
  packing and their checksums;
* :mod:`~engine.crypto.paillier` — keys, fast encryption, ciphertext arithmetic and wire format
  on python-paillier keys;
* :mod:`~engine.crypto.residues` — the random n-th residues behind fast encryption, and the
  security argument for their short exponents.

Protocol code imports from here; the modules' other names are internal.
"""

from __future__ import annotations

from engine.crypto.blinding import (
    POINT_BYTES,
    BlindingKey,
    JoinKey,
    check_points,
    hash_many_to_group,
    hash_to_group,
)
from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import (
    CiphertextSpace,
    Encryptor,
    PaillierKeys,
    load_public_key,
    public_key_from_bytes,
    public_key_to_bytes,
)
from engine.crypto.residues import DEFAULT_EXPONENT_BITS

__all__ = [
    "DEFAULT_EXPONENT_BITS",
    "POINT_BYTES",
    "BlindingKey",
    "CiphertextSpace",
    "Encryptor",
    "JoinKey",
    "LaneLayout",
    "PaillierKeys",
    "check_points",
    "hash_many_to_group",
    "hash_to_group",
    "load_public_key",
    "public_key_from_bytes",
    "public_key_to_bytes",
]
