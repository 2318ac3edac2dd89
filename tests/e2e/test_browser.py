"""End to end in a real browser: `streamlit run dashboard/app.py`, driven by Playwright + Chromium.

Runs a comparison, waits for the charts, checks that no error or exception is on any page,
downloads the family PDF, and saves a screenshot of each page under tests/artifacts/.
Without /usr/bin/chromium the test fails when CI is set and is skipped otherwise.
"""

import io
import shutil
import subprocess

import pytest
from e2e_helpers import ARTIFACTS, CHART, no_problems, settle, shot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]  # one worker: one server, one Chromium


def _pages_as_pictures(pdf) -> None:
    """Each page of a downloaded PDF as a PNG beside it (pdftoppm, poppler-utils), to look at."""
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(pdf.with_suffix(""))], check=True, timeout=120)
        assert pdf.with_name(f"{pdf.stem}-1.png").is_file()


@pytest.fixture(scope="module")
def page(browser, server):
    tab = browser.new_page(viewport={"width": 1600, "height": 1800}, accept_downloads=True)
    tab.set_default_timeout(90_000)
    tab.goto(server)
    yield tab
    tab.close()


def test_compare_counsel_and_read_in_the_browser(page):
    page.wait_for_selector(CHART)
    settle(page)
    assert "seed-case" in page.inner_text("body")

    page.locator("[data-testid='stExpandSidebarButton']").click()  # the sidebar starts folded
    reps = page.get_by_role("spinbutton", name="Replications per strategy")
    reps.fill("300")
    reps.press("Enter")
    settle(page)
    page.get_by_text("Out of date").wait_for()  # the last result stays on screen until Run
    page.get_by_role("button", name="Run").click()
    page.get_by_text("300 simulated operations per plan").first.wait_for()
    settle(page)
    page.wait_for_selector(CHART)
    body = page.inner_text("body")
    assert "300 simulated operations per plan" in body, [x for x in body.split("\n") if "simulated operations" in x or "Out of date" in x]
    for label in ("Single stage, three exposures", "Two stages, posterior then anterior"):
        assert label in body
    no_problems(page)
    shot(page, "compare-summary")

    for tab, name in (("Distributions", "compare-distributions"), ("Paired differences", "compare-differences"),
                      ("Typical operation", "compare-timeline")):
        page.get_by_role("tab", name=tab).click()
        settle(page)
        page.wait_for_selector(CHART)
        no_problems(page)
        shot(page, name)

    page.get_by_role("tab", name="Summary").click()
    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Board PDF").click()
    board = ARTIFACTS / "board-report-browser.pdf"
    download.value.save_as(board)
    assert board.read_bytes().startswith(b"%PDF")
    _pages_as_pictures(board)

    page.get_by_role("tab", name="Downloads").click()
    settle(page)
    for button, magic in (("Records (CSV)", b"strategy,replication"), ("PNG", b"\x89PNG")):
        with page.expect_download() as download:
            page.get_by_role("button", name=button).click()
        saved = ARTIFACTS / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(magic), button
    assert page.locator(CHART).count() == 0 and "Compare strategies" in page.inner_text("body")  # page kept

    page.get_by_role("link", name="Counselling").click()
    settle(page)
    page.wait_for_selector("img[src^='data:image/svg+xml']")
    no_problems(page)
    assert "in 100" in page.inner_text("body")
    shot(page, "counselling")
    with page.expect_download() as download:
        page.get_by_role("button", name="Printable report (PDF)").click()
    pdf = ARTIFACTS / "family-report.pdf"
    download.value.save_as(pdf)
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "in 100" in text and "ResectSim" in text
    _pages_as_pictures(pdf)

    for link, name in (("Evidence and assumptions", "evidence"), ("About", "about")):
        page.get_by_role("link", name=link).click()
        settle(page)
        no_problems(page)
        shot(page, name)
