"""Summaries on small hand-made tables, where every expected number is worked out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from simulation.runs.analysis import Z, exceedance, paired_differences, summarise
from simulation.scenario.records import label


@pytest.fixture
def records():
    """Strategies a and b, replications 0-4 (a also has an unpaired replication 5), rows shuffled."""
    rows = pd.DataFrame(
        {
            "strategy": ["a"] * 6 + ["b"] * 5,
            "replication": [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4],
            "operative_time_min": [1.0, 2, 3, 4, 10, 7, 2, 2, 5, 1, 20],
            "complication_csf_leak": [0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 2],
            "any_complication": [False, True, True, False, False, False, False, False, False, False, True],
        }
    )
    return rows.sample(frac=1.0, random_state=3).reset_index(drop=True)


def test_summarise_mean_median_percentiles_and_mcse(records):
    out = summarise(records[records.replication < 5], ["operative_time_min"]).set_index("strategy")
    a = out.loc["a"]
    # a: 1, 2, 3, 4, 10 -> mean 4, sample variance 50 / 4 = 12.5
    assert a.n == 5
    assert a["mean"] == pytest.approx(4.0)
    assert a.mcse == pytest.approx(math.sqrt(12.5 / 5))
    assert a.ci_low == pytest.approx(4.0 - Z * math.sqrt(12.5 / 5))
    assert a.ci_high == pytest.approx(4.0 + Z * math.sqrt(12.5 / 5))
    assert a["median"] == pytest.approx(3.0)
    assert a.p5 == pytest.approx(1.2)  # linear interpolation: 1 + 0.2 * (2 - 1)
    assert a.p95 == pytest.approx(8.8)  # 4 + 0.8 * (10 - 4)
    b = out.loc["b"]  # 2, 2, 5, 1, 20
    assert b["mean"] == pytest.approx(6.0) and b["median"] == pytest.approx(2.0)
    assert a.label == "Operative time (skin to skin) (min)"


def test_summarise_counts_any_severity_of_a_complication(records):
    out = summarise(records[records.replication < 5], ["complication_csf_leak", "any_complication"])
    out = out.set_index(["strategy", "outcome"])
    assert out.loc[("a", "complication_csf_leak"), "mean"] == pytest.approx(0.4)  # minor and major both count
    assert out.loc[("b", "complication_csf_leak"), "mean"] == pytest.approx(0.2)
    assert out.loc[("a", "any_complication"), "mean"] == pytest.approx(0.4)
    assert out.loc[("a", "any_complication"), "mcse"] == pytest.approx(math.sqrt(0.3 / 5))  # sd of 0,1,1,0,0


def test_exceedance_probability_and_mcse(records):
    out = exceedance(records[records.replication < 5], "operative_time_min", 2.0).set_index("strategy")
    # strictly greater than 2: a -> 3, 4, 10 (3 of 5); b -> 5, 20 (2 of 5)
    assert out.loc["a", "p"] == pytest.approx(0.6)
    assert out.loc["a", "mcse"] == pytest.approx(math.sqrt(0.6 * 0.4 / 5))
    assert out.loc["b", "p"] == pytest.approx(0.4)
    assert out.loc["b", "mcse"] == pytest.approx(math.sqrt(0.4 * 0.6 / 5))
    assert (out.n == 5).all()


def test_paired_differences_pair_by_replication(records):
    out = paired_differences(records, "a", "b", ["operative_time_min", "any_complication"]).set_index("outcome")
    op = out.loc["operative_time_min"]
    # pairs by replication 0-4 (a's replication 5 has no partner): d = -1, 0, -2, 3, -10
    d = np.array([-1.0, 0, -2, 3, -10])
    assert op.n == 5
    assert op.mean_difference == pytest.approx(-2.0)
    se = d.std(ddof=1) / math.sqrt(5)
    assert op.ci_low == pytest.approx(-2.0 - Z * se) and op.ci_high == pytest.approx(-2.0 + Z * se)
    assert op.p_a_better == pytest.approx(0.6)  # a lower in replications 0, 2, 4
    assert op.p_a_worse == pytest.approx(0.2)
    assert op.p_tie == pytest.approx(0.2)
    assert op.mcse_p_a_better == pytest.approx(math.sqrt(0.6 * 0.4 / 5))
    assert op.mcse_p_a_worse == pytest.approx(math.sqrt(0.2 * 0.8 / 5))
    assert op.mcse_p_tie == pytest.approx(math.sqrt(0.2 * 0.8 / 5))
    cx = out.loc["any_complication"]  # a: 0,1,1,0,0 ; b: 0,0,0,0,1
    assert cx.mean_difference == pytest.approx(0.2)
    assert cx.p_a_better == pytest.approx(0.2) and cx.p_a_worse == pytest.approx(0.4)


def test_paired_differences_names_missing_strategies(records):
    with pytest.raises(KeyError, match="'a' and 'c'"):
        paired_differences(records, "a", "c", ["operative_time_min"])


@pytest.mark.parametrize(
    "column, text",
    [
        ("blood_loss_ml", "Blood loss (mL)"),
        ("any_complication", "Any early complication (in hospital or within 30 days; death apart)"),
        ("anaesthetics", "Anaesthetics (stages performed)"),
        ("event_vascular_injury", "Intra-operative events: vascular injury"),
        ("complication_csf_leak", "Complication: csf leak"),
    ],
)
def test_labels(column, text):
    assert label(column) == text


def test_paired_differences_count_a_higher_lowest_hb_as_better():
    """Every other outcome is better when lower; the lowest haemoglobin is better when higher."""
    rec = pd.DataFrame(
        {
            "strategy": ["a"] * 4 + ["b"] * 4,
            "replication": [0, 1, 2, 3] * 2,
            "lowest_hb_g_dl": [8.0, 8.0, 8.0, 6.5, 7.0, 7.0, 7.0, 7.0],
        }
    )
    out = paired_differences(rec, "a", "b", ["lowest_hb_g_dl"]).iloc[0]
    assert out.mean_difference == pytest.approx(0.625)
    assert out.p_a_better == pytest.approx(0.75)  # a keeps a higher haemoglobin in 3 of 4 patients


def test_paired_differences_count_any_severity_of_a_complication(records):
    """Replications 0-4: a has (0, 1, 2, 0, 0) and b (0, 0, 0, 0, 2) as severity codes; as
    "any complication" that is (0, 1, 1, 0, 0) against (0, 0, 0, 0, 1): mean a - b = 1/5."""
    out = paired_differences(records, "a", "b", ["complication_csf_leak"]).iloc[0]
    assert out.n == 5
    assert out.mean_difference == pytest.approx(0.2)
    assert out.p_a_better == pytest.approx(0.2) and out.p_a_worse == pytest.approx(0.4)
