"""Fixtures for the browser tests: Chromium, and the dashboard served by `streamlit run` on a free port."""

import os

import pytest
from e2e_helpers import ARTIFACTS, CHROMIUM


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install it with `apt-get install -y chromium` (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def server():
    """The dashboard on a free localhost port, terminated at the end whatever happens."""
    from dashboard.served import ServerError, served

    try:
        with served(ARTIFACTS / "streamlit.log", {"RESECTSIM_CASES": str(ARTIFACTS / "cases")}) as url:
            yield url
    except ServerError as exc:
        pytest.fail(str(exc))


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
