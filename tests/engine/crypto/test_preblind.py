"""The pre-blinder: the next query's scalar drawn early, own points raised to it while idle."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from engine.crypto.blinding import BlindingKey, random_points
from engine.crypto.preblind import PreBlinder, PreBlinding
from foundation.errors import ConfigError, CryptoError


def _wait_ready(blinder: PreBlinder, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not blinder.ready:
        assert time.monotonic() < deadline, "the pre-blinder did not finish"
        time.sleep(0.02)


@pytest.fixture
def blinder() -> Iterator[PreBlinder]:
    running = PreBlinder(3000)
    running.start()
    yield running
    running.stop()


def test_a_table_gives_the_same_bytes_as_blinding_now() -> None:
    """Looked-up and computed points mix in order, byte for byte what the scalar gives."""
    points = random_points(600)
    key = BlindingKey.generate()
    ahead = PreBlinding(key, dict(zip(points[::2], key.blind(points[::2]), strict=True)))
    assert ahead.blind(points) == key.blind(points)
    groups = [points[:7], points[7:300], [], points[300:]]
    assert ahead.blind_groups(groups) == [key.blind(group) for group in groups]


def test_a_wrong_table_entry_would_show(blinder: PreBlinder) -> None:
    """The table is only ever filled under its own scalar: entries equal that scalar's result."""
    points = random_points(2000)
    blinder.remember(points)
    _wait_ready(blinder)
    taken = blinder.take()
    assert len(taken.table) == len(points)
    assert [taken.table[p] for p in points] == taken.key.blind(points)


def test_taking_while_the_filler_runs_never_mixes_scalars() -> None:
    """take() in the middle of a fill: every table holds only its own scalar's results."""
    running = PreBlinder(20_000)
    running.start()
    points = random_points(20_000, workers=2)
    running.remember(points)
    try:
        for _ in range(6):
            time.sleep(0.03)  # a chunk or two under way
            taken = running.take()
            sample = list(taken.table)[:200]
            assert [taken.table[p] for p in sample] == taken.key.blind(sample)
    finally:
        running.stop()


def test_a_spent_blinding_keeps_its_scalar_and_count_but_not_its_table() -> None:
    """After a party's own points, the query keeps only the scalar (for the other's points)."""
    points = random_points(50)
    key = BlindingKey.generate()
    ahead = PreBlinding(key, dict(zip(points[:20], key.blind(points[:20]), strict=True)))
    ahead.blind(points)
    spent = ahead.spent()
    assert spent.key == key and spent.looked_up == 20 and not spent.table


def test_every_query_gets_a_fresh_scalar_and_no_table_twice(blinder: PreBlinder) -> None:
    """take() never hands out a scalar twice; the next table is raised to the next scalar."""
    points = random_points(1500)
    blinder.remember(points)
    keys, tables = [], []
    for _ in range(4):
        _wait_ready(blinder)
        taken = blinder.take()
        keys.append(taken.key.scalar)
        tables.append(set(taken.table.values()))
        assert taken.blind(points) == taken.key.blind(points)
    assert len(set(keys)) == 4
    for first in range(4):
        for second in range(first + 1, 4):
            assert not tables[first] & tables[second], "two queries share a blinded point"


def test_nothing_is_raised_while_a_query_runs(blinder: PreBlinder) -> None:
    """busy() pauses the filler; it resumes after."""
    with blinder.busy():
        time.sleep(0.1)  # a chunk started before busy() may still finish
        blinder.remember(random_points(2500))
        before = len(blinder)
        time.sleep(0.5)
        assert len(blinder) == before
    _wait_ready(blinder)
    assert len(blinder) == 2500


def test_pauses_nest_and_the_last_resume_restarts_the_filler(blinder: PreBlinder) -> None:
    """A query's hold and a call's busy() overlap: the filler waits for both to end."""
    blinder.pause()
    with blinder.busy():
        time.sleep(0.1)
        blinder.remember(random_points(1500))
    assert blinder.paused
    time.sleep(0.4)
    assert len(blinder) == 0, "the filler ran while a query still held it"
    blinder.resume()
    assert not blinder.paused
    _wait_ready(blinder)
    assert len(blinder) == 1500


def test_the_oldest_points_are_forgotten_beyond_capacity(blinder: PreBlinder) -> None:
    """At most ``capacity`` points are remembered: the most recent ones."""
    old, new = random_points(1000), random_points(3000)
    blinder.remember(old)
    blinder.remember(new)
    _wait_ready(blinder)
    blinder.take()  # the next table starts from the remembered points only
    _wait_ready(blinder)
    table = blinder.take().table
    assert set(new) <= set(table) and not set(old) & set(table)


def test_an_invalid_remembered_point_is_dropped_not_fatal(blinder: PreBlinder) -> None:
    """A point that cannot be blinded is forgotten; the filler goes on with the others."""
    good = random_points(100)
    blinder.remember([b"\xff" * 32, *good])
    _wait_ready(blinder)
    assert set(blinder.take().table) == set(good)


def test_random_points_are_single_use(blinder: PreBlinder) -> None:
    """Spares drawn ahead are handed out once; a shortfall is drawn on demand."""
    _wait_ready(blinder)
    spares = blinder.spares
    assert spares >= 4096
    handed = blinder.random_points(spares + 100)
    assert len(handed) == spares + 100 and len(set(handed)) == len(handed)
    assert not set(handed) & set(blinder.random_points(500))


def test_stop_forgets_everything(blinder: PreBlinder) -> None:
    """After stop(), no scalar, table, spare or remembered point is left."""
    blinder.remember(random_points(1000))
    _wait_ready(blinder)
    blinder.stop()
    assert len(blinder) == 0 and blinder.spares == 0 and blinder.ready is False


def test_off_means_fresh_scalars_and_no_thread() -> None:
    """Capacity 0: no filler, empty tables, still a fresh scalar per take()."""
    off = PreBlinder(0)
    off.start()
    off.remember(random_points(10))
    first, second = off.take(), off.take()
    assert first.key != second.key and not first.table and not second.table
    assert off._thread is None


def test_bad_capacity_and_bad_points_are_refused() -> None:
    """A negative capacity is a configuration error; an invalid point still fails at blinding."""
    with pytest.raises(ConfigError):
        PreBlinder(-1)
    with pytest.raises(CryptoError):
        PreBlinding(BlindingKey.generate()).blind([b"\xff" * 32])
