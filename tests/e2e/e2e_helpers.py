"""Helpers for the browser tests (a module name no other test folder uses)."""

from pathlib import Path

from dashboard.served import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (the tests' browser)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHART = "[data-testid='stVegaLiteChart']"
PROBLEMS = "[data-testid='stException'], [data-testid='stAlertContentError']"


def settle(page) -> None:
    """Wait until the app has stopped running (no 'Running...' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")


def open_with_sidebar(browser, url: str):
    """A new 1280x900 tab on the dashboard at ``url``, its first result drawn and the sidebar open."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(120_000)
    tab.goto(url)
    tab.wait_for_selector(CHART)
    settle(tab)
    tab.locator("[data-testid='stExpandSidebarButton']").click()
    return tab


def no_problems(page) -> None:
    assert page.locator(PROBLEMS).count() == 0, page.locator(PROBLEMS).all_inner_texts()
    assert "Traceback" not in page.inner_text("body")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


