"""Tests of the encrypted tree merge (engine.merge): exact sums, any grouping, any runner."""

from __future__ import annotations

import secrets
from functools import reduce

import pytest

import engine.parallel as parallel
from engine.crypto.paillier import Encryptor, PaillierKeys
from engine.errors import ProtocolError
from engine.merge import merge_group_partials, merge_partials, multiply_pairs
from engine.parallel import ThreadRunner

MODULUS = (1 << 127) - 1  # any modulus: merging is only multiplication


@pytest.fixture(scope="module")
def keys() -> PaillierKeys:
    """One 1024-bit key pair for the module (unit-test size only)."""
    return PaillierKeys.generate(1024)


def _random_vectors(count: int, length: int) -> list[list[int]]:
    return [[secrets.randbelow(MODULUS - 1) + 1 for _ in range(length)] for _ in range(count)]


def _product(vectors: list[list[int]]) -> list[int]:
    columns = zip(*vectors, strict=True)
    return [reduce(lambda a, b: a * b % MODULUS, column, 1) for column in columns]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8, 9, 16, 17])
def test_tree_equals_left_to_right_product(count: int) -> None:
    """Whatever the number of partials, the tree gives the plain element-wise product."""
    vectors = _random_vectors(count, 4)
    assert merge_partials(vectors, MODULUS) == _product(vectors)


def test_merged_ciphertexts_decrypt_to_the_sum(keys: PaillierKeys) -> None:
    """Under Paillier, the merge of encrypted partials decrypts to the sum of their plaintexts."""
    encryptor = Encryptor.for_key_holder(keys)
    plaintexts = [[secrets.randbelow(1000) for _ in range(3)] for _ in range(7)]
    partials = [encryptor.encrypt_many(row) for row in plaintexts]
    merged = merge_partials(partials, int(encryptor.nsquare))
    assert keys.decrypt_many(merged) == [sum(column) for column in zip(*plaintexts, strict=True)]


def test_groups_are_merged_over_the_partitions_that_hold_them() -> None:
    """A group's result multiplies only the partials that have it; absent groups stay absent."""
    a, b, c, d = _random_vectors(4, 2)
    partials = [{0: a, 2: b}, {2: c}, {}, {0: d}]
    merged = merge_group_partials(partials, MODULUS)
    assert merged == {0: _product([a, d]), 2: _product([b, c])}
    assert merge_group_partials([], MODULUS) == {}


def test_rounds_on_a_runner_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shipping every round to a thread pool changes nothing in the result."""
    partials = [{group: v for group, v in enumerate(_random_vectors(5, 3))} for _ in range(11)]
    inline = merge_group_partials(partials, MODULUS)
    monkeypatch.setattr(parallel, "SMALL_WORK", 0)
    with ThreadRunner(3) as runner:
        assert merge_group_partials(partials, MODULUS, runner) == inline


def test_vectors_of_different_lengths_are_refused() -> None:
    """Partials packed under different layouts cannot be merged."""
    with pytest.raises(ProtocolError, match="different layouts"):
        multiply_pairs(MODULUS, [([1, 2, 3], [4, 5])])
    with pytest.raises(ProtocolError, match="different layouts"):
        merge_partials([[1, 2, 3], [4, 5]], MODULUS)


def test_nothing_to_merge_is_refused() -> None:
    """An empty list of partials has no length to give zero; the caller must say."""
    with pytest.raises(ProtocolError, match="no partial sums"):
        merge_partials([], MODULUS)
