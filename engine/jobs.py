"""Release jobs: a release, once started, runs to completion whatever its caller does.

Why: a release reserves budget before the parties draw noise, and a reservation given up halfway
stays spent. A dashboard page that runs a release in its own script thread loses it when the user
changes page, closes the tab or double-clicks the button (Streamlit stops the script), so the
budget went for nothing. Here the release runs in the service's own worker thread instead; the
page only *waits* for it, and stopping the wait stops nothing.

Rules (README "Releases as jobs"):

* **one job per request**: submitting a spec whose job is queued or running returns that job
  (a double-click, or two browser tabs asking the same question, run it once);
* jobs run one at a time, in the order submitted (the parties run one query at a time anyway);
* a finished job's release is committed to the ledger's cache, so a page opened later finds it
  there at no cost; the job table keeps only the last few finished jobs, for the page to collect;
* a failed job keeps its error for the page to show; the next submission of the spec runs anew;
* a job interrupted by the *process* dying cannot be resumed: its reservation is found with a dead
  holder and abandoned by the next release of the spec, and stays spent (noise may have been
  drawn — see :meth:`engine.ledger.Ledger.abandon`).

Map: :class:`JobStatus` (what a page may see), :class:`ReleaseJobs` (submit, status, wait).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from engine.dp import Release
from engine.queries import QuerySpec
from foundation.errors import CrossmeshError

__all__ = ["JobState", "JobStatus", "ReleaseJobs"]

Progress = Callable[[str, float], None]
Runner = Callable[[QuerySpec, Progress], Release]
KEPT_FINISHED = 32


class JobState(StrEnum):
    """Where a job is."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobStatus:
    """A job as a page sees it: its step and progress, then its release or its error."""

    spec_hash: str
    state: JobState
    step: str = "start"
    fraction: float = 0.0
    release: Release | None = None
    error: CrossmeshError | None = None

    @property
    def finished(self) -> bool:
        """True once the job is done or failed."""
        return self.state is not JobState.RUNNING


class _Job:
    """One submitted release: its future and the last progress it reported."""

    def __init__(self, spec_hash: str) -> None:
        self.spec_hash = spec_hash
        self.step, self.fraction = "start", 0.0
        self.future: Future[Release] | None = None

    def report(self, step: str, fraction: float) -> None:
        self.step, self.fraction = step, fraction

    def status(self) -> JobStatus:
        future = self.future
        if future is None or not future.done():
            return JobStatus(self.spec_hash, JobState.RUNNING, self.step, self.fraction)
        if future.cancelled():
            stopped = CrossmeshError("the release was cancelled before it started; run it again")
            return JobStatus(self.spec_hash, JobState.FAILED, error=stopped)
        error = future.exception()
        if error is None:
            return JobStatus(self.spec_hash, JobState.DONE, "done", 1.0, release=future.result())
        if not isinstance(error, CrossmeshError):
            kind = type(error).__name__
            error = CrossmeshError(f"the release stopped with an internal error ({kind})")
        return JobStatus(self.spec_hash, JobState.FAILED, self.step, self.fraction, error=error)


class ReleaseJobs:
    """Releases run by one worker thread of the service, one job per spec."""

    def __init__(self, run: Runner) -> None:
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossmesh-release")
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, spec: QuerySpec) -> JobStatus:
        """Start the release of ``spec``, or return the job already queued or running for it."""
        with self._lock:
            job = self._jobs.get(spec.spec_hash)
            if job is not None and not job.status().finished:
                return job.status()
            job = _Job(spec.spec_hash)
            self._jobs[spec.spec_hash] = job
            self._jobs.move_to_end(spec.spec_hash)
            job.future = self._pool.submit(self._run, spec, job.report)
            self._forget_old()
            return job.status()

    def status(self, spec_hash: str) -> JobStatus | None:
        """The job of ``spec_hash``, or None if none was submitted (or it was long forgotten)."""
        with self._lock:
            job = self._jobs.get(spec_hash)
        return None if job is None else job.status()

    def wait(self, spec_hash: str, timeout: float | None = None) -> JobStatus | None:
        """Block until the job of ``spec_hash`` finishes (or ``timeout`` passes); its status."""
        with self._lock:
            job = self._jobs.get(spec_hash)
        if job is None or job.future is None:
            return None
        done = threading.Event()
        job.future.add_done_callback(lambda _future: done.set())
        done.wait(timeout)
        return job.status()

    def close(self) -> None:
        """Finish the running job and stop the worker (queued jobs are cancelled)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _forget_old(self) -> None:
        finished = [h for h, job in self._jobs.items() if job.status().finished]
        for spec_hash in finished[: max(0, len(finished) - KEPT_FINISHED)]:
            del self._jobs[spec_hash]
