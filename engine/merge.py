"""Merging encrypted partial sums: the seeds' "superimposition" (重ね合わせ), as a tree.

Matching (A3) runs per partition and gives, per cohort group, a vector of Paillier ciphertexts:
that partition's share of the group's slot sums. Paillier is additively homomorphic — the product
of two ciphertexts mod ``n²`` encrypts the sum of their plaintexts — so the group's total is the
element-wise product of its partials, computed without decrypting anything. Noise is added once,
to the merged result (A4), whatever the number of partitions: merging is exact, so the pre-noise
sums are the same for one partition or a thousand.

Why a tree. Multiplication mod ``n²`` is associative and commutative, so the partials can be
combined in any grouping. Pairing them level by level — ``P`` vectors become ``⌈P/2⌉``, then
``⌈P/4⌉`` … — needs the same ``P − 1`` products as a left-to-right loop but only ``⌈log₂ P⌉``
rounds, and every round's products are independent: on a cluster they run side by side. A
round is shipped to the runner only when its products are many (:data:`~engine.parallel.
SMALL_WORK`); a release's merge at demo scale is a few thousand products and stays in-process.

:func:`merge_partials` merges plain vectors; :func:`merge_group_partials` the per-group
dictionaries the matching step returns (a partition holds members of some groups, not all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gmpy2

from engine.errors import ProtocolError
from engine.parallel import Runner

__all__ = ["merge_group_partials", "merge_partials", "multiply_pairs"]

Vector = list[int]
Pair = tuple[Sequence[int], Sequence[int]]


def multiply_pairs(nsquare: int, pairs: Sequence[Pair]) -> list[Vector]:
    """Element-wise products mod ``nsquare`` of each pair of equal-length vectors (a task)."""
    modulus = gmpy2.mpz(nsquare)
    products = []
    for left, right in pairs:
        if len(left) != len(right):
            raise ProtocolError(
                f"partial sums of {len(left)} and {len(right)} ciphertexts cannot be merged; "
                "they come from different layouts"
            )
        products.append([int(gmpy2.mpz(a) * b % modulus) for a, b in zip(left, right, strict=True)])
    return products


def _batches(pairs: list[Pair], count: int) -> list[list[Pair]]:
    size = -(-len(pairs) // max(1, count))
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def _merge_round(
    vectors_by_key: dict[int, list[Vector]], nsquare: int, runner: Runner
) -> dict[int, list[Vector]]:
    """One level of the tree for every key at once: neighbours multiplied, an odd one carried."""
    pairs: list[Pair] = []
    owners: list[int] = []
    carried: dict[int, list[Vector]] = {key: [] for key in vectors_by_key}
    for key, vectors in vectors_by_key.items():
        for i in range(0, len(vectors) - 1, 2):
            pairs.append((vectors[i], vectors[i + 1]))
            owners.append(key)
        if len(vectors) % 2:
            carried[key].append(vectors[-1])
    work = sum(len(left) for left, _ in pairs)
    batches = _batches(pairs, 4 * runner.workers)
    done = runner.map(multiply_pairs, batches, shared=(nsquare,), work=work)
    products = [vector for batch in done for vector in batch]
    merged: dict[int, list[Vector]] = {key: [] for key in vectors_by_key}
    for key, product in zip(owners, products, strict=True):
        merged[key].append(product)
    for key, rest in carried.items():
        merged[key].extend(rest)  # the odd one joins the next level last: order is immaterial
    return merged


def merge_group_partials(
    partials: Sequence[Mapping[int, Sequence[int]]], nsquare: int, runner: Runner | None = None
) -> dict[int, Vector]:
    """Per group, the product of its partial vectors over all partitions, by tree reduction.

    Groups that appear in no partial are absent from the result (the caller encrypts zero).
    """
    runner = runner or Runner()
    vectors: dict[int, list[Vector]] = {}
    for partial in partials:
        for group, vector in partial.items():
            vectors.setdefault(group, []).append([int(c) for c in vector])
    while any(len(v) > 1 for v in vectors.values()):
        vectors = _merge_round(vectors, nsquare, runner)
    return {group: merged[0] for group, merged in sorted(vectors.items())}


def merge_partials(
    partials: Sequence[Sequence[int]], nsquare: int, runner: Runner | None = None
) -> Vector:
    """The element-wise product mod ``nsquare`` of equal-length ciphertext vectors, as a tree."""
    if not partials:
        raise ProtocolError("there are no partial sums to merge; match at least one partition")
    return merge_group_partials([{0: p} for p in partials], nsquare, runner)[0]
