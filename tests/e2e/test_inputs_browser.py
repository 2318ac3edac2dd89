"""Uploads and long runs in Chromium: a refused file says why and its message leaves with it; a run can
be cancelled and the last result stays."""

import pytest
from e2e_helpers import ARTIFACTS, CHART, open_with_sidebar, settle

from simulation import bundled

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]  # one worker: one server, one Chromium


def test_a_refused_upload_says_why_and_leaves_with_its_file(browser, server):
    tab = open_with_sidebar(browser, server)
    tab.get_by_text("Load a patient or strategy file (YAML)").click()
    patient_box = tab.locator("[data-testid='stFileUploader']").first
    chooser = patient_box.locator("input[type='file']")
    chooser.set_input_files(files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 not a patient"}])
    tab.get_by_text("scan.pdf: is a .pdf file; a patient file is YAML text ending in .yaml or .yml").wait_for()
    strategy = bundled("strategies")["two-stage-posterior-then-anterior"]
    chooser.set_input_files(files=[{"name": strategy.name, "mimeType": "application/x-yaml", "buffer": strategy.read_bytes()}])
    tab.get_by_text("is a strategy file (it has stages:), not a patient file: load it under Strategy files").wait_for()
    assert tab.get_by_text("is a .pdf file").count() == 0  # the earlier file's message went with it
    tab.screenshot(path=str(ARTIFACTS / "1280x900-upload-refused.png"))
    patient_box.get_by_role("button", name=f"Remove {strategy.name}").click()
    tab.get_by_text("not a patient file").wait_for(state="detached", timeout=30_000)  # the message left with the file
    tab.close()


def test_a_long_run_can_be_cancelled_and_the_last_result_stays(browser, server):
    tab = open_with_sidebar(browser, server)
    reps = tab.get_by_role("spinbutton", name="Replications per strategy")
    reps.fill("20000")
    reps.press("Enter")
    settle(tab)
    tab.get_by_role("button", name="Run", exact=True).click()
    tab.get_by_text("Simulating").first.wait_for(timeout=60_000)  # the run is going
    tab.get_by_role("button", name="Cancel").click()
    tab.get_by_text("Run cancelled.").wait_for(timeout=60_000)
    settle(tab)
    tab.get_by_text("Out of date").first.wait_for(timeout=10_000)  # the last result is still there
    tab.get_by_text("1,000 simulated operations per plan").first.wait_for(timeout=10_000)
    tab.wait_for_selector(CHART)
    assert "Simulating" not in tab.inner_text("body")
    tab.screenshot(path=str(ARTIFACTS / "1280x900-run-cancelled.png"))
    tab.close()


def test_leaving_the_page_during_the_first_run_keeps_the_patient(browser, server):
    """A click on another page while the first run simulates stops that run; the patient form must
    still hold the patient afterwards (it was left empty and invalid: 'Fix the highlighted inputs')."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(120_000)
    tab.goto(server)
    tab.wait_for_selector("[data-testid='stMain']")
    tab.get_by_role("link", name="Counselling").first.dispatch_event("click")
    tab.wait_for_timeout(300)
    tab.get_by_role("link", name="Compare strategies").first.dispatch_event("click")
    tab.wait_for_selector(CHART)
    settle(tab)
    assert "Fix the highlighted inputs" not in tab.inner_text("body")
    tab.locator("[data-testid='stExpandSidebarButton']").click()
    weight = tab.get_by_role("spinbutton", name="Weight (kg)")
    weight.wait_for()
    tab.wait_for_function("e => e.value === '28.0'", arg=weight.element_handle(), timeout=20_000)
    tab.close()
