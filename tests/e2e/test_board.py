"""The dashboard as its users meet it, in Chromium: the tumour board on a 1280x720 projector, and
every page at projector and phone size (screenshots under tests/artifacts/ to look at)."""

import pytest
import yaml
from e2e_helpers import ARTIFACTS, CHART, no_problems, settle
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]  # one worker: one server, one Chromium

PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
PAGES = ("Compare strategies", "Counselling", "Edit a plan", "Evidence and assumptions", "Sweeps", "Validation", "About")


def _open(browser, server, viewport, path=""):
    tab = browser.new_page(viewport=viewport, accept_downloads=True)
    tab.set_default_timeout(120_000)
    tab.goto(server + path)
    tab.wait_for_selector("[data-testid='stMain']")
    settle(tab)
    return tab


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def _no_horizontal_overflow(tab) -> None:
    width = tab.evaluate("() => document.documentElement.clientWidth")
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= width
    for chart in tab.locator(CHART).all():
        box = chart.bounding_box()
        if box is not None:
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box
    # every element of the page inside the page's column (a data grid's own scroll layer is inside its element)
    wide = tab.evaluate("""() => {
        const column = document.querySelector("[data-testid='stMainBlockContainer']").getBoundingClientRect();
        return [...document.querySelectorAll("[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']")]
            .map(e => [e.getBoundingClientRect(), (e.innerText || '').slice(0, 60)])
            .filter(([b]) => b.width > 0 && b.right > column.right + 1).map(([b, text]) => [Math.round(b.right), text]);
    }""")
    assert not wide, wide


# What shows that a page has finished drawing (a screenshot before it would show skeletons)
READY = {
    "Compare strategies": CHART, "Counselling": "img[src^='data:image/svg+xml']", "Edit a plan": "h1:has-text('Edit a plan')",
    "Evidence and assumptions": "[data-testid='stMetricValue']", "Sweeps": "h1:has-text('Parameter sweeps')",
    "Validation": "[data-testid='stDataFrame']", "About": "h1:has-text('About ResectSim')",
}
PAGE_HEIGHT = ("() => Math.max(...[...document.querySelectorAll(\"[data-testid='stMain'], [data-testid='stAppViewContainer'], "
               "[data-testid='stMainBlockContainer']\")].map(e => e.scrollHeight))")
MAX_FULL_HEIGHT = 12_000


def _shoot(tab, name: str) -> None:
    """The first screen, and the whole page (the app scrolls inside its own container, so the window
    is made as tall as the page for the second picture)."""
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    size = tab.viewport_size
    tall = min(max(tab.evaluate(PAGE_HEIGHT), size["height"]), MAX_FULL_HEIGHT)
    tab.set_viewport_size({"width": size["width"], "height": tall})
    tab.wait_for_timeout(800)
    settle(tab)
    tab.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)
    tab.set_viewport_size(size)


def test_the_board_sees_the_decision_on_the_first_projector_screen(browser, server):
    tab = _open(browser, server, PROJECTOR)
    tab.wait_for_selector(CHART)
    settle(tab)
    no_problems(tab)
    _shoot(tab, "1280x720-board")
    decision = tab.locator("[data-testid='stTable']").first
    assert "vs" in decision.inner_text() and "fewer" in decision.inner_text() or "more" in decision.inner_text()
    table, chart = _box(decision), _box(tab.locator(CHART).first)
    assert table["y"] >= 0 and table["y"] + table["height"] <= PROJECTOR["height"], table
    assert chart["y"] >= table["y"] + table["height"] and chart["y"] + chart["height"] <= PROJECTOR["height"], chart
    _no_horizontal_overflow(tab)
    tab.close()


