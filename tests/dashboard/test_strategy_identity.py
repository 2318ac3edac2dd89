"""Strategies are identified by name: an uploaded or pasted strategy whose label is another
strategy's label is refused with a message, and Run keeps working (Streamlit AppTest)."""

from dashboard_helpers import no_exceptions


def _paste(at, text: str):
    at.text_area(key="paste_text").set_value(text)
    at.radio(key="paste_kind").set_value("strategy")
    return at.button(key="paste_use").click().run()


def test_a_pasted_strategy_with_a_bundled_label_is_refused_and_run_still_works(app):
    app.run()
    _paste(app, "name: my-posterior\nextends: posterior-only\nlabel: Posterior only (one stage)\n")
    no_exceptions(app)
    errors = [e.value for e in app.sidebar.error]
    assert any("**label**" in e and "posterior-only" in e and "choose another label" in e for e in errors), errors
    assert "my-posterior" not in app.multiselect(key="compare_strategies").options
    assert "my-posterior" not in app.session_state["inputs"].library
    next(b for b in app.button if b.label == "Run").click().run()
    no_exceptions(app)


def test_an_uploaded_strategy_may_not_take_the_label_of_another_upload(app):
    app.run()
    first = ("a.yaml", b"name: variant-a\nextends: posterior-only\nlabel: My variant\n", "application/x-yaml")
    second = ("b.yaml", b"name: variant-b\nextends: posterior-only\nlabel: '  my VARIANT '\n", "application/x-yaml")
    app.file_uploader(key="upload_strategies").set_value([first, second]).run()
    no_exceptions(app)
    assert any(s.value.startswith("a.yaml: loaded") for s in app.sidebar.success)
    assert any(e.value.startswith("b.yaml: **label**") and "variant-a" in e.value for e in app.sidebar.error)
    options = app.multiselect(key="compare_strategies").options
    assert "My variant" in options and options.count("My variant") == 1
    # The same file again (same name, same label) replaces itself: not a clash
    app.file_uploader(key="upload_strategies").set_value([first]).run()
    no_exceptions(app)
    assert any(s.value.startswith("a.yaml: loaded") for s in app.sidebar.success)

