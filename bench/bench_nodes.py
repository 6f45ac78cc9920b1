"""A one-month visit-map release through two node processes on loopback, beside the embedded one.

Run (demo scale, ~4 minutes on two cores)::

    .venv/bin/python -m bench.bench_nodes [--scale demo|large] [--airport SHM] [--repeats 3]
        [--configs embedded,synchronous,local-1,local-2]

The large world (10⁶ people) through the two nodes only, the carrier preparing in its own process::

    .venv/bin/python -m bench.bench_nodes --scale large --airport CTS --repeats 1 \
        --configs synchronous

What it measures, in one JSON object (every release asks a new ε, so no cache answers it):

* ``embedded`` — both parties in this process (``SecureSession``), as ``make run`` does today;
* ``two_nodes`` — the carrier as ``crossmesh carrier serve`` in its own OS process on
  127.0.0.1 (gRPC, mutual TLS, pinned certificates), the airline as a
  :class:`~engine.nodes.NodeSession` in this process; per carrier runner: ``synchronous`` (its
  products in the node's process), and its own TLS ``LocalCluster`` of 1 and of 2 workers, with
  the speed-up of 2 workers against 1;
* per configuration the median release time of ``repeats`` releases after one warm-up release,
  and the peak resident memory of each node (the carrier's from ``/proc``, the airline's this
  process's own); the carrier node prepares its views in its own process (``--prepare``), timed
  from its start to its first line;
* ``generate_s`` — generating the world, when it was not in the benchmark cache already.

The carrier's products are shipped to its cluster only when a job is worth it
(``engine.parallel.SMALL_WORK`` multiplications); below that the cluster is left idle and the
speed-up is 1 by design.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import cache_dir, ensure_data, machine, raise_budgets, timed
from engine.ledger import LEDGER_HOME_ENV
from engine.nodes import CarrierNode, NodeSession
from engine.queries import QuerySpec
from engine.session import SecureSession
from engine.wire.certificates import load_identity, write_demo_certificates
from engine.wire.grpc_link import LinkSettings

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
MONTH = {"start": "2025-08-01", "end": "2025-08-31"}
LINK = LinkSettings(call_timeout=600, stream_timeout=1800)
RUNNERS = {"synchronous": ("synchronous", 1), "local-1": ("local", 1), "local-2": ("local", 2)}
CONFIGS = ("embedded", *RUNNERS)


def _spec(airport: str) -> QuerySpec:
    epsilon = round(1 + secrets.randbelow(10**6) / 10**7, 7)
    return QuerySpec(kind="visit-map", airport=airport, epsilon=epsilon, **MONTH)  # type: ignore[arg-type]


def _median_release(release: Any, airport: str, repeats: int) -> dict[str, Any]:
    release(_spec(airport))  # warm-up: hash caches, pools, a started cluster
    seconds = [timed(lambda: release(_spec(airport)))[0] for _ in range(repeats)]
    runs = [round(s, 2) for s in seconds]
    return {"median_s": round(statistics.median(seconds), 2), "runs_s": runs}


def _embedded(data: Path, root: Path, airport: str, repeats: int) -> dict[str, Any]:
    with SecureSession(root / "embedded", data) as session:
        session.prepare()
        raise_budgets(
            {"airline": session.airline.ledger, "carrier": session.carrier.ledger}, "benchmark"
        )
        return _median_release(session.release, airport, repeats)


class _CarrierProcess:
    """``crossmesh carrier serve`` on a free loopback port, with a runner of its own."""

    def __init__(self, data: Path, workspace: Path, certs: Path, scheduler: str, workers: int):
        argv = [
            sys.executable, "-m", "cli", "carrier", "serve", "--data", str(data),
            "--workspace", str(workspace), "--certs", str(certs), "--peer-fingerprint",
            load_identity(certs, "airline").fingerprint, "--listen", "127.0.0.1:0",
            "--scheduler", scheduler, "--workers", str(workers), "--prepare",
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout
        assert stdout is not None

        def drain() -> None:  # the node's whole output, so that its pipe never fills
            for text in stdout:
                lines.put(text)

        threading.Thread(target=drain, daemon=True).start()
        started = time.perf_counter()
        line = ""
        deadline = started + 7200  # the large world's views take many minutes to build
        while not line.startswith("carrier node listening on "):
            try:
                line = lines.get(timeout=5)
            except queue.Empty:
                if self.process.poll() is not None:  # killed (by the OOM killer, say)
                    raise RuntimeError(
                        f"the carrier node ended (status {self.process.returncode}) before it "
                        "listened"
                    ) from None
                if time.perf_counter() > deadline:
                    self.stop()
                    raise RuntimeError("the carrier node did not listen within 2 hours") from None
        self.start_s = round(time.perf_counter() - started, 1)
        self.address = line.split()[-1]

    def peak_rss_mb(self) -> float:
        """The node's peak resident memory so far (VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _two_nodes(
    data: Path, root: Path, certs: Path, airport: str, repeats: int, scheduler: str, workers: int
) -> dict[str, Any]:
    carrier_ws = root / f"carrier-{scheduler}-{workers}"
    node = CarrierNode(data, carrier_ws)  # its ledger only: the node prepares in its own process
    raise_budgets({"carrier": node.party.ledger}, "benchmark")
    node.close()
    carrier = _CarrierProcess(data, carrier_ws, certs, scheduler, workers)
    try:
        with NodeSession(
            root / f"airline-{scheduler}-{workers}", data, carrier.address,
            load_identity(certs, "airline"), load_identity(certs, "carrier").fingerprint,
            link=LINK,
        ) as session:  # fmt: skip
            session.prepare()
            raise_budgets({"airline": session.airline.ledger}, "benchmark")
            result = _median_release(session.release, airport, repeats)
        result["carrier_prepare_and_start_s"] = carrier.start_s
        result["carrier_peak_mb"] = carrier.peak_rss_mb()
    finally:
        carrier.stop()
    return result