@pytest.mark.parametrize("size, viewport", [("1280x720", PROJECTOR), ("390x844", PHONE)])
def test_screenshots_of_every_page(browser, server, size, viewport):
    tab = _open(browser, server, viewport)
    for title in PAGES:
        slug = title.split()[0].lower()
        tab.get_by_role("link", name=title).first.dispatch_event("click")  # a phone folds the links into the sidebar
        settle(tab)
        try:
            tab.wait_for_selector(READY[title])
        except Exception:
            tab.screenshot(path=str(ARTIFACTS / f"{size}-{slug}-not-ready.png"))  # what the page showed instead
            raise
        settle(tab)
        no_problems(tab)
        if title in PAGES[:2]:  # still the seed case: moving between pages once reset the patient to another one
            assert "9-year-old girl" in tab.inner_text("[data-testid='stMain']"), title
        _shoot(tab, f"{size}-{slug}")
        if viewport is PROJECTOR:
            _no_horizontal_overflow(tab)
    tab.close()


def _open_sidebar(tab) -> None:
    """The sidebar starts folded (the board's first screen); » opens it."""
    button = tab.locator("[data-testid='stExpandSidebarButton']")
    if button.count() and button.get_attribute("aria-expanded") != "true":
        button.click()
    tab.get_by_role("textbox", name="Patient name").wait_for(state="visible")


def test_a_saved_patient_survives_a_page_reload(browser, server):
    tab = _open(browser, server, {"width": 1280, "height": 900})
    _open_sidebar(tab)
    name = tab.get_by_role("textbox", name="Patient name")
    name.fill("Reload test 58")
    name.press("Enter")
    settle(tab)
    weight = tab.get_by_role("spinbutton", name="Weight (kg)")
    weight.fill("33")
    weight.press("Enter")  # and Save at once, while that edit may still be applying: the saved case has it
    tab.get_by_role("button", name="Save case").dispatch_event("click")  # low in the scrolling sidebar
    settle(tab)
    tab.wait_for_url("**case=reload-test-58*", timeout=10_000)
    assert yaml.safe_load((ARTIFACTS / "cases" / "reload-test-58.yaml").read_text())["weight_kg"] == 33
    tab.reload()
    tab.wait_for_selector("[data-testid='stMain']")
    settle(tab)
    _open_sidebar(tab)
    # the form fills as the first run draws it (a number box reads 0.0 for a moment): wait for the values
    expect(tab.get_by_role("textbox", name="Patient name")).to_have_value("Reload test 58", timeout=10_000)
    expect(tab.get_by_role("spinbutton", name="Weight (kg)")).to_have_value("33.0", timeout=10_000)
    no_problems(tab)
    tab.screenshot(path=str(ARTIFACTS / "1280x900-saved-case.png"))
    tab.close()


# Animations running in the page with a duration (a transition waiting out its delay has none)
ANIMATED = ("() => document.getAnimations().filter(a => a.playState === 'running' && a.effect.getTiming().duration > 0)"
            ".map(a => (a.transitionProperty || a.animationName) + ' on ' + (a.effect.target.dataset.testid || a.effect.target.tagName))")


def test_a_long_run_dims_the_old_result_in_one_step(browser, server):
    """While a run goes, the result it will replace dims (Streamlit's stale state) without a fade or a
    sliding progress bar: without a GPU those animations redraw the whole page on every frame."""
    tab = _open(browser, server, PROJECTOR)
    _open_sidebar(tab)
    reps = tab.get_by_role("spinbutton", name="Replications per strategy")
    reps.fill("5000")  # a run of several seconds
    reps.press("Enter")
    settle(tab)
    tab.get_by_role("button", name="Run", exact=True).click()
    tab.wait_for_selector("[data-testid='stProgress']")
    tab.wait_for_timeout(1_000)  # past the 0.5 s after which Streamlit dims what the run will replace
    assert tab.locator("[data-testid='stProgress']").count() == 1, "the run ended before it could be looked at"
    dimmed = tab.evaluate("() => [...document.querySelectorAll('[data-stale=\"true\"]')].map(e => +getComputedStyle(e).opacity)")
    assert dimmed and max(dimmed) < 0.5, dimmed
    assert tab.evaluate(ANIMATED) == []
    tab.get_by_role("button", name="Cancel").click()
    settle(tab)
    no_problems(tab)
    tab.close()
