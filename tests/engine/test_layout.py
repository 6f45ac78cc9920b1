"""Packed layout: segments start on fresh plaintexts and round-trip through the codec."""

from __future__ import annotations

import numpy as np

from engine.crypto.packing import SlotCodec
from engine.layout import SLOT_BITS, PackedLayout, segment_blocks
from engine.views import view_family


def test_region_family_segments() -> None:
    """Mesh, area and hour are segments of their own; demographic shares with prior visits."""
    family = view_family("region:nanki_shirahama")
    assert segment_blocks(family) == [
        ("mesh",),
        ("area",),
        ("hour",),
        ("demographic", "prior_visits"),
    ]
    layout = PackedLayout.of(family, SlotCodec(2048, SLOT_BITS))
    assert layout.segment_of("prior_visits").blocks == ("demographic", "prior_visits")
    assert layout.segment_of("mesh").max_nonzero == 6
    assert layout.segments[-1].slot_stop == family.size


def test_pack_rows_then_unpack_each_segment() -> None:
    """A packed record unpacks, segment by segment, to the same vector."""
    family = view_family("region:fukuoka")
    layout = PackedLayout.of(family, SlotCodec(2048, SLOT_BITS))
    rng = np.random.default_rng(3)
    matrix = (rng.random((4, family.size)) < 0.05).astype(np.int64)
    rows = layout.pack_rows(matrix)
    assert all(len(row) == layout.ciphertexts_per_record for row in rows)
    for row, plaintexts in zip(matrix, rows, strict=True):
        for segment in layout.segments:
            part = plaintexts[segment.ciphertext_start : segment.ciphertext_stop]
            values = layout.unpack_segment(segment, part)
            assert np.array_equal(values, row[segment.slot_start : segment.slot_stop])
