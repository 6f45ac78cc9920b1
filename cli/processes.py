"""Child processes of the demo launcher: start one, wait for the line that says it is ready,
stop it (SIGTERM, then SIGKILL after a grace period).

Each child runs in a session of its own, so a Ctrl-C in the terminal reaches the launcher only,
which then stops the children in order (the dashboard first, the carrier node last). What a
child writes to stderr goes to its log file; its stdout lines are handed to a callback (the
launcher prints them as progress).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from foundation.errors import ConfigError

__all__ = ["Child"]

GRACE = 20.0


class Child:
    """One child process, started by :meth:`start` and ready when :meth:`wait_ready` says so."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log: Path,
        env: Mapping[str, str],
        cwd: Path,
        echo: Callable[[str], None],
    ) -> None:
        self.name = name
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        with log.open("a", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                argv, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=stderr, text=True,
                start_new_session=True,
            )  # fmt: skip
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._echo = echo
        threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_ready(
        self, ready: Callable[[str], bool], timeout: float, stop: threading.Event
    ) -> str:
        """Echo the child's lines until one satisfies ``ready``; return it. ConfigError if the
        child ends first or ``timeout`` seconds pass (its log says why); nothing if ``stop``."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            try:
                line = self._lines.get(timeout=min(0.5, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise ConfigError(
                        f"the {self.name} did not start in {timeout:.0f} s; see {self.log}"
                    ) from None
                continue
            if line is None:
                self.process.wait()
                raise ConfigError(
                    f"the {self.name} stopped at start (exit status {self.process.returncode}); "
                    f"see {self.log}"
                )
            self._echo(f"  {self.name}: {line}")
            if ready(line):
                return line
        return ""

    def running(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def stop(self, grace: float = GRACE) -> int:
        """SIGTERM, then SIGKILL after ``grace`` seconds; the exit status."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode
