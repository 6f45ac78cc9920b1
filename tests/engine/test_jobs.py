"""Release jobs: one job per spec, run to completion, failures kept for the page to show."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from engine.jobs import KEPT_FINISHED, JobState, ReleaseJobs
from engine.queries import QuerySpec
from foundation.errors import BudgetExceeded, CrossmeshError

SPEC = QuerySpec(kind="visit-map", airport="SHM", start="2025-08-01", end="2025-08-07", epsilon=1.0)


class GatedRunner:
    """A release that waits for the test to open the gate, counting its runs."""

    def __init__(self, result: Any = "release", error: BaseException | None = None) -> None:
        self.gate, self.started = threading.Event(), threading.Event()
        self.runs, self.result, self.error = 0, result, error

    def __call__(self, spec: QuerySpec, progress: Any) -> Any:
        self.runs += 1
        progress("join", 0.5)
        self.started.set()
        self.gate.wait(10)
        if self.error is not None:
            raise self.error
        return self.result


def test_submitting_a_running_spec_joins_its_job() -> None:
    """Five submissions while it runs (double-clicks, other tabs): one run, one result."""
    runner = GatedRunner()
    jobs = ReleaseJobs(runner)
    first = jobs.submit(SPEC)
    runner.started.wait(10)
    statuses = [jobs.submit(SPEC) for _ in range(5)]
    assert first.state is JobState.RUNNING and all(not s.finished for s in statuses)
    assert jobs.status(SPEC.spec_hash).step == "join"  # type: ignore[union-attr]
    runner.gate.set()
    done = jobs.wait(SPEC.spec_hash, timeout=10)
    assert done is not None and done.state is JobState.DONE and done.release == "release"
    assert runner.runs == 1
    jobs.close()


def test_a_failure_is_kept_and_the_next_submission_runs_again() -> None:
    """A refused release: the page sees the ledger's error; asking again runs a new job."""
    runner = GatedRunner(error=BudgetExceeded("too little left"))
    runner.gate.set()
    jobs = ReleaseJobs(runner)
    jobs.submit(SPEC)
    failed = jobs.wait(SPEC.spec_hash, timeout=10)
    assert failed is not None and failed.state is JobState.FAILED
    assert isinstance(failed.error, BudgetExceeded)
    jobs.submit(SPEC)
    jobs.wait(SPEC.spec_hash, timeout=10)
    assert runner.runs == 2
    jobs.close()


def test_an_internal_error_is_named_not_printed() -> None:
    """A bug inside a release reaches the page as a CrossmeshError naming only its type."""
    runner = GatedRunner(error=KeyError("+819012345678"))
    runner.gate.set()
    jobs = ReleaseJobs(runner)
    jobs.submit(SPEC)
    failed = jobs.wait(SPEC.spec_hash, timeout=10)
    assert failed is not None and isinstance(failed.error, CrossmeshError)
    assert "KeyError" in str(failed.error) and "9012345678" not in str(failed.error)
    jobs.close()


def test_only_the_last_finished_jobs_are_kept() -> None:
    """The job table does not grow without end; the ledger's cache keeps the releases."""
    runner = GatedRunner()
    runner.gate.set()
    jobs = ReleaseJobs(runner)
    specs = [replace(SPEC, epsilon=0.1 + i / 100) for i in range(KEPT_FINISHED + 5)]
    for spec in specs:
        jobs.submit(spec)
        jobs.wait(spec.spec_hash, timeout=10)
    jobs.submit(SPEC)
    jobs.wait(SPEC.spec_hash, timeout=10)
    assert jobs.status(specs[0].spec_hash) is None
    assert jobs.status(specs[-1].spec_hash) is not None
    jobs.close()


@pytest.mark.parametrize("timeout", [0.01])
def test_wait_returns_a_running_status_on_timeout(timeout: float) -> None:
    """A short wait on a running job returns its progress, not an error."""
    runner = GatedRunner()
    jobs = ReleaseJobs(runner)
    jobs.submit(SPEC)
    runner.started.wait(10)
    status = jobs.wait(SPEC.spec_hash, timeout=timeout)
    assert status is not None and status.state is JobState.RUNNING and status.fraction == 0.5
    runner.gate.set()
    jobs.close()
