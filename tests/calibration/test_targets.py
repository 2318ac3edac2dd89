"""Target, parameter and settings files: bundled files load; bad files give one line per problem."""

import math

import numpy as np
import pytest
import yaml
from scipy.special import expit, logit

from simulation.calibration.observed import Spread, sampling_variance
from simulation.calibration.parameters import load_parameters, place, sweep_values
from simulation.calibration.pipeline import load_inputs
from simulation.calibration.settings import load_settings
from simulation.calibration.targets import load_target
from simulation.scenario import published
from simulation.scenario.errors import ScenarioError
from simulation.scenario.loader import load_scenario

SETTINGS = load_settings()


@pytest.fixture(scope="module")
def bundled():
    return load_inputs()


def test_bundled_targets_parameters_and_settings_load_together(bundled):
    names = [t.name for t in bundled.targets]
    assert names[0] == "seed-case" and "huang-2018" in names and "front-surg-2023" in names
    assert len(bundled.params) >= 10
    seed = bundled.targets[0].observations
    assert {o.statistic for o in seed} == {"case"} and all(o.weight == SETTINGS.case_weight.value for o in seed)
    huang = next(t for t in bundled.targets if t.name == "huang-2018")  # figures taken from the validation cohort
    assert [(o.outcome, round(math.exp(o.y))) for o in huang.observations] == [("operative_time_min", 282), ("blood_loss_ml", 2421)]
    assert all(o.estimated for o in huang.observations if o.output == "bleeding")


def test_a_median_with_iqr_converts_through_published(bundled):
    psm = next(t for t in bundled.targets if t.name == "tes-psm-2025")
    o = psm.observations[0]
    assert o.log_sd == pytest.approx(published.lognormal_from_iqr(330, 360, 390, 22).sigma) and o.converted
    var = sampling_variance(o, Spread(cv=9.0, log_sd=9.0), SETTINGS)  # the simulated spread is not used
    assert var == pytest.approx(math.pi / 2 * o.log_sd**2 / 22 + SETTINGS.conversion_sd.value**2)


def test_a_mean_with_sd_has_variance_cv_squared_over_n(bundled):
    o = next(t for t in bundled.targets if t.name == "front-surg-2023").observations[0]
    assert sampling_variance(o, Spread(cv=9.0, log_sd=9.0), SETTINGS) == pytest.approx((150 / 414) ** 2 / 70)
    mean_only = next(t for t in bundled.targets if t.name == "li-2010").observations[0]
    assert sampling_variance(mean_only, Spread(cv=0.4, log_sd=9.0), SETTINGS) == pytest.approx(0.4**2 / 21)


def _write(tmp_path, data, name="t.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


BASE = {"name": "x", "cohort": "huang-2018", "case_mix": {"levels": 1}, "definitions": {"blood_loss": "estimated"}}


@pytest.mark.parametrize("change, message", [
    ({"cohort": "nope"}, r"t\.yaml: cohort: unknown cohort; allowed: seed-case, .*\(got 'nope'\)"),
    ({"n": 4}, r"give cohort: or the cohort's fields inline, not both"),
    ({"figures": [{"outcome": "operative_time_min", "statistic": "median", "value": 300, "sd": 20, "source": "huang2018"}]},
     r"a median takes min or q1"),
    ({"figures": [{"outcome": "operative_time_min", "statistic": "mean", "value": 300, "q1": 200, "source": "huang2018"}]},
     r"give q1 and q3 together"),
    ({"figures": [{"outcome": "operative_time_min", "statistic": "proportion", "events": 3, "source": "huang2018"}]},
     r"a proportion needs a yes/no or complication column"),
    ({"figures": [{"outcome": "staging_gap_days", "statistic": "mean", "value": 3, "source": "huang2018"}]},
     r"figures\[0\]\.outcome: (no output type|unknown outcome)"),
    ({"figures": [{"outcome": "operative_time_min", "statistic": "median", "value": 300, "q1": 320, "q3": 400, "source": "huang2018"}]},
     r"figures\[0\]: .*q1"),
    ({"case_mix": {"histology": {"a": 0.7, "b": 0.6}}}, r"histology shares .* add up to 1\.3"),
    ({"definitions": {"blood_loss": "guessed"}}, r"definitions\.blood_loss"),
])
def test_bad_target_files_give_one_line_per_problem(tmp_path, change, message):
    with pytest.raises(ScenarioError, match=message) as err:
        load_target(_write(tmp_path, {**BASE, **change}), SETTINGS)
    assert all(len(str(i).splitlines()) == 1 for i in err.value.issues)


def test_an_inline_series_needs_its_cohort_fields(tmp_path):
    data = {k: v for k, v in BASE.items() if k != "cohort"}
    with pytest.raises(ScenarioError, match=r"without cohort:, give label, reference, n, patient, strategy, figures"):
        load_target(_write(tmp_path, data), SETTINGS)


def test_sweep_values_by_transform_by_hand():
    scenario = load_scenario("adult-primary", ["posterior-only"])
    params, file = load_parameters()
    placed, missing = place(params, scenario, file)
    assert any("vessel_dissection" in why for why in missing.values())  # anterior phase absent from a posterior-only plan
    z = np.zeros((1, len(params)))
    z[0, [p.name for p in params].index("time_posterior")] = math.log(1.5)
    z[0, [p.name for p in params].index("per_level_time")] = math.log(1.1)
    z[0, [p.name for p in params].index("complications_wound")] = 0.4
    values = sweep_values(params, placed, z)[0]
    by_path = {pl.target.path: v for pl, v in zip(placed, values)}
    assert by_path["phases.posterior_exposure.duration"] == pytest.approx(1.5)  # a distribution is scaled
    assert by_path["modifiers.per_extra_level.duration"] == pytest.approx(1.2 * 1.1)  # a modifier's value is multiplied
    assert by_path["complications.types.csf_leak.baseline"] == pytest.approx(expit(logit(45 / 307) + 0.4))
    assert by_path["phases.pedicle_screws.bleeding"] == pytest.approx(1.0)


@pytest.mark.parametrize("entry, message", [
    ({"paths": ["phases.laminectomy.duration"], "transform": "logit_shift"}, r"a logit_shift parameter needs a path of kind probability"),
    ({"paths": ["phases.no_such_phase.duration"]}, r"paths\[0\]: not found in any target's scenario: no phase with id 'no_such_phase'"),
    ({"paths": ["phases.laminectomy.duration", "phases.laminectomy.duration_min"]},
     r"moves the same number as parameters\[0\]\.paths\[0\]"),
    ({"prior": {"mean": 0, "sd": -1}}, r"prior\.sd"),
    ({"assumption": None}, r"give the prior a source"),
])
def test_bad_parameter_files_give_one_line_per_problem(tmp_path, entry, message):
    base = {"name": "t", "label": "T", "transform": "multiply", "paths": ["phases.laminectomy.duration"],
            "prior": {"mean": 0, "sd": 0.3}, "assumption": "test"}
    path = _write(tmp_path, {"parameters": [{**base, **entry}]}, "parameters.yaml")
    with pytest.raises(ScenarioError, match=message):
        load_inputs(parameters=path)
