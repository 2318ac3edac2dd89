"""Every page: the disclaimer line, no exception; the About page says what the model is not."""

import pytest
from dashboard_helpers import no_exceptions

from simulation.present.formats import DISCLAIMER

PAGES = ["views/1_Compare.py", "views/2_Counselling.py", "views/3_Evidence.py", "views/4_About.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_disclaimer(app, page):
    app.run()
    app.switch_page(page).run()
    no_exceptions(app)
    assert any(DISCLAIMER in h.proto.body for h in app.get("html"))


def test_about_page(app):
    app.run()
    app.switch_page("views/4_About.py").run()
    text = " ".join(m.value for m in app.markdown)
    assert "not a validated clinical prediction rule" in text
    assert "calibrated to one case" in text and "assumptions" in text
    comparison = app.session_state["result:compare"][1]
    cite = app.code[0].value
    assert f"scenario {comparison.scenario_digest}" in cite and "seed 2018" in cite and "200 replications" in cite
