"""The Validation page: the comparison table, one chart per figure of the chosen cohort, the caveat."""

import pytest
from dashboard_helpers import charts, no_exceptions

from simulation.validation.cohorts import load_cohorts


def test_the_calibrated_model_is_the_default_and_the_model_as_written_one_click_away(app):
    """Every series the stored posterior was fitted to is a calibration figure; the page says where the
    independent check is. The model as written has its independent figures back."""
    app.run()
    app.switch_page("views/6_Validation.py").run()
    no_exceptions(app)
    assert any(c.value.startswith("Model: calibrated (posterior-v1.parquet") for c in app.caption)  # as predictions
    assert {m.label: m.value for m in app.metric}["Independent figures inside the 95% interval"] == "none here"
    assert any("leave-one-series-out" in m.value for m in app.markdown)
    app.radio(key="validation_model").set_value(False).run()
    no_exceptions(app)
    assert any(c.value == "Model: fixed parameters, as written." for c in app.caption)
    assert {m.label: m.value for m in app.metric}["Independent figures inside the 95% interval"] != "none here"


def test_validation_page_shows_the_table_the_charts_and_the_caveat(app):
    """The model as written: independent figures and misses (the calibrated model has neither)."""
    app.run()
    app.switch_page("views/6_Validation.py").run()
    app.radio(key="validation_model").set_value(False).run()
    no_exceptions(app)
    assert any("not a validated prediction rule" in m.value for m in app.markdown)
    table = app.dataframe[0].value
    figures = sum(len(c.spec.figures) for c in load_cohorts())
    assert len(table) == figures
    assert table.columns[0] == "Result" and set(table.Result) <= {"inside", "OUTSIDE"}
    # misses first, then independent figures before calibration targets
    missed = list(table.Result == "OUTSIDE")
    assert missed == sorted(missed, reverse=True) and missed[0]
    inside = table[table.Result == "inside"]
    calibration = list(inside.Cohort.str.endswith("(calibration)"))
    assert calibration == sorted(calibration)
    assert "840 min (case)" in set(table.Published)
    metrics = {m.label: m.value for m in app.metric}
    independent = table[~table.Cohort.str.endswith("(calibration)")]
    assert metrics["Independent figures inside the 95% interval"] == \
        f"{(independent.Result == 'inside').sum()} of {len(independent)}"
    assert any(f"{(independent.Result == 'inside').sum()} of {len(independent)} independent figures" in m.value
               for m in app.markdown)
    first = app.selectbox(key="validation_cohort").options[0]  # cohorts with a miss come first
    assert table[table.Result == "OUTSIDE"].Cohort.iloc[0].startswith(first)
    app.selectbox(key="validation_cohort").set_value("huang-2018").run()
    no_exceptions(app)
    drawn = charts(app)
    assert len(drawn) == 2 and "Huang 2018" in str(drawn[0][0]["title"])


@pytest.mark.parametrize("calibrated", [True, False], ids=["calibrated", "as written"])
def test_counted_figures_are_drawn_on_count_axes(app, calibrated):
    """k of N patients on an axis of patients (not a percentage); a counted case value in whole numbers, also when
    the calibrated model spreads it over more values than one bar each."""
    app.run()
    app.switch_page("views/6_Validation.py").run()
    app.radio(key="validation_model").set_value(calibrated).run()
    app.selectbox(key="validation_cohort").set_value("boriani-2010-revision").run()
    spec = charts(app)[0][0]
    x = spec["layer"][1]["encoding"]["x"]
    assert x["axis"]["format"] == "d" and "patients with it among 35" in x["title"]
    app.selectbox(key="validation_cohort").set_value("seed-case").run()
    titles = {str(s["title"]): s["layer"][1]["encoding"]["x"].get("axis", {}) for s, _ in charts(app)}
    units = next(axis for title, axis in titles.items() if "Red-cell units" in title)
    assert units.get("format") == "d"
    time = next(axis for title, axis in titles.items() if "Operative time" in title)
    assert time.get("format") != "d"
