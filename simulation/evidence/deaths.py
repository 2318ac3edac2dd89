"""Deaths per 100 by assumption chain: how much of the simulated 2-month mortality each chain carries.

The model's death is ``1 - (1 - p_other) * prod_e (1 - L_e) ** events_e * (1 - L_major) ** majors``
(``simulation.model.outcomes.death_chains``); each record carries each chain's share of the risk
(``death_risk_*``, per 100), so their means say, for example, "of 1.4 deaths per 100, 0.4 come from
the vessel-injury chain".
"""

from __future__ import annotations

import pandas as pd

from ..runs.runner import run
from ..scenario.schema import Scenario

CHAINS = {
    "death_risk_other_causes": "Other causes (baseline: complications.types.death, massive transfusion, per-stage insult)",
    "death_risk_injury": "Intra-operative injury -> death (event rates in phases.yaml x complications.death.lethality_per_event)",
    "death_risk_major_complication": "Major early complication -> death (complications.death.lethality_per_major_complication)",
}


def death_chains_table(scenario: Scenario, replications: int = 2000, seed: int = 2018, strategies=None) -> pd.DataFrame:
    """One row per strategy: simulated deaths per 100 (with its Monte Carlo SE) and per chain."""
    records = run(scenario, replications, seed, strategies=strategies).records
    rows = []
    for strategy, g in records.groupby("strategy", sort=False, observed=True):
        p = g.death.mean()
        rows.append({
            "Strategy": str(strategy),
            "Deaths per 100": 100 * p,
            "MCSE": 100 * (p * (1 - p) / len(g)) ** 0.5,
            **{label.split(" (")[0]: g[col].mean() for col, label in CHAINS.items()},
        })
    return pd.DataFrame(rows)
