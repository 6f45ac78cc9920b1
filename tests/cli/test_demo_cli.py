"""``crossmesh demo`` (what ``make run`` starts): two nodes and the dashboard, stopped by Ctrl-C.

The launcher runs as its own OS process on the tiny world: it prints a progress line per step,
the dashboard answers on 127.0.0.1 once it says it is running, and a SIGINT (Ctrl-C) stops the
dashboard, the airline node and the carrier node in that order, each cleanly, with exit status 0.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_starts_two_nodes_and_the_dashboard_and_stops_them_on_ctrl_c(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """Progress lines for the five steps; the dashboard answers; Ctrl-C stops all three."""
    port = _free_port()
    argv = [
        sys.executable, "-m", "cli", "demo", "--data", str(tiny_dir),
        "--root", str(tmp_path / "nodes"), "--port", str(port),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    launcher = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert launcher.stdout is not None
    stdout = launcher.stdout
    reader = threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while not (seen and seen[-1].startswith("Crossmesh is running")):
            seen.append(lines.get(timeout=STARTUP).strip())
        health = f"http://127.0.0.1:{port}/_stcore/health"
        with urllib.request.urlopen(health, timeout=10) as answer:
            assert answer.status == 200
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(60) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(10)
        reader.join(10)
        stdout.close()
    while not lines.empty():
        seen.append(lines.get().strip())
    assert [line[:5] for line in seen if line.startswith("[")] == [
        "[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]",
    ]  # fmt: skip
    assert seen[-3:] == [
        "stopped the dashboard", "stopped the airline node", "stopped the carrier node",
    ]  # fmt: skip
    assert "Traceback" not in "\n".join(seen)
    for party in ("carrier", "airline"):
        assert (tmp_path / "nodes" / party / "ledgers").is_dir()  # each its own ledger home
        assert "Traceback" not in (tmp_path / "nodes" / party / "node.log").read_text()
