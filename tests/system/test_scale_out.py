"""Scale-out: the same pre-noise sums for any partitioning and scheduler; a release on a cluster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

import engine.parallel as parallel
from engine.cohorts import Cohort, arrival_cohort, departure_cohort
from engine.dp.mechanisms import NoiseMechanism
from engine.inputs import AirlineInputs, load_airline
from engine.layout import PackedLayout
from engine.ledger.values import Scope
from engine.protocol import SecureSession, SessionSettings
from engine.queries import QuerySpec
from engine.service import CrossmeshService
from engine.views import view_family

START, END = dt.date(2025, 8, 1), dt.date(2025, 8, 14)
BUCKETS = (1, 4, 16)
SCHEDULERS = ("synchronous", "threads", "distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """A two-worker Dask cluster inside this process (bounded start: threads, no processes)."""
    with parallel.local_cluster(2, processes=False) as local:
        yield local


def _settings(scheduler: str, cluster: LocalCluster, buckets: int = 4) -> SessionSettings:
    address = cluster.scheduler_address if scheduler == "distributed" else scheduler
    return SessionSettings(
        workers=2,
        scheduler=address,
        buckets=buckets,
        min_group_size=1,
        allow_unnoised_decryption=True,  # tests only: compare sums before noise
    )


@pytest.fixture(scope="module")
def workspaces(
    tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory, cluster: LocalCluster
) -> dict[int, Path]:
    """The tiny world ingested with 1, 4 and 16 partitions, each on a different scheduler."""
    folders = {}
    for buckets, scheduler in zip(BUCKETS, SCHEDULERS, strict=True):
        folder = tmp_path_factory.mktemp(f"ws{buckets}")
        with SecureSession(folder, _settings(scheduler, cluster, buckets)) as session:
            session.ingest(tiny_dir)
        folders[buckets] = folder
    return folders


@pytest.fixture(scope="module")
def airline(tiny_dir: Path) -> AirlineInputs:
    """The airline's own inputs."""
    return load_airline(tiny_dir / "airline")


def _cohorts(airline: AirlineInputs) -> list[tuple[Cohort, str]]:
    """Arrivals at SHM (their area block) and departures from HND (location classes)."""
    # Few groups (per day offset; four days of departures): decryption is the slow part.
    arrivals = arrival_cohort(
        airline.members, airline.boardings, "SHM", START, END, days=3, by_date=False, max_trips=14
    )
    departures = departure_cohort(
        airline.members, airline.boardings, "HND", START, START + dt.timedelta(days=3), max_trips=4
    )
    return [(arrivals, "area"), (departures, "class_at")]


def _scheduler(cluster: LocalCluster) -> Any:
    """The in-process scheduler object, whose task prefixes show what ran on the cluster."""
    assert cluster.scheduler is not None
    return cluster.scheduler


def _unnoised(
    session: SecureSession, cohort: Cohort, block: str
) -> dict[tuple[str, ...], list[int]]:
    """Per group label, the slots of ``block``, summed over all ciphertexts, decrypted unnoised."""
    layout = PackedLayout.of(view_family(cohort.family), session.carrier.codec)
    segment = layout.segment_of(block)
    sums = session.encrypted_sums(cohort)
    first, stop = segment.ciphertext_start, segment.ciphertext_stop
    decrypt = session.carrier.decrypt_unnoised
    return {
        label: decrypt(list(cts[first:stop]), segment.length).tolist()
        for label, cts in zip(sums.labels, sums.ciphertexts, strict=True)
    }


def test_partitions_follow_the_setting(workspaces: dict[int, Path], cluster: LocalCluster) -> None:
    """An ingest writes exactly the asked number of partitions per family and period."""
    for buckets, folder in workspaces.items():
        session = SecureSession(folder, _settings("synchronous", cluster, buckets))
        for family, periods in session.carrier.manifest().items():
            counts = {len(entry["partitions"]) for entry in periods.values()}  # type: ignore[arg-type]
            assert counts == {buckets}, family


def test_pre_noise_sums_do_not_depend_on_partitions_or_scheduler(
    workspaces: dict[int, Path],
    airline: AirlineInputs,
    cluster: LocalCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """1, 4 or 16 partitions × synchronous, threaded or distributed: identical decrypted sums."""
    monkeypatch.setattr(parallel, "SMALL_WORK", 0)  # ship A3 and the merge even on tiny data
    cohorts = _cohorts(airline)
    results = {}
    for buckets, folder in workspaces.items():
        for scheduler in SCHEDULERS:
            with SecureSession(folder, _settings(scheduler, cluster, buckets)) as session:
                results[(buckets, scheduler)] = [_unnoised(session, *c) for c in cohorts]
    reference = results[(1, "synchronous")]
    for (cohort, _), group_sums in zip(cohorts, reference, strict=True):
        assert sum(sum(v) for v in group_sums.values()) > 0, cohort.family
    for combination, all_sums in results.items():
        assert all_sums == reference, combination
    assert {"partial_task", "multiply_pairs"} <= set(_scheduler(cluster).task_prefixes)


def test_release_runs_through_a_two_worker_cluster(
    workspaces: dict[int, Path],
    tiny_dir: Path,
    cluster: LocalCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A visit-map release on the cluster equals the truth, with one noise draw in all."""
    monkeypatch.setattr(parallel, "SMALL_WORK", 0)
    draws = []
    original = NoiseMechanism.sample

    def counted(self: NoiseMechanism, length: int) -> np.ndarray:
        draws.append(length)
        return original(self, length)

    monkeypatch.setattr(NoiseMechanism, "sample", counted)
    settings = SessionSettings(scheduler=cluster.scheduler_address, min_group_size=1)
    service = CrossmeshService(workspaces[16], tiny_dir, settings)
    for month in ("2025-07", "2025-08", "2025-09"):
        service.ledger.set_budget(Scope("airline+carrier", month), 1e4, "test")
    spec = QuerySpec(
        kind="visit-map", airport="SHM", days=3, start=START, end=END,
        epsilon=1000.0, threshold=0, max_trips=3,
    )  # fmt: skip
    frame = service.release(spec).to_frame()
    service.session.close()
    truth = pd.read_csv(tiny_dir / "truth" / "visit_mesh.csv", dtype=str)
    truth = truth[truth["airport"] == "SHM"].assign(n=lambda t: t["count"].astype(int))
    expected = truth.groupby(["day_offset", "mesh_code"])["n"].sum()
    got = frame.set_index(["day_offset", "mesh_code"])["value"].astype("int64")
    joined = pd.concat([got.rename("got"), expected.rename("want")], axis=1).fillna(0)
    assert joined["want"].sum() > 0
    assert (joined["got"] - joined["want"]).abs().max() <= 2
    assert len(draws) == 1  # one noise pass for the whole release, whatever the partitions
    assert "partial_task" in _scheduler(cluster).task_prefixes
