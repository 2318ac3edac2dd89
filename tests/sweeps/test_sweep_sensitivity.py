"""Analyses on real sweeps: Sobol and Morris separate a driving parameter from an irrelevant one,
tornado swings and paired errors, the two-way preference map, the PSA variance split and
preference probabilities; the CLI writes CSV, PNG and SVG files."""

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import write_spec
from typer.testing import CliRunner

from simulation.cli.sweep import sweep_app
from simulation.sweeps import sensitivity
from simulation.sweeps.backends import ProcessPool
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store

runner = CliRunner()
DRIVER = {"path": "phases.vessel_dissection.duration", "range": [0.5, 3], "label": "driver"}
WEAK = {"path": "phases.en_bloc_removal.duration", "range": [0.9, 1.1], "label": "weak"}
IRRELEVANT = {"path": "icu.admission", "range": [0.1, 0.5], "label": "irrelevant"}  # cannot change operative time
ONE = ["single-stage-three-exposure"]
TWO = ["single-stage-three-exposure", "two-stage-posterior-then-anterior"]


PSA_DRIVER = {"path": "phases.vessel_dissection.duration",
              "distribution": {"dist": "lognormal", "median": 1, "p95": 4, "assumption": "test"}}
SWEEPS = {
    "sobol": dict(design="sobol", samples=32, strategies=ONE, replications=20, parameters=[DRIVER, WEAK, IRRELEVANT],
                  outcomes=["operative_time_min"], common_random_numbers=True),
    "morris": dict(design="morris", samples=6, strategies=ONE, replications=20, parameters=[DRIVER, WEAK, IRRELEVANT],
                   outcomes=["operative_time_min"], common_random_numbers=True),
    "tornado": dict(parameters=[{"path": "transfusion.trigger_hb", "range": [6, 8], "label": "trigger"}, DRIVER],
                    strategies=ONE, replications=40, common_random_numbers=True, keep_records=True),
    "two-way": dict(design="grid", strategies=TWO, replications=30, outcomes=["operative_time_min", "lowest_hb_g_dl", "complication_vte"],
                    parameters=[{"path": "patient.weight_kg", "values": [22, 40], "label": "weight"},
                                {"path": "phases.vessel_dissection.bleeding", "range": [0.5, 2], "levels": 3, "label": "bleeding"}]),
    "psa-flat": dict(design="psa", samples=40, strategies=TWO, replications=20, parameters=[{"path": "icu.admission"}],
                     outcomes=["operative_time_min"]),
    "psa-driven": dict(design="psa", samples=40, strategies=TWO, replications=20, parameters=[PSA_DRIVER],
                       outcomes=["operative_time_min"]),
}


@pytest.fixture(scope="session")
def swept(tmp_path_factory):
    """``swept(name)`` -> the database holding sweep ``name`` of ``SWEEPS``, run on first use."""
    folder = tmp_path_factory.mktemp("sensitivity")
    db = folder / "s.duckdb"
    done: set[str] = set()

    def get(name: str):
        if name not in done:
            with ProcessPool(2) as backend:
                run_sweep(load_plan(write_spec(folder, name=name, **SWEEPS[name])), Store(db), backend)
            done.add(name)
        return db

    return get


def test_sobol_total_index_large_for_a_driver_and_near_zero_for_an_irrelevant_parameter(swept):
    data = Store(swept("sobol")).load("sobol")
    si = sensitivity.sobol(data).set_index("parameter")
    assert len(data.points) == 32 * 5
    assert si.loc["driver", "ST"] > 0.8 and si.loc["driver", "S1"] > 0.6
    assert abs(si.loc["irrelevant", "ST"]) < 0.02 and abs(si.loc["irrelevant", "S1"]) < 0.02
    assert si.loc["driver", "ST"] > si.loc["weak", "ST"] > si.loc["irrelevant", "ST"]
    assert (si[["S1_conf", "ST_conf"]] >= 0).all().all()


def test_morris_ranks_the_driver_first_and_the_irrelevant_parameter_last(swept):
    data = Store(swept("morris")).load("morris")
    mm = sensitivity.morris(data).set_index("parameter")
    assert mm.loc["driver", "mu_star"] > mm.loc["weak", "mu_star"] > 0
    assert mm.loc["irrelevant", "mu_star"] == 0 and mm.loc["irrelevant", "sigma"] == 0
    assert mm.loc["driver", "mu"] > 0  # longer dissection, longer operation


def test_tornado_swings_and_paired_errors(swept):
    data = Store(swept("tornado")).load("tornado")
    records = Store(swept("tornado")).records("tornado")
    paired = sensitivity.tornado(data, records)
    independent = sensitivity.tornado(data)
    op = paired[paired.outcome == "operative_time_min"].set_index("parameter")
    assert op.index[0] == "driver"  # widest swing first
    assert op.loc["trigger", "swing"] == 0 and op.loc["trigger", "high_change_se"] == 0
    assert op.loc["driver", "high_mean"] > op.loc["driver", "base_mean"] > op.loc["driver", "low_mean"]
    units = paired[paired.outcome == "rbc_units"].set_index("parameter")
    assert units.loc["trigger", "high_mean"] > units.loc["trigger", "low_mean"]  # transfusing earlier gives more units
    ind = independent[independent.outcome == "operative_time_min"].set_index("parameter")
    assert (paired.se_method == "paired").all() and (independent.se_method == "independent").all()
    assert op.loc["driver", "high_change_se"] < ind.loc["driver", "high_change_se"]  # CRN pays off


