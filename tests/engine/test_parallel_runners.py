"""Tests of the runners (engine.parallel): order, progress, errors, choice and cluster start."""

from __future__ import annotations

import operator
import os
import threading
import time
from collections.abc import Iterator

import pytest
from distributed import LocalCluster

import engine.parallel as parallel
from engine.parallel import DaskRunner, Runner, ThreadRunner, local_cluster, make_runner
from foundation.errors import ConfigError, InputError

ITEMS = list(range(12))


def slow_square(offset: int, item: int) -> int:
    """Later items finish first, so completion order is the reverse of input order."""
    time.sleep(0.002 * (len(ITEMS) - item))
    return item * item + offset


def refuse_seven(item: int) -> int:
    """Fails on one item with an error of the family."""
    if item == 7:
        raise InputError("item seven is not allowed", field="item")
    return item


def thread_of(item: int) -> int:
    """The thread that ran the task."""
    return threading.get_ident()


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two in-process Dask workers (threads), started once for the module."""
    with local_cluster(2, processes=False) as local:
        yield local


@pytest.fixture(params=["synchronous", "threads", "distributed"])
def runner(request: pytest.FixtureRequest, cluster: LocalCluster) -> Iterator[Runner]:
    """Each kind of runner; the distributed one on the module's cluster."""
    if request.param == "synchronous":
        built: Runner = Runner()
    elif request.param == "threads":
        built = ThreadRunner(3)
    else:
        built = DaskRunner(cluster.scheduler_address, startup_timeout=20, security=cluster.security)
    with built:
        yield built


def test_results_come_back_in_input_order(runner: Runner) -> None:
    """Whatever order tasks finish in, results are in the order of the items."""
    assert runner.map(slow_square, ITEMS, shared=(1,)) == [i * i + 1 for i in ITEMS]


def test_imap_yields_every_position_once(runner: Runner) -> None:
    """imap gives each item's result with its position, whatever the completion order."""
    pairs = list(runner.imap(slow_square, ITEMS, shared=(2,)))
    assert sorted(pairs) == [(i, i * i + 2) for i in ITEMS]


def test_every_completion_is_reported(runner: Runner) -> None:
    """on_done is called once per item."""
    done: list[int] = []
    runner.map(slow_square, ITEMS, shared=(0,), on_done=done.append)
    assert done == [1] * len(ITEMS)


def test_task_errors_reach_the_caller_unchanged(runner: Runner) -> None:
    """An error of the family raised in a task is raised by map with its type and message."""
    with pytest.raises(InputError, match="item seven"):
        runner.map(refuse_seven, ITEMS)


def test_small_work_stays_in_this_thread() -> None:
    """A job estimated below SMALL_WORK is not shipped; a large one is."""
    here = threading.get_ident()
    with ThreadRunner(2) as threads:
        small = threads.map(thread_of, ITEMS, work=parallel.SMALL_WORK - 1)
        large = threads.map(thread_of, ITEMS, work=parallel.SMALL_WORK)
    assert set(small) == {here}
    assert here not in set(large)


def test_empty_and_single_item_jobs_run_inline(cluster: LocalCluster) -> None:
    """Nothing to spread out: no cluster connection is made."""
    runner = DaskRunner(cluster.scheduler_address, security=cluster.security)
    assert runner.map(slow_square, [], shared=(0,)) == []
    assert runner.map(slow_square, [3], shared=(0,)) == [9]
    assert runner._client is None


def test_make_runner_follows_scheduler_workers_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Names, worker counts and the environment variable choose the runner."""
    monkeypatch.delenv(parallel.SCHEDULER_ENV, raising=False)
    assert type(make_runner("synchronous")) is Runner
    assert type(make_runner(None, 1)) is Runner
    assert isinstance(make_runner("threads", 3), ThreadRunner)
    local = make_runner(None, 2)
    assert isinstance(local, DaskRunner) and local.address is None and local.workers == 2
    assert local._client is None  # lazy: nothing started yet
    monkeypatch.setenv(parallel.SCHEDULER_ENV, "tcp://127.0.0.1:8786")
    remote = make_runner(None, 1)
    assert isinstance(remote, DaskRunner) and remote.address == "tcp://127.0.0.1:8786"
    assert type(make_runner("synchronous")) is Runner  # an explicit setting wins


@pytest.mark.parametrize("scheduler", ["fast", "dask", "processes"])
def test_unknown_scheduler_names_are_refused(scheduler: str) -> None:
    """A name that is neither a known scheduler nor an address is a ConfigError naming both."""
    with pytest.raises(ConfigError, match="synchronous, threads, local"):
        make_runner(scheduler)


def test_negative_worker_count_is_refused() -> None:
    """Workers must be a positive count."""
    with pytest.raises(ConfigError, match="workers"):
        make_runner("threads", -2)


def test_unreachable_scheduler_is_a_config_error_within_the_timeout() -> None:
    """No scheduler at the address: a ConfigError that names the environment variable."""
    runner = DaskRunner("tcp://127.0.0.1:9", startup_timeout=1)
    started = time.monotonic()
    with pytest.raises(ConfigError, match=parallel.SCHEDULER_ENV):
        runner.map(slow_square, ITEMS, shared=(0,))
    assert time.monotonic() - started < 30


def test_default_local_cluster_runs_tasks_in_worker_processes() -> None:
    """The default runner starts worker processes (here in the background) and stops them."""
    with DaskRunner(workers=2) as runner:
        runner.start()
        products = runner.map(operator.mul, [7, 11], shared=(3,))
        client = runner.client()
        worker_pids = set(client.run(os.getpid).values())
        cluster = client.cluster
    assert products == [21, 33]
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    assert cluster is not None and cluster.status.name == "closed"


def test_a_started_runner_closes_without_ever_running_a_job(cluster: LocalCluster) -> None:
    """start() then close(): the connection made in the background is closed again."""
    runner = DaskRunner(cluster.scheduler_address, startup_timeout=20, security=cluster.security)
    runner.start()
    runner.close()
    assert runner._client is None and runner._opening is None
