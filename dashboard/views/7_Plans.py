"""Edit a plan: start from a bundled strategy, change stages, exposures and phases, the stop rule,
the staging interval and the peri-operative policies; validated as the CLI validates a strategy file; download it or add it
to the comparison."""

import pandas as pd
import streamlit as st

from dashboard import plans, state, ui
from simulation import ScenarioError
from simulation.present.formats import MAIN_STRATEGIES
from simulation.scenario.loader import load_library

ui.header("Edit a plan")
library = state.bundled_strategies()
base_name = st.selectbox("Start from", list(library), key="plan_base", format_func=lambda n: library[n].label,
                         help="A bundled strategy; every change below is checked as `resectsim check` would.")
base = library[base_name]
if st.session_state.get("plan_loaded") != base_name:  # a new starting plan: fill the editor
    st.session_state["plan_loaded"] = base_name
    st.session_state["plan_rows"] = [{"uid": 1000 * len(st.session_state.get("plan_history", [])) + k, **r}
                                     for k, r in enumerate(plans.rows(base).to_dict("records"))]
    st.session_state.setdefault("plan_history", []).append(base_name)
    st.session_state["plan_name"] = f"{base.name}-edited"
    st.session_state["plan_label"] = f"{base.label} (edited)"
    rule = base.stop_and_stage
    st.session_state["plan_rule"] = rule is not None
    st.session_state["plan_rule_hours"] = float(rule.max_hours or 0) if rule else 10.0
    st.session_state["plan_rule_bv"] = float(rule.max_blood_volumes or 0) if rule else 2.0
    st.session_state["plan_interval_on"] = base.interval_days is not None
    st.session_state["plan_interval"] = 7.0
    pol = base.policies
    st.session_state["plan_embolisation"] = pol.embolisation
    st.session_state["plan_embolisation_hours"] = float(pol.embolisation_hours_before_surgery)
    st.session_state["plan_txa"] = pol.tranexamic_acid
    st.session_state["plan_hypotension"] = pol.controlled_hypotension
    st.session_state["plan_salvage"] = {None: "centre", True: "on", False: "off"}[pol.cell_salvage]

left, right = st.columns(2)
name = left.text_input("Name (file name: lower case, digits, dashes)", key="plan_name")
label = right.text_input("Label (as the board reads it)", key="plan_label")
st.markdown(
    "**Stages, exposures and phases**: one row per exposure, in order. Move a row with ↑ ↓, remove it with ✕, add one "
    "below; change **Stage** to move an exposure to another anaesthetic; list its phases by phase-library id, in order."
)
FIELDS = (("stage", "Stage"), ("label", "Exposure"), ("approach", "Approach"), ("position", "Position"),
          ("phases", "Phases (ids, in order)"))


def _widget_key(uid: int, field: str) -> str:
    return f"plan_{uid}_{field}"


def _rows() -> list[dict]:
    """The rows as the widgets hold them (uid order = plan order)."""
    return [{f: st.session_state.get(_widget_key(uid, f), row[f]) for f, _ in FIELDS} | {"uid": uid}
            for uid, row in ((r["uid"], r) for r in st.session_state["plan_rows"])]


def _move(i: int, step: int) -> None:
    found = _rows()
    j = i + step
    if 0 <= j < len(found):
        found[i], found[j] = found[j], found[i]
    st.session_state["plan_rows"] = found


def _remove(i: int) -> None:
    st.session_state["plan_rows"] = [r for k, r in enumerate(_rows()) if k != i]


def _add() -> None:
    found = _rows()
    uid = max([r["uid"] for r in found], default=0) + 1
    last = found[-1] if found else {"stage": 1, "approach": "posterior_midline", "position": "prone"}
    found.append({"uid": uid, "stage": last["stage"], "label": "New exposure", "approach": last["approach"],
                  "position": last["position"], "phases": "closure"})
    st.session_state["plan_rows"] = found


widths = [0.6, 1.6, 1.6, 1.2, 3.2, 0.55, 0.55, 0.55]
for i, row in enumerate(st.session_state["plan_rows"]):
    cols = st.columns(widths, vertical_alignment="bottom")
    for col, (field, title) in zip(cols, FIELDS):
        key = _widget_key(row["uid"], field)
        st.session_state.setdefault(key, row[field])
        if field == "stage":
            col.number_input(title, min_value=1, step=1, key=key, label_visibility="visible" if i == 0 else "collapsed")
        else:
            col.text_input(title, key=key, label_visibility="visible" if i == 0 else "collapsed")
    cols[5].button("↑", key=f"plan_up_{row['uid']}", on_click=_move, args=(i, -1), help="Move up")
    cols[6].button("↓", key=f"plan_down_{row['uid']}", on_click=_move, args=(i, 1), help="Move down")
    cols[7].button("✕", key=f"plan_remove_{row['uid']}", on_click=_remove, args=(i,), help="Remove this exposure")
