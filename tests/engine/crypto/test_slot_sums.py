"""Per-slot homomorphic sums (engine.crypto.slot_sums), with the parent slots of a two-level map."""

from __future__ import annotations

import numpy as np

from engine.crypto.lanes import LaneLayout
from engine.crypto.paillier import Encryptor, PaillierKeys
from engine.crypto.slot_sums import PartitionRecords, SlotSums, partial_products, run_boundaries


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


def _runs_of_times(times: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    columns = np.arange(times * stride, dtype=np.int64)
    previous = np.where(columns >= stride, columns - stride, -1)
    following = np.where(columns < (times - 1) * stride, columns + stride, -1)
    return previous, following


def test_run_boundaries_mark_each_run_once_at_its_start_and_after_its_end() -> None:
    """Class 0 at times 0–2, class 1 at 3, class 0 again at 4 (of 6 times, 2 classes)."""
    previous, following = _runs_of_times(6, 2)
    slots = np.array([0, 2, 4, 7, 8], dtype=np.int64)
    indptr, marks = run_boundaries(np.array([0, 5]), slots, previous, following)
    length = len(previous)
    assert indptr.tolist() == [0, 6]
    assert sorted(marks.tolist()) == sorted([0, length + 4, 7, length + 7, 8, length + 8])


def test_sums_by_runs_equal_the_per_slot_sums_for_random_records() -> None:
    """Decrypted, the run-summed slots equal the slot-by-slot sums of the same records."""
    rng = np.random.default_rng(5)
    keys = PaillierKeys.generate(1024)
    encryptor = Encryptor.for_key_holder(keys)
    times, stride, groups = 12, 3, 3
    previous, following = _runs_of_times(times, stride)
    length = times * stride
    records = []
    for _ in range(40):  # one class (or none) per time, classes held for a while
        held, slots = int(rng.integers(stride)), []
        for time in range(times):
            if rng.random() < 0.1:
                held = int(rng.integers(stride))
            if rng.random() < 0.95:
                slots.append(time * stride + held)
        records.append((slots, [int(rng.integers(groups))]))
    lanes = LaneLayout.fitting(int(keys.public.n), groups, len(records), 8)
    plaintexts = [p for _, g in records for p in lanes.indicator_plaintexts(g)]
    ciphertexts, _ = encryptor.encrypt_opening(plaintexts)
    slots = np.concatenate([np.asarray(s, dtype=np.int64) for s, _ in records])
    indptr = np.cumsum([0, *(len(s) for s, _ in records)]).astype(np.int64)
    run_indptr, marks = run_boundaries(indptr, slots, previous, following)
    assert len(marks) < len(slots) / 2  # the point of it
    partition = PartitionRecords(
        run_indptr, marks, len(lanes.pieces), encryptor.ciphertext_bytes,
        encryptor.to_bytes(ciphertexts),
    )  # fmt: skip
    sums = SlotSums(int(encryptor.nsquare), len(lanes.pieces), length)
    sums.merge(partial_products(int(encryptor.nsquare), partition))
    sums.close_runs(previous)
    outputs, counts = sums.noised_outputs(
        lanes, np.zeros((groups, length), dtype=np.int64), encryptor
    )
    (piece,) = lanes.pieces
    got = lanes.unpack(piece, keys.decrypt_many(outputs)[: counts[0]], length).T
    want = np.zeros((groups, length), dtype=np.int64)
    for slot_list, group_list in records:
        for g in group_list:
            want[g, slot_list] += 1
    np.testing.assert_array_equal(got, want)
