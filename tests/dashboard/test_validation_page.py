"""The Validation page: the comparison table, one chart per figure of the chosen cohort, the caveat."""

from dashboard_helpers import charts, no_exceptions

from simulation.validation.cohorts import load_cohorts


def test_validation_page_shows_the_table_the_charts_and_the_caveat(app):
    app.run()
    app.switch_page("views/6_Validation.py").run()
    no_exceptions(app)
    assert any("not a validated prediction rule" in m.value for m in app.markdown)
    table = app.dataframe[0].value
    figures = sum(len(c.spec.figures) for c in load_cohorts())
    assert len(table) == figures and table.Cohort.iloc[0].startswith("Index case")
    assert set(table.Result) <= {"inside", "OUTSIDE"}
    assert table.Published.iloc[0] == "840 min (case)"
    assert len(charts(app)) == 6  # the index case's six figures
    app.selectbox(key="validation_cohort").set_value("huang-2018").run()
    no_exceptions(app)
    drawn = charts(app)
    assert len(drawn) == 2 and "Huang 2018" in str(drawn[0][0]["title"])
