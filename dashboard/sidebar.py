"""The shared sidebar: the patient form (prefilled from a bundled or uploaded patient), file
uploads with templates, and the run settings; it publishes ``state.Inputs`` for the pages.

The form builds a dict and hands it to ``simulation.loader.patient_from``; its issues are shown
under the field they name.
"""

from __future__ import annotations

import typing

import streamlit as st

from simulation import Patient, ScenarioError, bundled, load_scenario
from simulation.present.formats import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    MAIN_STRATEGIES,
    MAX_REPLICATIONS,
)
from simulation.scenario.errors import Issue
from simulation.scenario.loader import MAX_FILE_BYTES, load_references, patient_from

from . import cases, state
from .uploads import Upload, clash, issue_text, read_upload

DEFAULT_PATIENT = "seed-case"
FORM_FILE = "patient form"
# Editable fields: field -> (label with unit, number-input step or None for other widgets)
FIELDS = {
    "name": ("Patient name", None),
    "age_years": ("Age (years)", 1.0),
    "sex": ("Sex", None),
    "weight_kg": ("Weight (kg)", 0.5),
    "baseline_hb_g_dl": ("Hb (g/dL)", 0.1),
    "levels": ("Levels resected", None),
    "retained_implants": ("Implants (levels)", None),
    "revision": ("Revision surgery", None),
    "scar_severity": ("Scarring", None),
    "great_vessel_adhesion": ("Great vessels adherent to the tumour", None),
    "psoas_extension": ("Tumour extends into the psoas", None),
    "asa_class": ("ASA physical status", None),
    "height_cm": ("Height (cm)", 1.0),
    "frailty_mfi5": ("Frailty, mFI-5 (points)", None),
    "histology": ("Tumour type", None),
    "vascularity_grade": ("Angiographic vascularity", None),
    "tumour_volume_cm3": ("Tumour volume (cm³)", 5.0),
    "prior_radiotherapy": ("Radiotherapy to the site before surgery", None),
    "chemotherapy_weeks_before_surgery": ("Last chemotherapy (weeks before)", 1.0),
}
OPTIONAL_NUMBERS = ("height_cm", "tumour_volume_cm3", "chemotherapy_weeks_before_surgery")  # empty: not known
NOT_KNOWN = "not known"
CHOICES = {  # select boxes: field -> options (NOT_KNOWN stands for an unset field)
    "frailty_mfi5": (NOT_KNOWN, 0, 1, 2, 3, 4, 5),
    "vascularity_grade": (NOT_KNOWN, "low", "moderate", "high"),
}
EXTRA_HELP = {
    "name": "A name for this case (initials or a study code); it names the saved file.",
    "levels": "A range like L2-L4, or a comma-separated list.",
    "retained_implants": "Levels with implants to remove, e.g. L1-L5; leave empty if none.",
    "scar_severity": "Scar from previous surgery or radiotherapy.",
    "height_cm": "Leave empty if not known.",
    "tumour_volume_cm3": "Leave empty if not known.",
    "chemotherapy_weeks_before_surgery": "Leave empty if none or not known.",
    "vascularity_grade": "Only if an angiogram was done; otherwise the tumour type decides.",
}
FAMILY_FACTS = ("age_years", "sex", "levels", "revision", "retained_implants")  # what a family description states
BROWSER_UPLOAD_MB = 10 * max(1, MAX_FILE_BYTES // 1_000_000)  # larger files than the loader's limit reach it and get its reason


def _key(field: str) -> str:
    return f"pt_{field}"


SAVED = " (saved)"


def _patients() -> dict[str, Patient]:
    """Bundled patients (validated through the loader), saved cases and uploaded ones, by name."""
    found = st.session_state.setdefault("uploaded_patients", {})
    return {**_bundled_patients(), **{f"{stem}{SAVED}": p for stem, p in cases.saved().items()}, **found}


@st.cache_resource(show_spinner=False)
def _bundled_patients() -> dict[str, Patient]:
    return {name: load_scenario(name, [MAIN_STRATEGIES[0]]).patient for name in bundled("patients")}


def _fill_form(missing_only: bool = False) -> None:
    """Copy the chosen base patient into the form widgets (``missing_only``: only into those Streamlit
    has dropped, keeping the user's edits)."""
    base = _patients()[st.session_state[_key("base")]]
    for field in FIELDS:
        if missing_only and _key(field) in st.session_state:
            continue
        value = getattr(base, field)
        if field in CHOICES:
            value = NOT_KNOWN if value is None else value
        elif value is None and field not in OPTIONAL_NUMBERS:
            value = ""
        st.session_state[_key(field)] = value


def _edited(base: Patient) -> dict:
    """The base patient with the form's values, as a plain mapping for the loader."""
    data, assumptions = base.model_dump(), dict(base.assumptions)
    for field in FIELDS:
        value = st.session_state[_key(field)]
        empty = value == NOT_KNOWN or (field == "retained_implants" and not str(value).strip())
        data[field] = None if empty else value
        if field != "name" and data[field] != getattr(base, field):
            assumptions[field] = f"Entered in the dashboard form (the {base.name} file says {getattr(base, field)})."
    if any(data[f] != getattr(base, f) for f in FAMILY_FACTS):  # the file's plain-words text no longer describes them
        data["family_label"] = data["family_description"] = None
    return {**data, "assumptions": assumptions}


def _help(field: str) -> str:
    described = Patient.model_fields[field].description or ""
    return " ".join(t for t in (described, EXTRA_HELP.get(field, "")) if t)


def _widget(field: str) -> None:
    label, step = FIELDS[field]
    key, help_, annotation = _key(field), _help(field), Patient.model_fields[field].annotation
    if step is not None:
        st.number_input(label, step=step, format="%.1f", key=key, help=help_,
                        placeholder=NOT_KNOWN if field in OPTIONAL_NUMBERS else None)
    elif field in CHOICES:
        st.selectbox(label, CHOICES[field], key=key, help=help_)
    elif field == "histology":
        st.selectbox(label, typing.get_args(annotation), key=key, help=help_, format_func=lambda v: v.replace("_", " "))
    elif field == "sex":
        st.radio(label, typing.get_args(annotation), key=key, horizontal=True, help=help_)
    elif field == "scar_severity":
        st.select_slider(label, typing.get_args(annotation), key=key, help=help_)
    elif field == "asa_class":
        st.select_slider(label, (1, 2, 3, 4, 5), key=key, help=help_)
    elif annotation is bool:
        st.toggle(label, key=key, help=help_)
    else:
        st.text_input(label, key=key, help=help_)


# --- uploads ---------------------------------------------------------------------------------
def _take_patient_upload(upload: Upload) -> None:
    st.session_state["patient_upload"] = upload
    if upload.ok:
        name = f"{upload.model.name} (uploaded)"
        st.session_state["uploaded_patients"][name] = upload.model
        st.session_state[_key("base")] = name
        _fill_form()


def _on_patient_file() -> None:
    file = st.session_state.get("upload_patient")
    if file is not None:
        _take_patient_upload(read_upload(file.getvalue(), file.name, "patient"))
    else:  # the file was removed: its messages go with it (a patient it loaded stays under *Start from*)
        st.session_state.pop("patient_upload", None)


def _on_strategy_files() -> None:
    results = [read_upload(f.getvalue(), f.name, "strategy") for f in st.session_state.get("upload_strategies") or []]
    _keep_strategies(results)


def _keep_strategies(results: list[Upload]) -> None:
    kept = st.session_state.setdefault("uploaded_strategies", {})
    shown = []
    for up in results:
        up = clash(up, state.bundled_strategies(), kept)
        if up.ok:
            kept[up.model.name] = up.model
            chosen = list(st.session_state.get("compare_strategies", MAIN_STRATEGIES))
            if up.model.name not in chosen:
                st.session_state["compare_strategies"] = [*chosen, up.model.name]
        shown.append(up)
    st.session_state["strategy_upload_results"] = shown


def _on_paste() -> None:
    text = st.session_state.get("paste_text", "")
    kind = st.session_state.get("paste_kind", "patient")
    upload = read_upload(text.encode("utf-8"), "pasted YAML", kind)
    if kind == "patient":
        _take_patient_upload(upload)
    else:
        _keep_strategies([upload])


def _show(upload: Upload | None) -> None:
    if upload is None:
        return
    if upload.ok:
        st.success(f"{upload.file_name}: loaded **{upload.model.name}**")
    for issue in upload.issues:
        st.error(f"{upload.file_name}: {issue_text(issue)}")


def _files_section() -> None:
    with st.expander("Load a patient or strategy file (YAML)"):
        # no type filter and a generous size cap in the browser: the loader refuses a wrong or large file
        # with a message that says why, under the box
        st.file_uploader(
            "Patient file", key="upload_patient", on_change=_on_patient_file,
            max_upload_size=BROWSER_UPLOAD_MB, help="A patient YAML file (.yaml or .yml, up to "
            f"{MAX_FILE_BYTES // 1000:,} kB). Same format and checks as `resectsim` on the command line.",
        )
        _show(st.session_state.get("patient_upload"))
        st.file_uploader(
            "Strategy files", accept_multiple_files=True, key="upload_strategies",
            on_change=_on_strategy_files, max_upload_size=BROWSER_UPLOAD_MB,
            help="A strategy lists stages, exposures and phases by phase-library id; `extends:` a bundled one to change a detail.",
        )
        for up in st.session_state.get("strategy_upload_results", []):
            _show(up)
        st.caption("Templates: the form's patient and a bundled strategy:")
        left, right = st.columns(2)
        strategy_file = bundled("strategies")[MAIN_STRATEGIES[0]]
        form = st.session_state.get("form_patient")
        patient_bytes = cases.to_yaml(form).encode() if form else bundled("patients")[DEFAULT_PATIENT].read_bytes()
        left.download_button("Patient", patient_bytes, f"{cases.slug(form.name) if form else DEFAULT_PATIENT}.yaml", "application/x-yaml",
                             on_click="ignore", icon=":material/download:")
        right.download_button("Strategy", strategy_file.read_bytes(), strategy_file.name, "application/x-yaml",
                              on_click="ignore", icon=":material/download:")
        st.text_area("…or paste YAML", key="paste_text", height=120, placeholder="age_years: 9\nsex: female\n…")
        st.radio("Pasted text is a", ("patient", "strategy"), key="paste_kind", horizontal=True)
        st.button("Use pasted YAML", key="paste_use", on_click=_on_paste)


# --- the form ----------------------------------------------------------------------------------
def field_of(issue: Issue) -> tuple[str, str]:
    """(form field, message) of an issue; a check across fields names the field that is off first."""
    field, message = issue.path.split(".")[0].split("[")[0], issue.message
    named, _, rest = message.partition(": ")
    return (named, rest) if not field and named in FIELDS else (field, message)


def form_issue_text(issue: Issue) -> str:
    """A form error in the form's words: the field's label (not ``weight_kg``), then the loader's message."""
    field, message = field_of(issue)
    if field not in FIELDS:
        return issue_text(issue)
    value = "" if issue.value is None or str(issue.value) in message else f" (you entered {issue.value})"
    return f"**{FIELDS[field][0]}**: {message}{value}"


# --- cases ---------------------------------------------------------------------------------------
def _form_patient() -> Patient:
    """The patient the form holds now (raises ScenarioError for invalid fields)."""
    base = _patients()[st.session_state[_key("base")]]
    return patient_from(_edited(base), FORM_FILE, load_references())


def _save_case() -> None:
    """Save what the form holds at the click, not the patient of the last drawing: an edit still being
    applied when Save is pressed (a number typed, then Save at once) would otherwise be lost."""
    try:
        patient = _form_patient()
    except ScenarioError:  # the form shows why under its fields once the page redraws
        st.session_state["case_saved"] = "Not saved: correct the fields marked in red first."
        return
    path = cases.save(patient)
    st.session_state["case_saved"] = f"Saved as {path.name} in {path.parent}"
    st.session_state[_key("base")] = f"{path.stem}{SAVED}"
    st.query_params["case"] = path.stem


def _case_section(patient: Patient | None) -> None:
    """Save the form's patient as a case (reopened from *Start from*, and after a reload), or download it."""
    left, right = st.columns(2)
    left.button("Save case", key="case_save", icon=":material/save:", disabled=patient is None, width="stretch",
                on_click=_save_case, help=f"Writes the form's patient to {cases.folder()}; "
                "it then appears under *Start from* and stays after a page reload.")
    right.download_button("YAML", cases.to_yaml(patient) if patient else "", f"{cases.slug(patient.name) if patient else 'case'}.yaml",
                          "application/x-yaml", key="case_download", disabled=patient is None, on_click="ignore",
                          icon=":material/download:", width="stretch", help="The form's patient as a patient file.")
    if "case_saved" in st.session_state:
        st.caption(st.session_state.pop("case_saved"))


def _start_case() -> str:
    """The patient a new session opens on: the case in the address (``?case=``) if it is saved."""
    wanted = st.query_params.get("case")
    return f"{wanted}{SAVED}" if wanted and f"{wanted}{SAVED}" in _patients() else DEFAULT_PATIENT


def render() -> None:
    """Draw the sidebar and publish the inputs for the pages."""
    for key in (_key("base"), *(_key(f) for f in FIELDS)):  # keep the form's values across page changes
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if _key("base") not in st.session_state:
        st.session_state[_key("base")] = _start_case()
        _fill_form()
    elif any(_key(field) not in st.session_state for field in FIELDS):
        # a first run stopped early (a click on another page while it simulated) leaves Streamlit without
        # the form's values: refill them from the base patient rather than show an empty, invalid form
        _fill_form(missing_only=True)
    patients = _patients()
    with st.sidebar:
        st.subheader("Patient")
        st.selectbox("Start from", list(patients), key=_key("base"), on_change=_fill_form,
                     help="A bundled or uploaded patient; edit any field below.")
        slots = {}
        _widget("name")
        slots["name"] = st.empty()
        pairs = (("age_years", "sex"), ("weight_kg", "baseline_hb_g_dl"), ("levels", "retained_implants"))
        for a, b in pairs:
            left, right = st.columns(2)
            for col, field in ((left, a), (right, b)):
                with col:
                    _widget(field)
                    slots[field] = st.empty()
        for field in ("revision", "scar_severity", "great_vessel_adhesion", "psoas_extension", "asa_class"):
            _widget(field)
            slots[field] = st.empty()
        with st.expander("Tumour, build and comorbidity"):
            for field in ("histology", "vascularity_grade", "tumour_volume_cm3", "height_cm", "frailty_mfi5",
                          "prior_radiotherapy", "chemotherapy_weeks_before_surgery"):
                _widget(field)
                slots[field] = st.empty()
        general = st.empty()
        patient = None
        try:
            patient = _form_patient()
        except ScenarioError as exc:
            for issue in exc.issues:
                (slots.get(field_of(issue)[0]) or general).error(form_issue_text(issue))
        if patient is not None:  # possible but extreme inputs: a note under the field, never a refusal
            for field, message in patient.warnings():
                (slots.get(field) or general).warning(form_issue_text(Issue(FORM_FILE, field, message)))
        _case_section(patient)
        st.session_state["form_patient"] = patient
        _files_section()
        st.subheader("Simulation")
        left, right = st.columns(2)
        reps = left.number_input("Replications per strategy", min_value=1, value=DEFAULT_REPLICATIONS, step=500, key="reps",
                                 help=f"Simulated operations per strategy, up to {MAX_REPLICATIONS:,}. More gives steadier estimates.")
        seed = right.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="seed",
                                  help="The same seed, patient and strategies always give the same results.")
        strategies = {**state.bundled_strategies(), **st.session_state.get("uploaded_strategies", {})}
        inputs = state.Inputs(patient, strategies, int(reps), int(seed))
        if inputs.replication_error:
            st.error(inputs.replication_error)
    state.publish(inputs)
