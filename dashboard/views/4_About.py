"""About: what the model is and is not, how it works, how to cite, limitations."""

import streamlit as st

import simulation
from dashboard import state
from simulation.present.formats import MAX_REPLICATIONS

st.title("About ResectSim")
st.markdown(
    """
**What it is.** A decision-support and education tool: a discrete-event Monte Carlo simulation of revision en bloc
spine-tumour resection that compares a single-stage operation through several exposures with staged plans, for one
described patient. It shows the range of operating time, blood loss, transfusion, intensive care, hospital stay and
complications that the stated assumptions imply.

**What it is not.** It is **not a validated clinical prediction rule**. It has not been tested prospectively, it does
not know this surgical team, and its numbers must not be read as a patient's individual risk. Use it to structure a
tumour-board discussion or a conversation with a family, alongside clinical judgement.

**How it works.** Each plan is a sequence of stages (anaesthetics), exposures and surgical phases. For every simulated
patient the model draws each phase's duration and bleeding rate from distributions written in the scenario files,
scaled for this patient (revision, scarring, vessel adhesion, psoas extension, levels, implants), with a shared patient
factor so that a slow or bleeding patient tends to be slow or bleed throughout. Intra-operative events (durotomy,
great-vessel injury, pleural tear, ureter injury) add repair time and blood loss. Haemoglobin follows the blood lost;
red cells are ordered from a blood bank with a delivery delay when it reaches the transfusion trigger. Post-operative
complications, intensive care and hospital stay follow from the simulated course through published or assumed odds
ratios. Every plan is run on the same simulated patients (common random numbers), so differences between plans are
not chance differences between groups.
"""
)
st.subheader("How to cite a result")
st.markdown(
    "Quote the ResectSim version, the scenario hash, the seed and the number of replications; together they reproduce "
    "every number exactly. They are shown with every result and printed on the family report."
)
last = state.latest("compare")
if last is None:
    st.caption("Run a comparison on the *Compare strategies* page to see its citation here.")
else:
    st.code(
        f"ResectSim {last.version}; scenario {last.scenario_digest}; seed {last.seed}; "
        f"{last.replications:,} replications per strategy; strategies: {', '.join(last.strategies)}.",
        language=None,
    )
st.subheader("Limitations")
st.markdown(
    """
- Most phase-level numbers (durations, bleeding rates, event risks per phase) are **assumptions**: no published source
  reports en bloc resection phase by phase. The *Evidence and assumptions* page lists every number and its basis.
- The model is **calibrated to one case** (the published index case) and checked against whole-operation figures of
  published series; it has not been validated against outcomes of other patients.
- Complication risks come mostly from adult series and general spine surgery, adjusted by assumed odds ratios.
- Monte Carlo uncertainty (shown as ± standard errors and confidence intervals) shrinks with more replications;
  uncertainty in the assumptions does not, and is explored with parameter sweeps, not here.
"""
)
st.caption(f"ResectSim {simulation.__version__} · scenario files in `scenarios/` · {MAX_REPLICATIONS:,} replications per strategy at most")
