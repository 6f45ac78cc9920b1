"""Per-slot homomorphic sums (engine.crypto.slot_sums), with the parent slots of a two-level map."""

from __future__ import annotations

import numpy as np

from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import Encryptor, PaillierKeys
from engine.crypto.slot_sums import PartitionRecords, SlotSums, partial_products


def test_parent_slots_are_the_sums_of_their_children_with_no_extra_indicator() -> None:
    """Records set child slots 0–3; parents {0, 1} and {2, 3} decrypt to the children's sums."""
    keys = PaillierKeys.generate(1024)
    encryptor = Encryptor.for_key_holder(keys)
    groups, children, members = 2, 4, ((0, 1), (2, 3))
    records = [([0, 1], [0]), ([1], [1]), ([2, 3], [0, 1]), ([0, 3], [1])]  # (slots, groups)
    lanes = LaneLayout.fitting(int(keys.public.n), groups, 2 * len(records), 8)
    plaintexts = [p for _, g in records for p in lanes.indicator_plaintexts(g)]
    ciphertexts, _ = encryptor.encrypt_opening(plaintexts)
    slots = np.concatenate([np.asarray(s, dtype=np.int64) for s, _ in records])
    indptr = np.cumsum([0, *(len(s) for s, _ in records)]).astype(np.int64)
    partition = PartitionRecords(
        indptr, slots, len(lanes.pieces), encryptor.ciphertext_bytes,
        encryptor.to_bytes(ciphertexts),
    )  # fmt: skip
    sums = SlotSums(int(encryptor.nsquare), len(lanes.pieces), children + len(members))
    sums.merge(partial_products(int(encryptor.nsquare), partition))
    sums.add_parents(members, children)
    zero = np.zeros((groups, children + len(members)), dtype=np.int64)
    outputs, counts = sums.noised_outputs(lanes, zero, encryptor)
    plain = keys.decrypt_many(outputs)
    (piece,) = lanes.pieces
    got = lanes.unpack(piece, plain[: counts[0]], children + len(members)).T
    want = np.zeros((groups, children), dtype=np.int64)
    for slot_list, group_list in records:
        for g in group_list:
            want[g, slot_list] += 1
    np.testing.assert_array_equal(got[:, :children], want)
    np.testing.assert_array_equal(got[:, children:], [[want[g, list(m)].sum() for m in members]
                                                      for g in range(groups)])  # fmt: skip