st.button("Add an exposure", key="plan_add", on_click=_add, icon=":material/add:")
table = pd.DataFrame([{**r, "order": k} for k, r in enumerate(_rows())])
with st.expander("Phase-library ids"):
    st.table([{"id": pid, "phase": entry.get("label", "")} for pid, entry in load_library().items()], hide_index=True)

left, right = st.columns(2)
with left:
    st.toggle("Stop-and-stage rule", key="plan_rule", help="Close at the end of the current phase when a limit is passed "
              "and finish the rest in a new stage.")
    if st.session_state["plan_rule"]:
        a, b = st.columns(2)
        hours = a.number_input("Stop after (hours of operating)", min_value=0.0, step=0.5, key="plan_rule_hours",
                               help="0: no time limit.")
        volumes = b.number_input("Stop after (blood volumes lost)", min_value=0.0, step=0.25, key="plan_rule_bv",
                                 help="0: no blood-loss limit.")
with right:
    st.toggle("Set the days between stages", key="plan_interval_on", help="Otherwise the model's default distribution.")
    if st.session_state["plan_interval_on"]:
        days = st.number_input("Days between stages", min_value=0.0, step=1.0, key="plan_interval")
st.markdown("**Peri-operative policies** (their effects and their own risks: *Evidence and assumptions*, "
            "`parameters.policies`)")
a, b, c, d = st.columns(4)
a.toggle("Embolisation before surgery", key="plan_embolisation",
         help="Pre-operative embolisation of the tumour's feeding vessels: lowers bleeding only for hypervascular "
         "tumours (renal cell, thyroid, hepatocellular, myeloma or a high angiographic grade), fully within 24 h.")
if st.session_state["plan_embolisation"]:
    a.number_input("Hours from embolisation to surgery", min_value=0.0, max_value=720.0, step=6.0,
                   key="plan_embolisation_hours")
b.toggle("Tranexamic acid", key="plan_txa", help="Intravenous tranexamic acid through the operation.")
c.toggle("Controlled hypotension", key="plan_hypotension", help="Deliberately lowered blood pressure while bleeding.")
d.radio("Cell salvage", ["centre", "on", "off"], key="plan_salvage", horizontal=True,
        format_func={"centre": "The centre's policy", "on": "On", "off": "Off"}.get,
        help="Intra-operative cell salvage with a leucocyte-depletion filter.")
rule = None
if st.session_state["plan_rule"]:
    rule = {k: v for k, v in (("max_hours", hours), ("max_blood_volumes", volumes)) if v > 0}
    rule["assumption"] = "Limits entered in the dashboard's plan editor."
interval = (days, "Entered in the dashboard's plan editor.") if st.session_state["plan_interval_on"] else None
data = plans.raw_plan(table, name, label, base.description, plans.overrides(base_name), interval, rule,
                      plans.exposure_labels(base))
chosen = {
    "embolisation": st.session_state["plan_embolisation"],
    "embolisation_hours_before_surgery": st.session_state["plan_embolisation_hours"],
    "tranexamic_acid": st.session_state["plan_txa"],
    "controlled_hypotension": st.session_state["plan_hypotension"],
    "cell_salvage": {"centre": None, "on": True, "off": False}[st.session_state["plan_salvage"]],
}
kept = base.policies.model_dump(exclude_defaults=True)  # blood stock and anything not edited here stay as they were
if policies := {k: v for k, v in {**kept, **chosen}.items() if v != type(base.policies)().model_dump()[k]}:
    data["policies"] = policies
try:
    strategy = plans.check_plan(data)
except ScenarioError as exc:
    strategy = None
    ui.show_issues(exc)
left, mid, _ = st.columns([1, 1, 2])
left.download_button("Download plan (YAML)", plans.to_yaml(data), f"{name or 'plan'}.yaml", "application/x-yaml",
                     on_click="ignore", icon=":material/download:", disabled=strategy is None)
if mid.button("Add to the comparison", type="primary", icon=":material/add:", disabled=strategy is None, key="plan_use"):
    if strategy.name in library:
        st.error(f"**Name**: {strategy.name} is the name of a bundled strategy; choose another.")
    else:
        st.session_state.setdefault("uploaded_strategies", {})[strategy.name] = strategy
        chosen = list(st.session_state.get("compare_strategies", MAIN_STRATEGIES))
        st.session_state["compare_strategies"] = [*dict.fromkeys([*chosen, strategy.name])]
        st.success(f"**{strategy.label}** is now a plan on *Compare strategies* and *Counselling*; press **Run** there.")
if strategy is not None:
    st.caption(f"Valid: {len(strategy.stages)} stage(s), "
               f"{sum(len(s.exposures) for s in strategy.stages)} exposure(s), "
               f"{sum(len(e.phases) for s in strategy.stages for e in s.exposures)} phases.")
