"""The ``resectsim`` command line, in process (Typer's CliRunner) and as the installed console script.

The numbers a table or the JSON shows are checked against ``simulation.run`` + ``simulation.analysis``
on the same seed; every bad input ends with exit code 2, one ``error:`` line per problem and no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import invoke, script

import simulation
import simulation.runs.uncertainty
from simulation import MAIN_STRATEGIES as DEFAULT_STRATEGIES
from simulation import load_scenario, run
from simulation.present.formats import DISCLAIMER
from simulation.runs import analysis
from simulation.runs.analysis import Z
from simulation.runs.files import OutputPathError, write_table
from simulation.scenario.loader import BUNDLED, bundled


@pytest.fixture(scope="module")
def reference():
    """What the CLI should report for the seed case, computed through the package API."""
    scenario = load_scenario("seed-case", list(DEFAULT_STRATEGIES))
    drawn = simulation.uncertainty(scenario)  # the stored posterior if there is one, else fixed parameters
    results = run(scenario, 200, 7, uncertainty=drawn.uncertainty, note=drawn.note)
    summary = analysis.summarise(results.records)
    honest = simulation.honest_summary(results.records, results.uncertainty, list(dict.fromkeys(summary.outcome)))
    summary[["mcse", "honest_low", "honest_high"]] = honest[["mcse", "honest_low", "honest_high"]].to_numpy()
    summary["ci_low"], summary["ci_high"] = summary["mean"] - Z * summary.mcse, summary["mean"] + Z * summary.mcse
    return scenario, results, summary.set_index(["strategy", "outcome"])


def _default_run(scenario, replications, seed):
    """``simulation.run`` with the parameters the CLI draws by default."""
    drawn = simulation.uncertainty(scenario)
    return run(scenario, replications, seed, uncertainty=drawn.uncertainty, note=drawn.note)


# --- compare ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tables():
    """Standard output of `resectsim compare seed-case --reps 200 --seed 7` (the default strategies)."""
    result = invoke("compare", "seed-case", "--reps", 200, "--seed", 7)
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def test_compare_shows_every_strategy_and_the_real_numbers(reference, tables):
    scenario, results, summary = reference
    out = tables
    for s in scenario.strategies:
        assert s.label in out and s.name in out
    for heading in ("Outcomes per strategy", "Risks", "Paired differences", DISCLAIMER):
        assert heading in out
    lines = out.splitlines()
    first = scenario.strategies[0].name
    # Operative time in hours: the row of strategy A shows median, 5th-95th and mean of the run.
    op = summary.loc[(first, "operative_time_min")]
    row = next(line for line in lines if "Operative time (skin to skin) (h)" in line)
    assert row.split()[-7:-5] == ["A", f"{op['median'] / 60:.1f}"]
    assert f"{op.p5 / 60:.1f}–{op.p95 / 60:.1f}" in row and f"{op['mean'] / 60:.1f} ± {Z * op.mcse / 60:.1f}" in row
    assert row.rstrip().endswith(f"{op.honest_low / 60:.1f}–{op.honest_high / 60:.1f}")
    # Blood loss in mL with thousands separators, lowest Hb in g/dL.
    bl = summary.loc[(first, "blood_loss_ml")]
    assert f"{bl['median']:,.0f}" in next(line for line in lines if "Blood loss (mL)" in line)
    # Death risk of every strategy: percent and Monte Carlo standard error.
    death = next(line for line in lines if line.lstrip().startswith("Death (within"))
    for s in scenario.strategies:
        d = summary.loc[(s.name, "complication_death")]
        assert f"{100 * d['mean']:.1f}% ± {100 * d.mcse:.1f}" in death
        if not simulation.runs.uncertainty.parts_on(results.uncertainty):
            # the MCSE of a share of n = 200: s / sqrt(n) with the sample SD, i.e. sqrt(p(1-p)/(n-1))
            assert d.mcse == pytest.approx((d["mean"] * (1 - d["mean"]) / 199) ** 0.5, rel=1e-9) and d.mcse > 0


def test_compare_paired_differences_are_first_minus_each_other(reference, tables):
    scenario, results, _ = reference
    lines = tables.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Paired differences"))
    rows = [line for line in lines[start:] if "A − " in line]
    assert [r.split("A − ")[1][0] for r in rows[:3]] == ["B", "C", "D"]
    a, b = scenario.strategies[0].name, scenario.strategies[1].name
    d = analysis.paired_differences(results.records, a, b, ["los_days"]).iloc[0]
    h = simulation.honest_differences(results.records, a, b, results.uncertainty, ["los_days"]).iloc[0]
    los = next(line for line in lines[start:] if line.lstrip().startswith("Hospital stay (days)"))
    assert f"{d.mean_difference:+.1f} ± {Z * h.mcse:.1f}" in los and f"{h.honest_low:+.1f} to {h.honest_high:+.1f}" in los
    # P(better) with its Monte Carlo standard error, sqrt(p(1-p)/n) over the 200 paired replications.
    mcse = (d.p_a_better * (1 - d.p_a_better) / 200) ** 0.5
    assert d.mcse_p_a_better == pytest.approx(mcse, rel=1e-12) and mcse > 0.002
    assert los.rstrip().endswith(f"{100 * d.p_a_better:.1f}% ± {100 * mcse:.1f}")
    # Lowest haemoglobin: higher is better, so P(better) is the share with a higher value under A.
    xa, xb = analysis.paired(results.records, a, b, "lowest_hb_g_dl")
    hb = next(line for line in lines[start:] if line.lstrip().startswith("Lowest haemoglobin"))
    p = (xa > xb).mean()
    assert hb.rstrip().endswith(f"{100 * p:.1f}% ± {100 * (p * (1 - p) / 200) ** 0.5:.1f}")
    assert (xa > xb).mean() != pytest.approx((xa < xb).mean(), abs=0.01)  # the check can tell them apart


def test_compare_json_through_the_console_script(reference):
    scenario, results, summary = reference
    done = script("compare", "seed-case", "--reps", 200, "--seed", 7, "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    doc = json.loads(done.stdout)
    assert doc["provenance"] == {
        "resectsim_version": simulation.__version__, "scenario_digest": results.scenario_digest, "seed": 7,
        "replications": 200, "patient": "seed-case", "strategies": list(DEFAULT_STRATEGIES),
        "uncertainty": results.uncertainty_note,
        "uncertainty_parts": ["monte_carlo", "patient", *simulation.runs.uncertainty.parts_on(results.uncertainty)],
    }
    rows = {(r["strategy"], r["outcome"]): r for r in doc["summaries"]}
    assert set(rows) == set(summary.index)
    for key in [(DEFAULT_STRATEGIES[0], "operative_time_min"), (DEFAULT_STRATEGIES[3], "rbc_units"),
                (DEFAULT_STRATEGIES[1], "any_major_complication")]:
        for stat in ("mean", "mcse", "median", "p5", "p95", "ci_low", "ci_high", "honest_low", "honest_high"):
            assert rows[key][stat] == pytest.approx(summary.loc[key][stat], rel=1e-12, abs=1e-12)
    pairs = {(r["a"], r["b"]) for r in doc["paired_differences"]}
    assert pairs == {(DEFAULT_STRATEGIES[0], b) for b in DEFAULT_STRATEGIES[1:]}
    assert all(r["n"] == 200 for r in doc["paired_differences"])
    a, b = DEFAULT_STRATEGIES[:2]
    xa, xb = analysis.paired(results.records, a, b, "lowest_hb_g_dl")
    hb = next(r for r in doc["paired_differences"] if (r["b"], r["outcome"]) == (b, "lowest_hb_g_dl"))
    assert (hb["p_a_better"], hb["p_a_worse"]) == pytest.approx(((xa > xb).mean(), (xa < xb).mean()))


def test_compare_with_one_strategy_has_no_differences():
    result = invoke("compare", "adult-primary", "-s", "posterior-only", "--reps", 20, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["paired_differences"] == [] and doc["provenance"]["strategies"] == ["posterior-only"]
    assert "Paired differences" not in invoke("compare", "adult-primary", "-s", "posterior-only", "--reps", 20).stdout


# --- output files -------------------------------------------------------------------------------
def test_compare_out_writes_parquet_records(tmp_path):
    strategies = ["single-stage-three-exposure", "posterior-only"]
    out = tmp_path / "records.parquet"
    result = invoke("compare", "seed-case", *[a for s in strategies for a in ("-s", s)],
                    "--reps", 50, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert f"wrote 100 records to {out}" in result.stderr
    records = pd.read_parquet(out)
    assert len(records) == 100
    assert not records.duplicated(["strategy", "replication"]).any()
    assert sorted(records.strategy.unique()) == sorted(strategies)
    assert set(records.replication) == set(range(50))
    expected = _default_run(load_scenario("seed-case", strategies), 50, 3).records
    pd.testing.assert_frame_equal(records, expected, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == ["records.parquet"]  # no temporary files left


def test_run_writes_csv_records_and_parquet_stages(tmp_path):
    out, stages = tmp_path / "po.csv", tmp_path / "stages.parquet"
    result = invoke("run", "seed-case", "-s", "two-stage-posterior-then-anterior", "--reps", 30, "--seed", 5,
                    "--out", out, "--stages", stages)
    assert result.exit_code == 0, result.stderr
    records, stage_rows = pd.read_csv(out), pd.read_parquet(stages)
    assert len(records) == 30 and set(records.strategy) == {"two-stage-posterior-then-anterior"}
    assert not stage_rows.duplicated(["strategy", "replication", "stage"]).any()
    # Each replication has as many stage rows as anaesthetics it needed.
    per_rep = stage_rows.groupby("replication").size()
    assert (per_rep.reindex(records.replication).to_numpy() == records.anaesthetics.to_numpy()).all()
    expected = _default_run(load_scenario("seed-case", ["two-stage-posterior-then-anterior"]), 30, 5).records
    assert records.operative_time_min.to_numpy() == pytest.approx(expected.operative_time_min.to_numpy(), rel=1e-12)


@pytest.mark.parametrize("bad_args", [
    ["-s", "no-such-strategy"],    # fails while loading
    ["--reps", "0"],               # fails inside run()
    ["--out", "elsewhere/x.csv"],  # second output in a missing directory
])
def test_an_existing_output_file_survives_a_failed_run(tmp_path, bad_args):
    out = tmp_path / "records.parquet"
    out.write_bytes(b"results from last week")
    command = ["run", "seed-case", "-s", "posterior-only", "--out", out, "--reps", 10]
    if bad_args[0] == "--out":
        command += ["--stages", tmp_path / bad_args[1]]
    else:
        command += bad_args
    result = invoke(*command)
    assert result.exit_code == 2, result.stdout
    assert out.read_bytes() == b"results from last week"
    assert [p.name for p in tmp_path.iterdir()] == ["records.parquet"]


def test_write_table_failing_midway_leaves_the_old_file(tmp_path):
    class Unprintable:
        def __str__(self):
            raise RuntimeError("cannot format")

        __repr__ = __str__

    for name, bad in [("t.parquet", pd.DataFrame({"x": [1, "a", 2.5]})), ("t.csv", pd.DataFrame({"x": [Unprintable()]}))]:
        path = tmp_path / name
        path.write_text("old")
        with pytest.raises((ValueError, TypeError, RuntimeError)):  # pyarrow conversion, str() failure
            write_table(bad, path)
        assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet"]


def test_atomic_writes_replace_the_whole_file(tmp_path):
    path = tmp_path / "t.CSV"
    path.write_text("a much longer previous content\n" * 100)
    table = write_table(pd.DataFrame({"a": [1, 2]}), path)
    assert pd.read_csv(table).a.tolist() == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.CSV"]


@pytest.mark.parametrize("name, message", [
    ("x.xlsx", "x.xlsx: unsupported output format '.xlsx'; use one of .parquet, .csv"),
    ("records", "records: unsupported output format '(no extension)'; use one of .parquet, .csv"),
    ("missing/x.csv", "missing/x.csv: directory 'missing' does not exist"),
])
def test_write_table_rejects_bad_paths(tmp_path, monkeypatch, name, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError) as info:
        write_table(pd.DataFrame({"a": [1]}), name)
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


# --- check, list, version -----------------------------------------------------------------------
BUNDLED_FILES = [
    (BUNDLED / "parameters.yaml", "parameters"), (BUNDLED / "phases.yaml", "phase library"),
    (BUNDLED / "references.yaml", "references"),
    *[(p, "patient") for p in bundled("patients").values()],
    *[(p, "strategy") for p in bundled("strategies").values()],
    *[(p, "sweep") for p in sorted((BUNDLED / "sweeps").glob("*.yaml"))],
]


@pytest.mark.parametrize("path, kind", BUNDLED_FILES, ids=lambda x: x.name if isinstance(x, Path) else None)
def test_check_passes_every_bundled_file(path, kind):
    result = invoke("check", path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"ok: {path} ({kind})\n", "")


def test_check_reports_each_bad_file_and_keeps_going(tmp_path):
    good = bundled("patients")["seed-case"]
    bad = tmp_path / "heavy.yaml"
    bad.write_text(yaml.safe_dump({**yaml.safe_load(good.read_text()), "weight_kg": 500}))
    result = invoke("check", bad, good)
    assert result.exit_code == 2
    assert result.stdout == f"ok: {good} (patient)\n"
    assert result.stderr == f"error: {bad}: weight_kg: Input should be less than or equal to 300 (got 500)\n"


def test_list_shows_the_bundled_patients_and_strategies():
    result = invoke("list")
    assert result.exit_code == 0, result.stderr
    for name in [*bundled("patients"), *bundled("strategies")]:
        assert name in result.stdout
    assert "Single stage, three exposures" in result.stdout


def test_version():
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"resectsim {simulation.__version__}\n")


# --- bad input ----------------------------------------------------------------------------------
NOTE = "Changed for a CLI test."


def _patient_file(folder: Path, **changes) -> Path:
    path = folder / "patient.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(bundled("patients")["seed-case"].read_text()), **changes}))
    return path


def _strategy_file(folder: Path, phase_index: int, entry) -> Path:
    data = yaml.safe_load(bundled("strategies")["single-stage-three-exposure"].read_text())
    data["stages"][0]["exposures"][0]["phases"][phase_index] = entry
    path = folder / "strategy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _malformed(folder: Path) -> Path:
    path = folder / "broken.yaml"
    path.write_text("name: broken\nage_years: [9, 10\nsex: female\n")
    return path


PHASE = "stages[0].exposures[0].phases"
BAD_INPUT = {  # id -> (arguments given the tmp folder, fragments the one error line must contain)
    "malformed YAML": (lambda t: ["compare", _malformed(t)],
                       ["broken.yaml: line 3, column 4: malformed YAML"]),
    "unknown key": (lambda t: ["compare", _patient_file(t, colour="red")],
                    ["patient.yaml: colour: unknown field 'colour'; allowed here: age_years, asa_class"]),
    "wrong type": (lambda t: ["compare", _patient_file(t, age_years="nine")],
                   ["patient.yaml: age_years: must be a number, not text", "(got 'nine')"]),
    "weight 0": (lambda t: ["compare", _patient_file(t, weight_kg=0)],
                 ["patient.yaml: weight_kg: Input should be greater than or equal to 2 (got 0)"]),
    "weight 500": (lambda t: ["compare", _patient_file(t, weight_kg=500)],
                   ["patient.yaml: weight_kg: Input should be less than or equal to 300 (got 500)"]),
    "negative duration": (
        lambda t: ["compare", "seed-case", "-s", _strategy_file(t, 1, {
            "use": "posterior_exposure", "duration_min": {"dist": "lognormal", "median": -5, "p95": 38, "assumption": NOTE}})],
        [f"strategy.yaml: {PHASE}[1].duration_min.median: Input should be greater than 0 (got -5)"]),
    "probability above 1": (
        lambda t: ["compare", "seed-case", "-s", _strategy_file(t, 4, {
            "use": "laminectomy", "events": [{"event": "durotomy", "probability": {"p": 1.5, "assumption": NOTE}}]})],
        [f"strategy.yaml: {PHASE}[4].events[0].probability.p: Input should be less than or equal to 1 (got 1.5)"]),
    "unknown phase": (lambda t: ["compare", "seed-case", "-s", _strategy_file(t, 1, "posterior_exposur")],
                      [f"strategy.yaml: {PHASE}[1].use: unknown phase id; known: anterior_discectomy", "(got 'posterior_exposur')"]),
    "unknown strategy": (lambda t: ["compare", "seed-case", "-s", "posterior-only", "-s", "nostrat"],
                         ["nostrat: not a file or a bundled", "posterior-only-tranexamic-acid, single-stage-three-exposure"]),
    "unknown patient": (lambda t: ["run", "nobody", "-s", "posterior-only", "--out", t / "x.csv"],
                        ["nobody: not a file or a bundled patient; bundled: "
                        "adult-primary, obese-lumbar-sarcoma, renal-l5, seed-case, thoracic-chordoma-frail"]),
    "reps 0": (lambda t: ["compare", "seed-case", "--reps", "0"],
               ["replications must be at least 1 (got 0)"]),
    "reps negative": (lambda t: ["run", "seed-case", "-s", "posterior-only", "--reps", "-5", "--out", t / "x.csv"],
                      ["replications must be at least 1 (got -5)"]),
    "out extension": (lambda t: ["compare", "seed-case", "--out", t / "x.xlsx"],
                      ["x.xlsx: unsupported output format '.xlsx'; use one of .parquet, .csv"]),
    "out directory": (lambda t: ["compare", "seed-case", "--out", t / "nowhere" / "x.parquet"],
                      ["x.parquet: directory", "nowhere' does not exist"]),
    "same output twice": (lambda t: ["run", "seed-case", "-s", "posterior-only", "--out", t / "x.csv", "--stages", t / "x.csv"],
                          ["x.csv: the same file is given for two outputs"]),
    "missing file": (lambda t: ["check", t / "absent.yaml"], ["absent.yaml: file not found"]),
}
@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_gives_one_clear_line_and_exit_2(tmp_path, case):
    make_args, fragments = BAD_INPUT[case]
    result = invoke(*make_args(tmp_path))
    assert result.exit_code == 2, (result.stdout, result.exception)
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an escaped exception
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("case", ["malformed YAML", "unknown strategy", "reps 0"])
def test_bad_input_through_the_console_script(tmp_path, case):
    make_args, fragments = BAD_INPUT[case]
    done = script(*make_args(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and all(f in line for f in fragments)
