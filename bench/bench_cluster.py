"""The carrier's per-slot products on its own TLS LocalCluster: 2 workers against 1.

Run (about 2 minutes on two cores; run it with nothing else on the machine)::

    .venv/bin/python -m bench.bench_cluster [--products 2000000] [--repeats 3]

What a node spreads over its cluster is the step the protocol's cost grows with: the carrier's
homomorphic sums (DESIGN §3, step 6), one multiplication mod ``n²`` per non-zero slot of every scope
record, in tasks of one scope partition each (:func:`engine.crypto.slot_sums.partial_products`,
shipped with the public modulus and the partition's ciphertexts only). This benchmark runs exactly
that job — partitions of 4,096 records, 2048-bit key, the departure view's slots per record — on
the runner a carrier node starts for ``--scheduler local --workers W`` (its own LocalCluster,
mutual TLS between scheduler and workers), started and warmed by one untimed job, and reports per
worker count the median job time, the multiplications per second, and the speed-up of 2 workers
against 1, beside the floor (the same multiplications in one process, no cluster).

A whole release also blinds points (already on both cores, threads) and runs the airline's side
(which waits while the carrier sums), so its end-to-end speed-up is smaller; ``bench_nodes``
measures that one.
"""

from __future__ import annotations

import argparse
import functools
import json
import secrets
import statistics
from typing import Any

import numpy as np
from phe import paillier

from bench.common import machine, timed
from engine.crypto.slot_sums import PartitionRecords, SlotSums, partial_products
from engine.parallel import Runner, make_runner
from engine.parties.policy import SideChannelPolicy

__all__ = ["run"]

KEY_BITS = 2048
SLOTS = 300  # a departure family's slot count is of this order
SLOTS_PER_RECORD = 12


def _partitions(nsquare: int, products: int) -> list[PartitionRecords]:
    """Partitions of random ciphertexts mod ``n²`` holding ``products`` multiplications in all."""
    per_partition = SideChannelPolicy().partition_points
    width = (nsquare.bit_length() + 7) // 8
    rng = np.random.default_rng(5)
    records = max(1, products // SLOTS_PER_RECORD)
    parts = []
    for start in range(0, records, per_partition):
        count = min(per_partition, records - start)
        slots = np.concatenate(
            [np.sort(rng.choice(SLOTS, SLOTS_PER_RECORD, replace=False)) for _ in range(count)]
        ).astype(np.int64)
        indptr = np.arange(0, (count + 1) * SLOTS_PER_RECORD, SLOTS_PER_RECORD, dtype=np.int64)
        blob = b"".join(
            (secrets.randbelow(nsquare - 1) + 1).to_bytes(width, "big") for _ in range(count)
        )
        parts.append(PartitionRecords(indptr, slots, 1, width, blob))
    return parts


def _job(runner: Runner, nsquare: int, parts: list[PartitionRecords]) -> SlotSums:
    sums = SlotSums(nsquare, 1, SLOTS)
    work = sum(part.products for part in parts)
    for partial in runner.map(partial_products, parts, shared=(nsquare,), work=work):
        sums.merge(partial)
    return sums


def run(products: int, repeats: int) -> dict[str, Any]:
    """Every figure of this benchmark (see the module docstring)."""
    public, _private = paillier.generate_paillier_keypair(n_length=KEY_BITS)
    nsquare = public.nsquare
    parts = _partitions(nsquare, products)
    total = sum(part.products for part in parts)
    result: dict[str, Any] = {
        "benchmark": "carrier-cluster",
        "products": total,
        "partitions": len(parts),
        "key_bits": KEY_BITS,
        "machine": machine(),
    }
    floor_s, _ = timed(lambda: [partial_products(nsquare, part) for part in parts])
    result["floor_in_process_s"] = round(floor_s, 2)
    result["floor_us_per_product"] = round(floor_s / total * 1e6, 2)
    medians = {}
    for workers in (1, 2):
        runner = make_runner("local", workers)
        try:
            runner.start()
            # Untimed: starting the cluster, and the workers getting the task's code and modulus.
            job = functools.partial(_job, runner, nsquare, parts)
            first_s, _ = timed(job)
            runs = [timed(job)[0] for _ in range(repeats)]
        finally:
            runner.close()
        medians[workers] = statistics.median(runs)
        result[f"local_{workers}"] = {
            "first_job_with_start_s": round(first_s, 1),
            "median_s": round(medians[workers], 2),
            "runs_s": [round(seconds, 2) for seconds in runs],
            "products_per_s": round(total / medians[workers]),
        }
    result["speed_up_2_vs_1"] = round(medians[1] / medians[2], 2)
    return result


def main() -> None:
    """Parse the flags, run, print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_cluster")
    parser.add_argument("--products", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.products, args.repeats), indent=2))


if __name__ == "__main__":
    main()
