"""End to end in a real browser: `streamlit run dashboard/app.py`, driven by Playwright + Chromium.

Runs a comparison, waits for the charts, checks that no error or exception is on any page,
downloads the family PDF, and saves a screenshot of each page under tests/artifacts/.
Without /usr/bin/chromium the test fails when CI is set and is skipped otherwise.
"""

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
STARTUP_S = 60
CHART = "[data-testid='stVegaLiteChart']"
PROBLEMS = "[data-testid='stException'], [data-testid='stAlertContentError']"


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
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


@pytest.fixture(scope="module")
def page(chromium, server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1600, "height": 1800}, accept_downloads=True)
            tab.set_default_timeout(90_000)
            tab.goto(server)
            yield tab
        finally:
            browser.close()


def _settle(page) -> None:
    """Wait until the app has stopped running (no 'Running...' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def _no_problems(page) -> None:
    assert page.locator(PROBLEMS).count() == 0, page.locator(PROBLEMS).all_inner_texts()
    assert "Traceback" not in page.inner_text("body")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_compare_counsel_and_read_in_the_browser(page):
    page.wait_for_selector(CHART)
    _settle(page)
    assert "seed-case" in page.inner_text("body")

    reps = page.get_by_role("spinbutton", name="Replications per strategy")
    reps.fill("300")
    reps.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Run").click()
    _settle(page)
    page.wait_for_selector(CHART)
    body = page.inner_text("body")
    assert "300 simulated operations per strategy" in body
    for label in ("Single stage, three exposures", "Two stages, posterior then anterior"):
        assert label in body
    _no_problems(page)
    _shot(page, "compare-summary")

    for tab, name in (("Distributions", "compare-distributions"), ("Single-stage vs staged", "compare-differences"),
                      ("Typical operation", "compare-timeline")):
        page.get_by_role("tab", name=tab).click()
        _settle(page)
        page.wait_for_selector(CHART)
        _no_problems(page)
        _shot(page, name)

    page.get_by_role("tab", name="Downloads").click()
    _settle(page)
    for button, magic in (("Records (CSV)", b"strategy,replication"), ("PNG", b"\x89PNG")):
        with page.expect_download() as download:
            page.get_by_role("button", name=button).click()
        saved = ARTIFACTS / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(magic), button
    assert page.locator(CHART).count() == 0 and "Compare strategies" in page.inner_text("body")  # page kept

    page.get_by_role("link", name="Counselling").click()
    _settle(page)
    page.wait_for_selector("img[src^='data:image/svg+xml']")
    _no_problems(page)
    assert "in 100" in page.inner_text("body")
    _shot(page, "counselling")
    with page.expect_download() as download:
        page.get_by_role("button", name="Printable report (PDF)").click()
    pdf = ARTIFACTS / "family-report.pdf"
    download.value.save_as(pdf)
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "in 100" in text and "ResectSim" in text

    for link, name in (("Evidence and assumptions", "evidence"), ("About", "about")):
        page.get_by_role("link", name=link).click()
        _settle(page)
        _no_problems(page)
        _shot(page, name)
