"""Fixtures for the browser tests: Chromium, and the dashboard served by `streamlit run` on a free port."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from e2e_helpers import ARTIFACTS, ROOT

CHROMIUM = Path("/usr/bin/chromium")
STARTUP_S = 60


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install it with `apt-get install -y chromium` (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(CHROMIUM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """The dashboard on a free localhost port, terminated at the end whatever happens."""
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    log = (ARTIFACTS / "streamlit.log")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(streamlit), "run", "dashboard/app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "RESECTSIM_CASES": str(ARTIFACTS / "cases")},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_S
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start (exit code {proc.poll()}); see {log}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()




@pytest.fixture(scope="session")
def browser(chromium):
    """One Chromium for the session; each test opens its own pages (viewports differ)."""
    from e2e_helpers import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield found
        finally:
            found.close()
