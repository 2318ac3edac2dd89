"""The dashboard served by ``streamlit run`` on a free localhost port, for the browser tests and the
browser timing of ``make bench``: ``with served(log) as url: ...``; and the Chromium they drive."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 60.0
CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium, driven by Playwright
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


class ServerError(RuntimeError):
    """The dashboard did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(log: Path, env: dict[str, str] | None = None, startup_s: float = STARTUP_S) -> Iterator[str]:
    """Start ``dashboard/app.py`` (output to ``log``), yield its URL once ``/_stcore/health`` answers,
    and terminate it at the end whatever happens. ``env`` adds to this process's environment."""
    port = free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(streamlit), "run", "dashboard/app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + startup_s
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ServerError(f"streamlit did not start (exit code {proc.poll()}); see {log}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