def run(scale: str, airport: str, repeats: int, configs: tuple[str, ...]) -> dict[str, Any]:
    """Every figure of this benchmark (see the module docstring)."""
    root = cache_dir() / f"nodes-{scale}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    os.environ[LEDGER_HOME_ENV] = str(root / "ledgers")  # both node processes inherit it
    cached = (cache_dir() / f"{scale}-7" / "manifest.json").exists()
    generate_s, data = timed(lambda: ensure_data(scale))
    certs = root / "certs"
    write_demo_certificates(certs)
    result: dict[str, Any] = {
        "benchmark": "two-nodes", "scale": scale, "query": f"visit-map {airport} 2025-08",
        "machine": machine(),
    }  # fmt: skip
    if not cached:
        result["generate_s"] = round(generate_s, 1)
    if "embedded" in configs:
        result["embedded"] = _embedded(data, root, airport, repeats)
    nodes = {}
    for name, (scheduler, workers) in RUNNERS.items():
        if name in configs:
            nodes[name] = _two_nodes(data, root, certs, airport, repeats, scheduler, workers)
    result["two_nodes"] = nodes
    if "local-1" in nodes and "local-2" in nodes:
        result["cluster_speed_up_2_vs_1"] = round(
            nodes["local-1"]["median_s"] / nodes["local-2"]["median_s"], 2
        )
    result["airline_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> None:
    """Parse the flags, run, print one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_nodes")
    parser.add_argument("--scale", default="demo", choices=("tiny", "demo", "large"))
    parser.add_argument("--airport", default="SHM")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated")
    args = parser.parse_args()
    configs = tuple(name.strip() for name in args.configs.split(","))
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configs {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    print(json.dumps(run(args.scale, args.airport, args.repeats, configs), indent=2))


if __name__ == "__main__":
    main()
