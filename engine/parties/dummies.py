"""The dummy domain ``D``: hashed keys whose discrete logarithm nobody knows (DESIGN §3).

Group ``g`` of a query owns the dummy keys ``d(g, 0) … d(g, m − 1)`` — disjoint between groups.
The airline sends them, blinded, inside group ``g``; the carrier lists every one of them in its
scope, each either blinded (it will match) or replaced by a random point (it will not), by a coin
only the carrier sees. The keys carry their own domain tag, so they can never equal a person's key,
and are the same for every query: what makes two queries unlinkable is the fresh scalars, not
fresh dummies. Hashing them is the same work on both sides, so it is done once per process.
"""

from __future__ import annotations

from functools import lru_cache

from engine.crypto.blinding import JoinKey, hash_many_to_group
from engine.crypto.blinding import random_points as _random_points

__all__ = ["DUMMY_DOMAIN", "dummy_points", "random_points"]

DUMMY_DOMAIN = "crossmesh-dummy"
_PERIOD = "2000-01"


@lru_cache(maxsize=4096)
def _group_points(group: int, count: int) -> tuple[bytes, ...]:
    keys = [JoinKey(DUMMY_DOMAIN, f"+99{group:05d}{j:08d}", _PERIOD) for j in range(count)]
    return tuple(hash_many_to_group(keys, workers=2))


def dummy_points(group: int, count: int) -> list[bytes]:
    """``H(d(group, j))`` for ``j < count``."""
    return list(_group_points(group, count))


def random_points(count: int, *, workers: int = 1) -> list[bytes]:
    """Points ``[r]B`` for fresh random scalars ``r``.

    Under DDH a blinded point ``H(k)^c`` is a uniform subgroup element too, so these pad lists
    and stand in for non-matching dummies without being told apart.
    """
    return _random_points(count, workers=workers)