def test_two_way_map_prefers_the_lower_mean_and_flags_undecided_cells(swept):
    data = Store(swept("two-way")).load("two-way")
    table = sensitivity.two_way(data)
    assert len(table) == 6 * 3
    means = data.results.pivot_table(index=["point", "outcome"], columns="strategy", values="mean")
    for r in table.itertuples():
        m = means.loc[(r.point, r.outcome)]
        best = m.idxmax() if r.outcome == "lowest_hb_g_dl" else m.idxmin()  # higher Hb is better
        assert r.preferred == best and r.margin == pytest.approx(abs(m.iloc[0] - m.iloc[1]), rel=1e-9)
        assert r.decided == (r.margin_ci_low > 0)
    assert set(table.weight) == {22, 40} and set(table.bleeding) == {0.5, 1.25, 2}


def test_psa_separates_parameter_variance_from_patient_variability(swept):
    """No effect: the variance of point means is Monte Carlo noise alone; a driver adds to it."""
    irrelevant, driven = Store(swept("psa-flat")).load("psa-flat"), Store(swept("psa-driven")).load("psa-driven")
    flat = sensitivity.psa_summary(irrelevant).set_index("strategy")
    for s in TWO:
        r = flat.loc[s]
        assert 0.4 < r.between_var / r.mc_var < 1.8  # chi-square(39)/39 range: between-draw spread is noise
        assert r.parameter_share < 0.05
        g = irrelevant.results[irrelevant.results.strategy == s]
        assert r.within_var == pytest.approx(np.mean(g.sd**2)) and r.mc_var == pytest.approx(np.mean(g.sd**2) / 20)
    drv = sensitivity.psa_summary(driven).set_index("strategy")
    assert (drv.between_var > 3 * drv.mc_var).all() and (drv.parameter_share > 0.1).all()
    pref = sensitivity.psa_preferred(driven)
    assert pref.groupby("outcome").p_preferred.sum().tolist() == pytest.approx([1.0])
    assert (pref.draws == 40).all()


@pytest.mark.parametrize(
    "sweep, flag, outcome, stems",
    [
        ("sobol", "--sobol", "operative_time_min", ["sobol.csv", "sobol-operative_time_min"]),
        ("morris", "--morris", "operative_time_min", ["morris.csv", "morris-operative_time_min"]),
        ("tornado", "--tornado", "rbc_units", ["tornado.csv", "tornado-rbc_units"]),
        ("two-way", "--two-way", "lowest_hb_g_dl", ["two_way.csv", "two-way-lowest_hb_g_dl"]),
        ("psa-driven", "--psa", "operative_time_min",
         ["psa_summary.csv", "psa_preferred.csv", "psa_means.csv", "psa-operative_time_min", "psa-preferred"]),
    ],
)
def test_cli_analyze_writes_tables_and_charts(swept, tmp_path, sweep, flag, outcome, stems):
    db = swept(sweep)
    out = tmp_path / "out"
    result = runner.invoke(sweep_app, ["analyze", sweep, flag, "--outcome", outcome, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    for stem in stems:
        if stem.endswith(".csv"):
            assert len(pd.read_csv(out / stem)) > 0
        else:
            assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert "<svg" in (out / f"{stem}.svg").read_text()[:500]


def test_cli_list_status_export_and_mismatched_analysis(swept, tmp_path):
    swept("morris")
    db = swept("two-way")
    listed = runner.invoke(sweep_app, ["list", "--db", str(db)])
    assert listed.exit_code == 0 and "two-way" in listed.output and "complete" in listed.output
    status = runner.invoke(sweep_app, ["status", "morris", "--db", str(db)])
    assert status.exit_code == 0 and "24/24 points done" in status.output
    wrong = runner.invoke(sweep_app, ["analyze", "morris", "--sobol", "--db", str(db)])
    assert wrong.exit_code == 2 and "Sobol indices needs a sobol sweep; 'morris' is morris" in wrong.output
    missing = runner.invoke(sweep_app, ["status", "nope", "--db", str(db)])
    assert missing.exit_code == 2 and "no sweep 'nope'" in missing.output
    exported = runner.invoke(sweep_app, ["export", "two-way", "--parquet", str(tmp_path / "pq"), "--db", str(db)])
    assert exported.exit_code == 0
    assert len(pd.read_parquet(tmp_path / "pq" / "results.parquet")) == 6 * 2 * 3
    none = runner.invoke(sweep_app, ["list", "--db", str(tmp_path / "absent.duckdb")])
    assert none.exit_code == 2 and "no sweep database" in none.output
