"""The evidence register: provenance of every bundled number, the reference schema, labels, PSA widening, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import invoke
from scipy import stats

from simulation.evidence.labels import LABELS, WidenedBeta, labels, widening
from simulation.evidence.provenance import provenance_issues
from simulation.evidence.register import references_table, register
from simulation.scenario.distributions import Value
from simulation.scenario.errors import ScenarioError
from simulation.scenario.loader import load_references
from simulation.sweeps.spec import load_plan

Z975 = stats.norm.ppf(0.975)


def _edit(root: Path, relative: str, change) -> Path:
    path = root / relative
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --- every bundled number has a source that exists or an assumption ------------------------------
def test_every_bundled_number_has_a_known_source_or_an_assumption():
    issues = provenance_issues()
    assert issues == [], "\n".join(map(str, issues))


def _drop(mapping: dict, key: str) -> None:
    del mapping[key]


@pytest.mark.parametrize("relative, change, path, message", [
    ("parameters.yaml", lambda d: _drop(d["latent"]["duration"], "assumption"), "latent.duration", "give exactly one of 'source'"),
    ("parameters.yaml", lambda d: d["transfusion"]["unit_volume_ml"].update(assumption="   "),
     "transfusion.unit_volume_ml.assumption", "must be a sentence, not blank"),
    ("phases.yaml", lambda d: d["vessel_dissection"]["events"][0]["probability"].update(source="nobody2099"),
     "vessel_dissection.events[0].probability.source", "unknown reference id"),
    ("phases.yaml", lambda d: _drop(d["laminectomy"]["duration_min"], "assumption"), "laminectomy.duration_min",
     "give exactly one of 'source'"),
    ("patients/seed-case.yaml", lambda d: d.update(source="nobody2099"), "source", "unknown source key"),
    ("patients/adult-primary.yaml", lambda d: d["assumptions"].update(shoe_size_eu="Illustrative."), "assumptions.shoe_size_eu",
     "not a patient field"),
    ("strategies/single-stage-with-stop-rule.yaml", lambda d: d["stop_and_stage"].update(assumption=" "),
     "stop_and_stage.assumption", "must be a sentence, not blank"),
])
def test_the_check_names_the_file_and_path_of_a_number_without_provenance(scenario_copy, relative, change, path, message):
    file = _edit(scenario_copy, relative, change)
    issues = provenance_issues(scenario_copy)
    assert any(i.file == str(file) and i.path.endswith(path) and message in i.message for i in issues), \
        "\n".join(map(str, issues))


# --- the reference schema -------------------------------------------------------------------------
def test_an_unknown_confidence_flag_names_the_field_and_the_allowed_flags(scenario_copy):
    def change(d):
        d["kanazawa2021"]["confidence"] = "probably"
        d["boriani2010"]["access"] = "hearsay"
        del d["toci2023"]["taken"]
    file = _edit(scenario_copy, "references.yaml", change)
    with pytest.raises(ScenarioError) as info:
        load_references(scenario_copy)
    found = {i.path: i for i in info.value.issues}  # every bad entry, not just the first
    assert set(found) == {"kanazawa2021.confidence", "boriani2010.access", "toci2023.taken"}
    confidence = found["kanazawa2021.confidence"]
    assert confidence.file == str(file) and confidence.value == "probably"
    assert "'read', 'read-partial', 'inferred' or 'unverified'" in confidence.message
    assert "'abstract', 'full-text', 'web' or 'case-report'" in found["boriani2010.access"].message
    assert "toci2023.taken: Field required" in str(info.value)


def test_the_register_is_read_again_when_its_file_changes(scenario_copy):
    """It is kept per version of the file (the dashboard asks on every rerun): an edit shows at once, a
    fixed file loads after a broken one, and a caller changing its copy changes nothing kept."""
    first = load_references(scenario_copy)
    first.pop("gupta2018")
    assert "gupta2018" in load_references(scenario_copy)
    _edit(scenario_copy, "references.yaml", lambda d: d["gupta2018"].update(n=2))
    assert load_references(scenario_copy)["gupta2018"].n == 2
    _edit(scenario_copy, "references.yaml", lambda d: d["gupta2018"].update(confidence="probably"))
    with pytest.raises(ScenarioError):
        load_references(scenario_copy)
    _edit(scenario_copy, "references.yaml", lambda d: d["gupta2018"].update(confidence="read", n=3))
    assert load_references(scenario_copy)["gupta2018"].n == 3


def test_every_reference_fills_the_register_fields():
    refs = load_references()
    assert {r.confidence for r in refs.values()} <= {"read", "read-partial", "inferred", "unverified"}
    assert refs["kanazawa2021"].n == 307 and refs["kanazawa2021"].population == "adult"
    assert refs["lacroix2007"].design == "RCT" and refs["lacroix2007"].population == "paediatric"
    assert refs["luzzati2014"].confidence == "read-partial"  # blood loss cut off in the excerpt
    assert refs["iowa_ebv"].n is None and refs["iowa_ebv"].access == "web"


# --- labels ---------------------------------------------------------------------------------------
def _row(table, parameter):
    (row,) = table[table.Parameter == parameter].itertuples(index=False)
    return row


@pytest.mark.parametrize("parameter, as_child, as_adult", [
    # kanazawa2021: adult series read in an abstract
    ("complications.types.csf_leak.baseline", "abstract-only, adult-to-child", "abstract-only"),
    # alshameeri2021: adult meta-analysis, full text
    ("modifiers.revision.event_odds.durotomy", "adult-to-child", ""),
    # boriani2010: full text, risk ratio implied by two proportions
    ("complications.types.neurological.odds_ratios.revision_severity", "inferred, adult-to-child", "inferred"),
    # paeds_vte: a paediatric source is never adult-to-child
    ("complications.types.vte.baseline_child", "inferred, abstract-only", "inferred, abstract-only"),
    ("transfusion.unit_volume_ml", "assumption", "assumption"),
    ("transfusion.massive_transfusion_ml_per_kg", "", ""),  # nba_pbm: a guideline on the web, all ages
])
def test_labels_depend_on_the_source_and_on_the_patient(seed_scenario, adult_scenario, parameter, as_child, as_adult):
    assert seed_scenario.is_child and not adult_scenario.is_child
    assert _row(register(seed_scenario), parameter).Labels == as_child
    assert _row(register(adult_scenario), parameter).Labels == as_adult


def test_the_register_row_carries_the_reference(seed_scenario):
    row = _row(register(seed_scenario), "complications.types.csf_leak.baseline")
    assert (row.Source, row.N, row.Design, row.Confidence, row.Unit) == (
        "kanazawa2021", 307, "retrospective series", "read", "probability")
    w = seed_scenario.parameters.widening
    assert row.Widening == pytest.approx(w.abstract_only.value * w.adult_to_child.value)
    inferred = _row(register(seed_scenario), "complications.types.hardware_failure.odds_ratios.more_than_two_levels")
    assert (inferred.Confidence, inferred.Unit) == ("inferred", "odds ratio")


def test_references_table_counts_the_numbers_that_cite_each_reference(seed_scenario):
    table = references_table(seed_scenario).set_index("Reference")
    cited = register(seed_scenario).Source.value_counts()
    assert table.loc["kanazawa2021", "Parameters"] == cited["kanazawa2021"] >= 7
    assert table.loc["valentine2018", "Parameters"] == 0
    assert set(table.index) == set(seed_scenario.references)


def test_widening_multiplies_the_factors_of_the_labels(seed_scenario):
    w = seed_scenario.parameters.widening
    assert widening((), w) == 1
    assert widening(("inferred", "abstract-only", "adult-to-child"), w) == pytest.approx(
        w.inferred.value * w.abstract_only.value * w.adult_to_child.value)
    with pytest.raises(ValueError, match="unknown label"):
        widening(("rumour",), w)


# --- wider uncertainty in probabilistic sensitivity analysis --------------------------------------
PSA_TARGETS = [
    {"path": "icu.admission", "label": "icu"},  # 32/113, charest_morin2020: abstract-only (+ adult-to-child)
    {"path": "modifiers.revision.event_odds.durotomy", "label": "durotomy"},  # [1.84, 2.83], adult-to-child
    {"path": "complications.types.wound_infection.odds_ratios.revision_severity", "label": "ssi"},  # inferred, abstract-only (+ a-t-c)
    {"path": "complications.types.csf_leak.odds_ratios.cumulative_operative_hours", "label": "hour"},  # assumption, [0.97, 1.3]
]


def _psa(tmp_path, patient: str):
    spec = dict(name=f"widen-{patient}", patient=patient, strategies=["posterior-only"], design="psa", samples=8,
                parameters=PSA_TARGETS, replications=2, outcomes=["blood_loss_ml"], seed=1)
    path = tmp_path / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    plan = load_plan(path)
    return plan.scenario, {p.label: p.distribution for p in plan.parameters}


def test_psa_distribution_is_wider_by_exactly_the_product_of_the_factors(tmp_path):
    child, kids = _psa(tmp_path, "seed-case")
    adult, grown = _psa(tmp_path, "adult-primary")
    w = child.parameters.widening
    a, atc, inf, ass = w.abstract_only.value, w.adult_to_child.value, w.inferred.value, w.assumption.value

    def sigma(lo, hi):  # the ci95's own log-SD
        return (math.log(hi) - math.log(lo)) / (2 * Z975)

    for label, (lo, hi), f_child, f_adult in [
        ("durotomy", (1.84, 2.83), atc, 1.0),
        ("ssi", (1.39, 3.06), inf * a * atc, inf * a),
        ("hour", (0.97, 1.3), ass, ass),
    ]:
        assert kids[label].mu_sigma[1] == pytest.approx(f_child * sigma(lo, hi), rel=1e-9), label
        assert grown[label].mu_sigma[1] == pytest.approx(f_adult * sigma(lo, hi), rel=1e-9), label
        assert kids[label].median == grown[label].median  # the point value stays
    icu_child, icu_adult = kids["icu"], grown["icu"]
    assert isinstance(icu_child, WidenedBeta)
    assert icu_child.n_eff == pytest.approx(113 / (a * atc) ** 2) and icu_adult.n_eff == pytest.approx(113 / a**2)
    k_child = 32 / (a * atc) ** 2
    assert icu_child.shape == pytest.approx((k_child + 1, icu_child.n_eff - k_child + 1))
    # the mode stays at 32/113 and the SD grows by about the factor
    alpha, beta = icu_child.shape
    assert (alpha - 1) / (alpha + beta - 2) == pytest.approx(32 / 113)
    assert icu_child.frozen().std() / icu_adult.frozen().std() == pytest.approx(atc, rel=0.03)


def test_an_unwidened_beta_is_the_usual_events_beta():
    assert WidenedBeta(32, 113, 1.0).shape == (33, 82)


# --- command line ---------------------------------------------------------------------------------


def test_cli_evidence_lists_the_register(tmp_path):
    out = tmp_path / "register.csv"
    result = invoke("evidence", "--label", "adult-to-child", "--csv", str(out))
    assert result.exit_code == 0, result.output
    assert "complications.types.csf_leak.baseline" in result.stdout and "kanazawa2021" in result.stdout
    assert "transfusion.unit_volume_ml" not in result.stdout  # an assumption, not adult-to-child
    written = pd.read_csv(out)
    assert len(written) > 5 and written.Labels.str.contains("adult-to-child").all()


@pytest.mark.parametrize("option", ["--patient", "--scenario"])
def test_cli_evidence_for_an_adult_has_no_adult_to_child_numbers(option):
    result = invoke("evidence", option, "adult-primary", "--label", "adult-to-child")
    assert result.exit_code == 0
    assert "csf_leak" not in result.stdout
    assert "adult-primary (adult)" in result.stdout


def test_cli_evidence_references():
    result = invoke("evidence", "--references")
    assert result.exit_code == 0
    assert "kanazawa2021" in result.stdout and "retrospective series" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("--label", "rumour"), f"error: --label: 'rumour' is not a label; allowed: {', '.join(LABELS)}"),
    (("--patient", "nobody"), "error: nobody: not a file or a bundled patient; bundled: "
                        "adult-primary, obese-lumbar-sarcoma, renal-l5, seed-case, thoracic-chordoma-frail"),
])
def test_cli_evidence_bad_input_is_one_line_and_exit_2(args, message):
    result = invoke("evidence", *args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [message]


def test_labels_of_a_number_with_no_reference():
    number = Value(value=1.0, assumption="A guess.")
    assert labels(number, {}, child=True) == ("assumption",)
