"""The dashboard server listens on this computer only and shows visitors no error details, by
default: the effective Streamlit configuration read from the repository root, and a real server's
listening socket (Linux /proc/net)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dashboard_helpers import ROOT

STREAMLIT = Path(sys.executable).with_name("streamlit")
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}


def _effective(env: dict) -> dict[str, str]:
    shown = subprocess.run([str(STREAMLIT), "config", "show"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120, check=True).stdout
    return dict(line.split(" = ", 1) for line in shown.splitlines() if " = " in line and not line.startswith("#"))


def test_effective_config_binds_to_localhost_and_hides_error_details():
    config = _effective(CLEAN_ENV)
    assert config["address"] == '"127.0.0.1"'
    assert config["showErrorDetails"] == '"none"'


def test_the_documented_setting_opens_it_to_a_network():
    assert _effective({**CLEAN_ENV, "STREAMLIT_SERVER_ADDRESS": "0.0.0.0"})["address"] == '"0.0.0.0"'
    assert "STREAMLIT_SERVER_ADDRESS=0.0.0.0" in (ROOT / "README.md").read_text()


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net shows them) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net")
def test_a_started_dashboard_listens_on_the_loopback_address_only(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        ["timeout", "-s", "KILL", "120", str(STREAMLIT), "run", "dashboard/app.py", "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=CLEAN_ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline, found = time.monotonic() + 90, set()
        while time.monotonic() < deadline and not found and server.poll() is None:
            time.sleep(0.5)
            found = _listening(port)
        assert found == {"0100007F"}, (found, (tmp_path / "server.log").read_text())  # 127.0.0.1, not 0.0.0.0 or ::
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
