"""Your centre: an uploaded case log is read and fitted as the CLI does; the profile then drives the runs."""

from dashboard_helpers import no_exceptions

from dashboard import state
from dashboard.centre import fit_upload
from simulation import CentreProfile
from simulation.calibration import caselog

HEADER = ",".join(caselog.COLUMNS)
GOOD = caselog.template().splitlines()[1]


def test_a_good_upload_gives_a_profile_and_its_lines():
    rows = "\n".join(GOOD.replace(",610,", f",{t},") for t in (520, 640, 700, 760, 810, 590))
    fitted = fit_upload(f"{HEADER}\n{rows}\n".encode(), "st-elsewhere.csv", "", replications=40)
    assert fitted.problems == () and isinstance(fitted.profile, CentreProfile)
    assert fitted.profile.centre == "st-elsewhere" and fitted.profile.cases == 6
    assert len(fitted.lines) == 3 and fitted.lines[0].startswith("Operative time: x")
    assert "staged (two or more operations)" in fitted.profile.absent_case_types


def test_a_bad_upload_gives_one_line_per_problem_and_no_profile():
    bad = GOOD.replace(",610,", ",soon,").replace(",male,", ",other,")
    fitted = fit_upload(f"{HEADER}\n{bad}\n".encode(), "log.csv", "X")
    assert fitted.profile is None and len(fitted.problems) == 2
    assert any("operative_time_min: must be a number" in p for p in fitted.problems)


def test_the_page_offers_the_template_and_a_kept_profile_drives_compare(app):
    app.run()
    app.switch_page("views/8_Centre.py").run()
    no_exceptions(app)
    assert "Your centre" in app.title[0].value
    rows = "\n".join(GOOD for _ in range(5))
    profile = fit_upload(f"{HEADER}\n{rows}\n".encode(), "log.csv", "Kept", replications=40).profile
    app.session_state[state.CENTRE_KEY] = profile
    app.run()
    no_exceptions(app)
    assert any("now draw this centre" in i.value for i in app.info)
    app.switch_page("views/1_Compare.py").run()
    next(b for b in app.button if b.label == "Run").click().run()  # the kept run was for a centre like those published
    no_exceptions(app)
    key, comparison, _ = app.session_state["result:compare"]
    assert key[-1] == profile.digest() and "centre Kept" in comparison.uncertainty_note
