"""Where per-partition work runs: in this process, or on a pool of worker processes.

Partitions (period × hash bucket) are the unit of parallel work for encryption (C1), blinding (A1)
and matching (A3). Every task is a plain function of picklable arguments that returns a picklable
value, so the same task runs unchanged in-process, on a local process pool, or on a cluster; the
results come back in input order, so the answer never depends on the runner.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["Runner", "default_workers"]

T = TypeVar("T")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Runner:
    """Maps a task over items, in-process (``workers=1``) or on a process pool."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)

    def map(
        self,
        task: Callable[..., T],
        items: Sequence[Any],
        *,
        shared: tuple[Any, ...] = (),
        on_done: Callable[[int], None] | None = None,
    ) -> list[T]:
        """``[task(*shared, item) for item in items]``, in order, reporting each completion."""
        if self.workers == 1 or len(items) <= 1:
            return list(_run_inline(task, items, shared, on_done))
        results: list[T] = []
        with ProcessPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            futures = [pool.submit(task, *shared, item) for item in items]
            for future in futures:
                results.append(future.result())
                if on_done is not None:
                    on_done(1)
        return results


def _run_inline(
    task: Callable[..., T],
    items: Iterable[Any],
    shared: tuple[Any, ...],
    on_done: Callable[[int], None] | None,
) -> Iterable[T]:
    for item in items:
        result = task(*shared, item)
        if on_done is not None:
            on_done(1)
        yield result
