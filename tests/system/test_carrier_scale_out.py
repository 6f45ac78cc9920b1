"""The carrier's products on its own runner: same release everywhere, and no secret in a task."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine.parallel as parallel
from engine.crypto.slot_sums import PartitionRecords
from engine.dp.mechanisms import NoiseMechanism
from engine.ledger.values import Scope
from engine.parties.policy import SideChannelPolicy
from engine.queries import QuerySpec
from engine.session import SecureSession, SessionSettings

POLICY = SideChannelPolicy(match_rho=0.5, max_dummies_per_query=2000)
SPEC = {"kind": "visit-map", "airport": "FUK", "start": "2025-08-01", "end": "2025-08-14"}


@pytest.fixture(scope="module")
def zero_noise() -> Iterator[None]:
    """Both parties draw zero noise (tests only), so releases can be compared exactly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            NoiseMechanism, "sample", lambda self, length: np.zeros(length, dtype=np.int64)
        )
        patch.setattr(parallel, "SMALL_WORK", 0)  # ship even the tiny world's tasks
        yield


def _release(tiny_dir: Path, root: Path, scheduler: str) -> tuple[Any, SecureSession]:
    settings = SessionSettings(policy=POLICY, carrier_scheduler=scheduler, carrier_workers=2)
    session = SecureSession(root, tiny_dir, settings)
    session.prepare()
    for ledger in (session.airline.ledger, session.carrier.ledger):
        for pair in ("airline+carrier", "carrier"):  # the airline's and the carrier's scopes
            ledger.set_budget(Scope(pair, "2025-08"), 100.0, "test")
    return session.release(QuerySpec(**SPEC, epsilon=20.0)), session  # type: ignore[arg-type]


def _numbers(value: Any) -> Iterator[int]:
    if isinstance(value, int | np.integer):
        yield int(value)
    elif isinstance(value, np.ndarray):
        yield from (int(v) for v in value.ravel())
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for item in value:
            yield from _numbers(item)


@pytest.mark.usefixtures("zero_noise")
def test_release_is_the_same_on_threads_and_on_a_dask_cluster(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """In-process, threads and the carrier's own 2-process LocalCluster give one release."""
    values = []
    for scheduler in ("synchronous", "threads", "local"):
        release, session = _release(tiny_dir, tmp_path / scheduler, scheduler)
        session.close()
        values.append(release.values)
    assert values[0] == values[1] == values[2]
    assert sum(v or 0 for v in values[0]) > 0


@pytest.mark.usefixtures("zero_noise")
def test_no_task_argument_carries_a_key(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every argument shipped to the carrier's workers is public: n², slot numbers, ciphertexts."""
    shipped: list[Any] = []
    original = parallel.ThreadRunner.map

    def recording(self: Any, task: Any, items: Any, **kwargs: Any) -> Any:
        shipped.append((task.__module__, kwargs.get("shared"), list(items)))
        return original(self, task, items, **kwargs)

    monkeypatch.setattr(parallel.ThreadRunner, "map", recording)
    release, session = _release(tiny_dir, tmp_path / "ws", "threads")
    keys = session.airline.keys
    secrets = {int(keys.private.p), int(keys.private.q)}
    session.close()
    assert shipped and all(module == "engine.crypto.slot_sums" for module, _, _ in shipped)
    nsquare = int(keys.public.n) ** 2
    numbers = {n for _, shared, _ in shipped for n in _numbers(shared)}
    for _, _, items in shipped:
        for records in items:
            assert isinstance(records, PartitionRecords)
            width = records.width
            blob = records.ciphertexts
            numbers |= {
                int.from_bytes(blob[i : i + width], "big") for i in range(0, len(blob), width)
            }
            numbers |= set(_numbers([records.indptr, records.slots]))
    assert not numbers & secrets
    assert all(0 <= n <= nsquare for n in numbers)
    assert numbers
    assert release.values
