"""The carrier's view store: every file and the manifest carry a MAC that is checked on read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.keyring import KeyRing
from engine.parties.carrier_store import StoredMonth, ViewStore
from engine.workspace import PartyFolder
from foundation.errors import IntegrityError


def _month(month: str, records: int) -> StoredMonth:
    return StoredMonth(
        "region_x", month, bytes(range(32)) * records, np.arange(records, dtype=np.int64),
        np.arange(records + 1, dtype=np.int64), np.zeros(records, dtype=np.int64),
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> ViewStore:
    """A store with two months, on a fresh carrier folder."""
    folder = PartyFolder(tmp_path / "carrier").ensure()
    views = ViewStore(folder, KeyRing.open(folder, "carrier"))
    views.write_months([_month("2025-08", 3), _month("2025-09", 2)], ["d8", "d9"])
    return views


def test_months_round_trip_and_verify_clean(store: ViewStore) -> None:
    """What was written reads back, and problems() finds nothing."""
    assert len(store.read("region_x", "2025-08")) == 3
    assert list(store.problems()) == []


def test_an_edited_manifest_fails_its_mac(store: ViewStore) -> None:
    """Changing a record count in the manifest is refused on the next read."""
    document = json.loads(store._manifest_path.read_text())
    document["months"]["region_x"]["2025-08"]["records"] = 99
    store._manifest_path.write_text(json.dumps(document))
    with pytest.raises(IntegrityError, match=r"manifest\.json fails its MAC"):
        store.read("region_x", "2025-08")


def test_a_file_moved_to_another_month_fails_its_mac(store: ViewStore) -> None:
    """August's bytes under September's name fail September's MAC (family and month are in it)."""
    months = store.manifest()["region_x"]
    august, september = (store.root / str(months[m]["file"]) for m in ("2025-08", "2025-09"))
    shutil.copyfile(august, september)
    with pytest.raises(IntegrityError, match=r"fails its MAC.*crossmesh repair"):
        store.read("region_x", "2025-09")
    assert [p.month for p in store.problems()] == ["2025-09"]


def test_an_older_unsigned_manifest_points_to_repair(store: ViewStore) -> None:
    """A manifest without the v2 format and MAC is refused, naming crossmesh repair."""
    store._manifest_path.write_text(json.dumps(store.manifest()))
    with pytest.raises(IntegrityError, match="crossmesh repair"):
        store.read("region_x", "2025-08")
