"""Partition files: atomic, checksummed, and damage is detected."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import IntegrityError
from engine.store import StoredPartition, read_partition, write_partition


def _partition() -> StoredPartition:
    points = bytes(range(32)) * 3
    ciphertexts = bytes(range(256)) * 3  # 3 records × 1 ciphertext × 256 bytes
    return StoredPartition("a1b2c3d4e5f6", "region:fukuoka", 1, 256, points, ciphertexts)


def test_round_trip(tmp_path: Path) -> None:
    """A written partition reads back identical, with its checksum."""
    original = _partition()
    checksum = write_partition(tmp_path / "p.part", original)
    again = read_partition(tmp_path / "p.part")
    assert again == original
    assert again.sha256 == checksum
    assert again.record_count == 3


@pytest.mark.parametrize("offset", [0, 20, 40, 200, 500, -1])
def test_one_flipped_byte_is_detected(tmp_path: Path, offset: int) -> None:
    """Flipping any single byte (header or body) raises IntegrityError naming the file."""
    path = tmp_path / "p.part"
    write_partition(path, _partition())
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(IntegrityError, match=r"p\.part is damaged"):
        read_partition(path)


def test_truncation_is_detected(tmp_path: Path) -> None:
    """A truncated file is reported as damaged, not read short."""
    path = tmp_path / "p.part"
    write_partition(path, _partition())
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IntegrityError):
        read_partition(path)


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that dies midway leaves the previous file intact and no temporary behind."""
    path = tmp_path / "p.part"
    write_partition(path, _partition())
    before = path.read_bytes()

    def explode(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("engine.atomic.os.replace", explode)
    with pytest.raises(OSError):
        write_partition(path, StoredPartition("ffff0000", "depart", 1, 256, b"", b""))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.part"]
