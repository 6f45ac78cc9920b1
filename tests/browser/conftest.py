"""Browser test fixtures: the dashboard served headless on 127.0.0.1, and Debian's chromium.

The app runs in its own ``streamlit run`` process over a workspace with the tiny world prepared
(or, for nicer screenshots, over a prepared workspace named by ``CROSSMESH_SCREENSHOT_WORKSPACE``
and ``CROSSMESH_SCREENSHOT_DATA``). Chromium is the system package at ``/usr/bin/chromium``,
driven by Playwright's own client; ``playwright install`` is never used. Without the browser or
the Playwright package the tests are skipped, saying why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.ledger import Ledger
from engine.ledger.values import Scope
from engine.parallel import SCHEDULER_ENV
from engine.session import SecureSession

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--enable-unsafe-swiftshader",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 90
VIEWPORT = {"width": 1400, "height": 1000}


def _free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll Streamlit's health endpoint until it answers, the server dies or time runs out."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="session")
def browser_workspace(
    tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """(workspace, data folder) the served app reads."""
    prepared = os.environ.get("CROSSMESH_SCREENSHOT_WORKSPACE")
    if prepared:
        return Path(prepared), Path(os.environ.get("CROSSMESH_SCREENSHOT_DATA", "data/demo"))
    root = tmp_path_factory.mktemp("browser-workspace")
    with SecureSession(root, tiny_dir) as session:
        session.prepare()
    # Session-wide fixtures over the tiny world share one ledger per dataset (the session's
    # ledger home): the pages here must not find it spent by the app tests that ran first.
    for party in ("airline", "carrier"):
        ledger = Ledger.in_workspace(root, party)
        for pair in ("airline+carrier", "carrier"):
            for month in ("2025-07", "2025-08", "2025-09"):
                ledger.set_budget(Scope(pair, month), 50.0, "browser tests")
        ledger.close()
    return root, tiny_dir


@pytest.fixture(scope="session")
def app_url(
    browser_workspace: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of the dashboard, served headless for the whole session."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    workspace, data_dir = browser_workspace
    port = _free_port()
    env = {
        **os.environ,
        "CROSSMESH_WORKSPACE": str(workspace),
        "CROSSMESH_DATA": str(data_dir),
        SCHEDULER_ENV: os.environ.get(SCHEDULER_ENV, "synchronous"),
    }
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"),
        "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
    ]  # fmt: skip
    with log.open("wb") as sink:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


@pytest.fixture(scope="session")
def browser(app_url: str) -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A fresh page (tab) with a desktop viewport and Japanese locale."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP", device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where the screenshots for the documentation go."""
    folder = ROOT / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
