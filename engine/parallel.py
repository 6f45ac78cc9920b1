"""Where per-partition work runs: in this process, on threads, or on a Dask cluster.

Scope partitions are the unit of parallel work (DESIGN §6): the carrier's per-slot products of
one partition are a task (:func:`engine.crypto.slot_sums.partial_products`), run on the carrier's
own runner. Every task is a top-level function of picklable arguments that
returns a picklable value and reads no files, so the same task runs unchanged on any runner, and
:meth:`Runner.map` always returns results in input order: the answer never depends on where it
was computed, only the time does.

Runners, by scheduler name (:func:`make_runner`):

``synchronous``  :class:`Runner` — in this process, one item after another;
``threads``      :class:`ThreadRunner` — a thread pool here; only work that releases the GIL
                 (libsodium blinding) gains, which makes it mostly a test of ordering;
``local``        :class:`DaskRunner` on a ``LocalCluster`` of worker *processes*, one per core,
                 one thread each, no dashboard — the default when more than one worker is asked;
an address       :class:`DaskRunner` on an existing Dask cluster (``tls://host:8786``), also
                 taken from the environment variable ``CROSSMESH_DASK_SCHEDULER``.

Every cluster link is TLS (:mod:`engine.cluster_security`): a local cluster gets throw-away
certificates of its own, an existing one is reached with the party's certificates, and plain TCP
is accepted only on loopback.

A Dask runner starts (or connects) only when the first job worth shipping arrives, and both the
start and the connection are bounded in time: a cluster that does not come up is a
:class:`~foundation.errors.ConfigError` that says what to do, not a hang. A job whose estimated
``work`` is below :data:`SMALL_WORK` runs in-process on every runner, because pickling it to a
worker would cost more than the work (a release's matching at demo scale, for instance).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from engine.cluster_security import cluster_security, throwaway_security
from foundation.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster, Security

__all__ = [
    "SCHEDULER_ENV",
    "SMALL_WORK",
    "STARTUP_TIMEOUT_S",
    "DaskRunner",
    "Runner",
    "ThreadRunner",
    "default_workers",
    "local_cluster",
    "make_runner",
]

T = TypeVar("T")
OnDone = Callable[[int], None]

SCHEDULER_ENV = "CROSSMESH_DASK_SCHEDULER"
STARTUP_TIMEOUT_S = 60.0
# ≈ 1 s of multiplications mod n² (4.3 µs each, BENCHMARKS.md): below this a job runs where it
# is, because starting a cluster (~1 s) or shipping the job would cost more than it saves. A
# release's matching and merge at demo scale stay in-process; at large scale they spread out.
SMALL_WORK = 250_000
# Tasks kept in flight per worker: enough that none idles while the results are read.
WINDOW_PER_WORKER = 4
_NAMED = ("synchronous", "threads", "local")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Runner:
    """Maps a task over items in this process, one after another (the synchronous scheduler)."""

    name = "synchronous"
    workers = 1

    def start(self) -> None:
        """Start the workers in the background now, so that the first job need not wait."""

    def imap(
        self,
        task: Callable[..., T],
        items: Iterable[Any],
        *,
        shared: tuple[Any, ...] = (),
        work: int | None = None,
    ) -> Iterator[tuple[int, T]]:
        """``(position, task(*shared, item))`` for every item, as each completes.

        ``items`` may be a lazy iterable: runners take from it only as work is wanted, so a
        caller can stream data through without holding it all. ``work`` estimates the whole job
        (modular multiplications or points); a job below :data:`SMALL_WORK`, or a sequence of
        one item, runs in this process whatever the runner.
        """
        small = work is not None and work < SMALL_WORK
        if small or (isinstance(items, Sequence) and len(items) <= 1):
            return _run_inline(task, items, shared)
        return self._spread(task, items, shared)

    def map(
        self,
        task: Callable[..., T],
        items: Sequence[Any],
        *,
        shared: tuple[Any, ...] = (),
        on_done: OnDone | None = None,
        work: int | None = None,
    ) -> list[T]:
        """``[task(*shared, item) for item in items]`` in input order; ``on_done`` per item."""
        results: dict[int, T] = {}
        for position, result in self.imap(task, items, shared=shared, work=work):
            results[position] = result
            if on_done is not None:
                on_done(1)
        return [results[i] for i in range(len(items))]

    def _spread(
        self, task: Callable[..., T], items: Iterable[Any], shared: tuple[Any, ...]
    ) -> Iterator[tuple[int, T]]:
        return _run_inline(task, items, shared)

    def close(self) -> None:
        """Release the runner's threads, processes or connection (nothing to do here)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scheduler={self.name!r}, workers={self.workers})"


def _run_inline(
    task: Callable[..., T], items: Iterable[Any], shared: tuple[Any, ...]
) -> Iterator[tuple[int, T]]:
    for position, item in enumerate(items):
        yield position, task(*shared, item)


class ThreadRunner(Runner):
    """Maps a task over items on a pool of threads in this process."""

    name = "threads"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = _checked_workers(workers)

    def _spread(
        self, task: Callable[..., T], items: Iterable[Any], shared: tuple[Any, ...]
    ) -> Iterator[tuple[int, T]]:
        waiting = enumerate(items)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            live: dict[Future[T], int] = {}

            def submit_next() -> None:
                for index, item in itertools.islice(waiting, 1):
                    live[pool.submit(task, *shared, item)] = index

            for _ in range(WINDOW_PER_WORKER * self.workers):
                submit_next()
            while live:
                done, _ = wait(live, return_when=FIRST_COMPLETED)
                for future in done:
                    submit_next()
                    yield live.pop(future), future.result()


class DaskRunner(Runner):
    """Maps a task over items on a Dask cluster: a ``LocalCluster`` here, or one at ``address``.

    Nothing starts until the first job worth shipping; :meth:`close` stops what this runner
    started (a cluster it merely connected to keeps running).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_S,
        security: Security | None = None,
    ) -> None:
        """``security`` reaches the cluster at ``address`` (default: :func:`cluster_security`,
        which refuses unencrypted TCP off this machine)."""
        self.security = security
        if address is not None and security is None:
            self.security = cluster_security(address)
        self.address = address
        self.name = address or "local"
        self.workers = _checked_workers(workers)
        self.startup_timeout = startup_timeout
        self._client: Client | None = None
        self._opening: Future[tuple[Client, LocalCluster | None]] | None = None
        self._stop: weakref.finalize[Any, DaskRunner] | None = None

    def start(self) -> None:
        """Start the local cluster (or connect) on a background thread; jobs wait for it."""
        if self._client is None and self._opening is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossmesh-dask-start")
            self._opening = pool.submit(self._open)
            pool.shutdown(wait=False)  # the thread ends when the start does

    def _open(self) -> tuple[Client, LocalCluster | None]:
        return self._connect() if self.address else self._start_local()

    def client(self) -> Client:
        """The connected Dask client, starting the local cluster or connecting on first use."""
        if self._client is None:
            opening, self._opening = self._opening, None
            client, cluster = opening.result() if opening is not None else self._open()
            # A runner dropped without close() (a session nobody closed) still stops its cluster:
            # leaked sockets and worker processes would outlive it otherwise.
            self._stop = weakref.finalize(self, _shut_down, client, cluster)
            self._client = client
        return self._client

    def _start_local(self) -> tuple[Client, LocalCluster]:
        from distributed import Client

        cluster = local_cluster(0)
        cluster.scale(self.workers)
        client = Client(cluster, set_as_default=False)
        try:
            client.wait_for_workers(self.workers, timeout=self.startup_timeout)
        except TimeoutError as err:
            _shut_down(client, cluster)
            raise ConfigError(
                f"the local Dask cluster did not start {self.workers} worker(s) within "
                f"{self.startup_timeout:g} s; use --workers 1 (no cluster) or --scheduler ADDRESS"
            ) from err
        return client, cluster

    def _connect(self) -> tuple[Client, None]:
        from distributed import Client

        try:
            client = Client(
                self.address,
                timeout=self.startup_timeout,
                set_as_default=False,
                security=self.security,
            )
        except (OSError, TimeoutError, ValueError) as err:
            raise self._unreachable() from err
        try:
            client.wait_for_workers(1, timeout=self.startup_timeout)
        except (OSError, TimeoutError) as err:
            client.close()
            raise self._unreachable() from err
        # A worker that cannot import Crossmesh never answers a task (the task cannot be
        # unpickled there), so a job would wait forever: ask once, with a deadline.
        try:
            client.submit(_probe, pure=False).result(timeout=self.startup_timeout)
        except Exception as err:
            client.close()
            raise ConfigError(
                f"the Dask workers at {self.address} cannot run Crossmesh tasks; install this "
                "version of crossmesh in the workers' environment"
            ) from err
        self.workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        return client, None

    def _unreachable(self) -> ConfigError:
        return ConfigError(
            f"no Dask scheduler with workers answered at {self.address} within "
            f"{self.startup_timeout:g} s; start it, fix --scheduler, or unset {SCHEDULER_ENV}"
        )

    def _spread(
        self, task: Callable[..., T], items: Iterable[Any], shared: tuple[Any, ...]
    ) -> Iterator[tuple[int, T]]:
        """Keep a window of tasks in flight, topping it up as results arrive.

        The window bounds what sits in the cluster's memory (a job's inputs and unread results)
        while keeping every worker busy; results are yielded as soon as they are read.
        """
        from distributed import as_completed as dask_completed

        client = self.client()
        waiting = enumerate(items)
        live: dict[Any, tuple[int, Any]] = {}
        running = dask_completed(loop=client.loop)

        def submit_next() -> None:
            for index, item in itertools.islice(waiting, 1):
                future = client.submit(task, *shared, item, pure=False)
                live[future.key] = (index, future)
                running.add(future)

        for _ in range(WINDOW_PER_WORKER * self.workers):
            submit_next()
        try:
            for future in running:
                result = future.result()
                submit_next()
                yield live.pop(future.key)[0], result
        finally:  # a failed or abandoned job leaves nothing running
            client.cancel([future for _, future in live.values()])

    def close(self) -> None:
        """Disconnect; stop the local cluster if this runner started it."""
        if self._opening is not None:
            with contextlib.suppress(Exception):  # a failed start has nothing left to stop
                _shut_down(*self._opening.result())
            self._opening = None
        if self._stop is not None:
            self._stop()
        self._client, self._stop = None, None


def _probe() -> str:
    """Run on a worker: proves that Crossmesh imports there."""
    return __name__


def _shut_down(client: Client, cluster: LocalCluster | None) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


def local_cluster(workers: int, *, processes: bool = True) -> LocalCluster:
    """A Dask ``LocalCluster`` of ``workers`` single-threaded workers, quiet and without dashboard,
    speaking TLS with certificates of its own (:func:`throwaway_security`).

    The scheduler's HTTP endpoint (health checks; the dashboard needs bokeh, not installed) would
    take port 8787 and warn when another cluster holds it: it gets a free port on loopback.
    """
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
        security=throwaway_security(),
    )


def _checked_workers(workers: int | None) -> int:
    if workers is None or workers == 0:
        return default_workers()
    if workers < 0:
        raise ConfigError(
            f"workers must be a positive count (0 or none: one per core), not {workers}"
        )
    return workers


def make_runner(scheduler: str | None = None, workers: int | None = None) -> Runner:
    """The runner a setting names; see the module docstring for the choices.

    Without ``scheduler``, the environment variable :data:`SCHEDULER_ENV` decides; without that,
    ``workers == 1`` runs in-process and anything else on a local cluster of ``workers`` processes
    (one per core by default).
    """
    choice = (scheduler or os.environ.get(SCHEDULER_ENV, "")).strip()
    if not choice:
        choice = "synchronous" if workers == 1 else "local"
    if choice == "synchronous":
        return Runner()
    if choice == "threads":
        return ThreadRunner(workers)
    if choice == "local":
        return DaskRunner(workers=workers)
    if ":" not in choice:
        raise ConfigError(
            f"scheduler must be one of {', '.join(_NAMED)} or a Dask scheduler address such as "
            f"tls://host:8786, not {choice!r}"
        )
    return DaskRunner(choice)
