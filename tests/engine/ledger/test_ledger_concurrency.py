"""Claims about the ledger under concurrency, in real processes (forkserver) that really race.

* Eight processes release against a budget that fits three: exactly three succeed, and the books
  add up.
* A process killed between reserve and commit never gets its budget back.
* Identical requests racing spend once; the others are served the same release from the cache.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
from collections import Counter
from multiprocessing.context import ForkServerContext
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from engine.ledger import AuditAction, CachedRelease, Ledger, Reservation, Scope
from foundation.errors import BudgetExceeded

SCOPE = Scope("airline-carrier", "2024-07")
COST = 0.1
RELEASED, REFUSED, FROM_CACHE = 10, 11, 12


def spec(name: str) -> str:
    """A spec hash as the release code would make it."""
    return hashlib.sha256(name.encode()).hexdigest()


def release_of(spec_hash: str) -> str:
    """The release JSON a worker commits for ``spec_hash``."""
    return json.dumps({"spec": spec_hash, "cells": [1, 2, 3]})


def release_worker(path: str, spec_hash: str, barrier: Barrier) -> None:
    """Wait for all, then try to release ``spec_hash``; the exit status says what happened."""
    ledger = Ledger(Path(path))
    barrier.wait(timeout=20)
    try:
        outcome = ledger.reserve_or_cached(spec_hash, [SCOPE], COST, f"worker-{os.getpid()}")
    except BudgetExceeded:
        sys.exit(REFUSED)
    if isinstance(outcome, CachedRelease):
        sys.exit(FROM_CACHE if outcome.release_json == release_of(spec_hash) else 1)
    threading.Event().wait(0.2)  # noise and decryption take a while; let the others queue up
    ledger.commit(outcome, release_of(spec_hash))
    sys.exit(RELEASED)


def killed_worker(path: str, spec_hash: str, reserved: Event) -> None:
    """Reserve, then die by SIGKILL before committing, as a crashed release would."""
    ledger = Ledger(Path(path))
    ledger.reserve_or_cached(spec_hash, [SCOPE], COST, "doomed")
    reserved.set()
    os.kill(os.getpid(), signal.SIGKILL)


def holding_worker(path: str, spec_hash: str, reserved: Event, go: Event) -> None:
    """Reserve, signal, hold the release until told, then commit it."""
    ledger = Ledger(Path(path))
    reservation = ledger.reserve_or_cached(spec_hash, [SCOPE], COST, "holder")
    assert isinstance(reservation, Reservation)
    reserved.set()
    go.wait(timeout=20)
    ledger.commit(reservation, release_of(spec_hash))


@pytest.fixture
def forkserver(monkeypatch: pytest.MonkeyPatch) -> ForkServerContext:
    """A forkserver context: children share no connection or state with the test process."""
    # Children import the workers from this module by its dotted name (tests.engine.ledger…);
    # the server imports it once, so each child starts in milliseconds, not after OpenDP's import.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[3]))
    # Streamlit's AppTest (tests/app) leaves __main__ pointing at a temporary page script; a child
    # would re-run it. The workers need nothing from __main__, so hide its path from the children.
    main = sys.modules["__main__"]
    monkeypatch.delattr(main, "__file__", raising=False)
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def race(forkserver: ForkServerContext, path: Path, specs: list[str]) -> Counter[int]:
    """Run one release_worker per spec behind a shared barrier; count their exit statuses."""
    barrier = forkserver.Barrier(len(specs))
    workers = [
        forkserver.Process(target=release_worker, args=(str(path), spec_hash, barrier))
        for spec_hash in specs
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return Counter(worker.exitcode for worker in workers if worker.exitcode is not None)


def test_eight_racing_releases_against_a_budget_for_three(
    forkserver: ForkServerContext, tmp_path: Path
) -> None:
    """Exactly three of eight concurrent releases succeed; spent is 3 × cost; the log agrees."""
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.set_budget(SCOPE, 3 * COST, "ops")
        outcomes = race(forkserver, ledger.path, [spec(f"query {i}") for i in range(8)])
        assert outcomes == Counter({RELEASED: 3, REFUSED: 5})
        status = ledger.budget(SCOPE)
        assert status.spent_rho == pytest.approx(3 * COST)
        assert status.remaining_rho == 0
        actions = Counter(entry.action for entry in ledger.audit())
        assert actions[AuditAction.RESERVE] == actions[AuditAction.COMMIT] == 3
        assert actions[AuditAction.REFUSE] == 5
        assert len(ledger.releases()) == 3


def test_identical_racing_requests_spend_once(
    forkserver: ForkServerContext, tmp_path: Path
) -> None:
    """Four processes asking for the same spec at once: one releases, three get its cache."""
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        outcomes = race(forkserver, ledger.path, [spec("same")] * 4)
        assert outcomes == Counter({RELEASED: 1, FROM_CACHE: 3})
        assert ledger.budget(SCOPE).spent_rho == pytest.approx(COST)


def test_killed_release_never_frees_its_budget(
    forkserver: ForkServerContext, tmp_path: Path
) -> None:
    """SIGKILL after reserve: the charge stays; re-requesting the spec charges again."""
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        reserved = forkserver.Event()
        worker = forkserver.Process(
            target=killed_worker, args=(str(ledger.path), spec("q"), reserved)
        )
        worker.start()
        worker.join(timeout=20)
        assert reserved.is_set() and worker.exitcode == -signal.SIGKILL
        assert ledger.budget(SCOPE).spent_rho == pytest.approx(COST)
        again = ledger.reserve_or_cached(spec("q"), [SCOPE], COST, "retry", wait_seconds=0)
        assert isinstance(again, Reservation)
        assert ledger.budget(SCOPE).spent_rho == pytest.approx(2 * COST)
        assert AuditAction.ABANDON in {entry.action for entry in ledger.audit()}


def test_spec_being_released_by_a_live_process_waits_or_says_so(
    forkserver: ForkServerContext, tmp_path: Path
) -> None:
    """While another process holds the spec: no wait means a clear error; waiting gets the cache."""
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        reserved, go = forkserver.Event(), forkserver.Event()
        args = (str(ledger.path), spec("q"), reserved, go)
        worker = forkserver.Process(target=holding_worker, args=args)
        worker.start()
        assert reserved.wait(timeout=20)
        with pytest.raises(BudgetExceeded, match="being released right now"):
            ledger.reserve_or_cached(spec("q"), [SCOPE], COST, "impatient", wait_seconds=0)
        go.set()
        served = ledger.reserve_or_cached(spec("q"), [SCOPE], COST, "patient", wait_seconds=30)
        worker.join(timeout=20)
        assert served == CachedRelease(1, spec("q"), release_of(spec("q")))
        assert ledger.budget(SCOPE).spent_rho == pytest.approx(COST)


def test_threads_sharing_one_ledger_cannot_overspend(tmp_path: Path) -> None:
    """Eight threads on one Ledger object against a budget for three: exactly three reserve."""
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.set_budget(SCOPE, 3 * COST, "ops")
        barrier, outcomes = threading.Barrier(8), list[str]()

        def release(number: int) -> None:
            barrier.wait(timeout=20)
            try:
                ledger.reserve(spec(f"thread {number}"), [SCOPE], COST, "thread")
                outcomes.append("reserved")  # list.append is atomic across threads
            except BudgetExceeded:
                outcomes.append("refused")

        threads = [threading.Thread(target=release, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert Counter(outcomes) == Counter({"reserved": 3, "refused": 5})
        assert ledger.budget(SCOPE).spent_rho == pytest.approx(3 * COST)
