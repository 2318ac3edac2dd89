"""The stored posterior (and a centre's profile) as the model's per-replication ``Uncertainty``.

``effects`` maps each calibrated parameter's sweep paths, once per scenario, to what it moves
(``model.uncertainty.Effect``): a phase's duration or bleeding rate (by phase id, wherever the plan
uses it), a modifier family's duration or bleeding multiplier (so k^times on the phases that scale
with it), a complication type's log-odds (when the path names the baseline this patient's risk starts
from: a child's own baseline is not moved by a shift of the adult one), or one event of a phase.
Each is what rebuilding the scenario at the row's values would do (``tests/calibration/test_integration.py``). ``for_run`` chooses the mode:
the stored posterior with a new centre "like those published" (default), a calibrated centre's
effect (``centre``), or fixed parameters (``fixed``, or when no posterior is stored: said in the note).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.plan import modifier_exposures
from ..model.uncertainty import CENTRE_AXES, Effect, Uncertainty, fixed
from ..scenario.errors import Issue, ScenarioError
from ..scenario.kept import per_version
from ..scenario.schema import Scenario
from .centre import CentreProfile
from .parameters import ParameterSpec, Prior, place
from .posterior import default_path, posterior_draws, provenance
from .settings import load_settings

PATIENTS_PER_CENTRE = 10  # nested design of a run with uncertainty: patients per centre ...
CENTRES_PER_DRAW = 2  # ... and centres per parameter draw (variance split, runs.uncertainty)
ACTS_ON = "a phase's duration or bleeding, a modifier's duration or bleeding, a complication baseline or a phase event's probability"


def _phase_effect(tree: dict, loc: tuple, parameter: int) -> Effect | None:
    """The effect of a location inside a phase (``...phases[m].<field>``), or None if it is not in one."""
    where = max((i for i, k in enumerate(loc) if k in ("phases", "restage_phases")), default=None)
    if where is None or where + 2 > len(loc):
        return None
    node = tree
    for k in loc[: where + 2]:
        node = node[k]
    rest = loc[where + 2 :]
    if rest == ("duration_min",):
        return Effect(parameter, "phase_duration", node["id"])
    if rest == ("bleeding_ml_per_min",):
        return Effect(parameter, "phase_bleeding", node["id"])
    if len(rest) == 3 and rest[0] == "events" and rest[2] == "probability":
        return Effect(parameter, "event", node["id"], int(rest[1]))
    return None


def _modifier_effect(scenario: Scenario, loc: tuple, parameter: int) -> Effect | None | bool:
    """The effect of ``parameters.modifiers.<name>[.<severity>].duration|bleeding``; False when it names a
    modifier this patient does not have (nothing to move); None if the location is not a modifier's."""
    if loc[:2] != ("parameters", "modifiers") or loc[-1] not in ("duration", "bleeding"):
        return None
    node = scenario.parameters.modifiers
    for k in loc[2:-1]:
        node = node[k] if isinstance(node, dict) else getattr(node, k)
    family = next((f for f, (mod, _) in modifier_exposures(scenario).items() if mod is node), None)
    return Effect(parameter, f"modifier_{loc[-1]}", family) if family else False


def _uses(scenario: Scenario, key: str, field: str) -> bool:
    """Whether the patient's risk of complication ``key`` starts from ``field`` (a child's own baseline, if
    the type has one, replaces the adult one), as ``model.outcomes.reference_logit`` reads it."""
    child = scenario.is_child and scenario.parameters.complications.types[key].baseline_child is not None
    return field == ("baseline_child" if child else "baseline")


def effects(params: tuple[ParameterSpec, ...], scenario: Scenario, file: str) -> tuple[Effect, ...]:
    """What each parameter moves in ``scenario``; a path that cannot act per replication is an error."""
    tree = scenario.model_dump(mode="json", by_alias=True)
    placed, _ = place(params, scenario, file)
    found: list[Effect] = []
    issues = []
    for pl in placed:
        for loc in pl.target.locations:
            if loc[:3] == ("parameters", "complications", "types") and loc[-1] in ("baseline", "baseline_child"):
                effect = Effect(pl.parameter, "complication", loc[3]) if _uses(scenario, loc[3], loc[-1]) else False
            else:
                effect = _phase_effect(tree, loc, pl.parameter) or _modifier_effect(scenario, loc, pl.parameter)
            if effect is None:
                issues.append(Issue(file, params[pl.parameter].name, f"cannot act per replication; allowed: {ACTS_ON}", pl.target.path))
            elif effect and effect not in found:
                found.append(effect)
    if issues:
        raise ScenarioError(issues)
    return tuple(found)


def specs_from(info: dict) -> tuple[ParameterSpec, ...]:
    """The parameters a posterior was fitted with, from its provenance."""
    return tuple(
        ParameterSpec(name=p["name"], label=p["label"], transform=p["transform"], paths=tuple(p["paths"]),
                      prior=Prior(mean=p["prior_mean"], sd=p["prior_sd"]), assumption="as stored with the posterior")
        for p in info["parameters"]
    )


def centre_covariances(frame: pd.DataFrame) -> np.ndarray:
    """[draws, 3, 3] covariance of the centre effect per posterior row (an axis without a column: 0)."""
    sd = np.column_stack([frame.get(f"centre_sd_{a}", pd.Series(0.0, index=frame.index)).to_numpy(float) for a in CENTRE_AXES])
    corr = np.repeat(np.eye(3)[None], len(frame), axis=0)
    for i, a in enumerate(CENTRE_AXES):
        for j in range(i + 1, 3):
            name = f"centre_corr_{a}_{CENTRE_AXES[j]}"
            if name in frame:
                corr[:, i, j] = corr[:, j, i] = frame[name].to_numpy(float)
    return corr * sd[:, :, None] * sd[:, None, :]


@dataclass(frozen=True)
class RunUncertainty:
    """What a run draws, and the sentence its provenance line carries."""

    uncertainty: Uncertainty
    note: str


def discrepancies(frame: pd.DataFrame) -> np.ndarray | None:
    """[draws, 3] the posterior's model-discrepancy terms on log time, log blood loss and the complication logit
    (None when the file has none). The units and stay terms act on outputs, not inputs: not applied."""
    names = [f"discrepancy_{a}" for a in CENTRE_AXES]
    if not any(n in frame for n in names):
        return None
    return np.column_stack([frame[n].to_numpy(float) if n in frame else np.zeros(len(frame)) for n in names])


@dataclass(frozen=True)
class _Posterior:
    """One posterior file as the run needs it, whatever the scenario: read once per file version."""

    params: tuple[ParameterSpec, ...]
    z: np.ndarray  # [draws, parameters] on the sampling scale (log for multipliers)
    centre_cov: np.ndarray  # [draws, 3, 3]
    shift: np.ndarray | None  # [draws, 3] model discrepancy, or None
    name: str


@per_version
def _posterior(path: Path) -> _Posterior:
    """``path`` read and converted, once per version of the file (a rewritten file is read again)."""
    info, frame = provenance(path), posterior_draws(path)
    params = specs_from(info)
    z = np.column_stack([np.log(frame[p.name]) if p.transform == "multiply" else frame[p.name] for p in params])
    shift = discrepancies(frame)
    for array in (z, centre_cov := centre_covariances(frame), shift):
        if array is not None:
            array.setflags(write=False)  # shared by every run of this file
    name = f"{path.name} ({len(frame):,} posterior draws, targets {str(info.get('targets_hash', ''))[:8]})"
    return _Posterior(params, z, centre_cov, shift, name)


def _posterior_used(posterior: str | Path | None, calibrated: bool) -> bool:
    """Whether a run without ``--fixed-parameters`` draws from a posterior: one named, or the stored one when
    asked (``calibrated``) or when settings.yaml makes it the default."""
    return posterior is not None or calibrated or load_settings().predictions.use_stored_posterior


def for_run(scenario: Scenario, posterior: str | Path | None = None, centre: CentreProfile | None = None,
            fixed_parameters: bool = False, discrepancy: bool = True, calibrated: bool = False) -> RunUncertainty:
    """The run's uncertainty: the posterior (``posterior``, or the stored one when ``calibrated`` or when
    settings.yaml makes it the default) with a new centre per group of patients, or ``centre``'s
    calibrated effect; fixed parameters when asked or when none is used.
    ``discrepancy``: add each row's model-discrepancy terms (Kennedy & O'Hagan 2001: reality = simulator
    + discrepancy), so the run predicts what the published series report."""
    path = Path(posterior) if posterior else default_path()
    if fixed_parameters:
        return RunUncertainty(fixed(), "fixed (patient variability only)")
    if centre is None and not _posterior_used(posterior, calibrated):
        return RunUncertainty(fixed(), "as written, not calibrated (patient variability only)")
    if not path.is_file():
        missing = f"fixed, no stored posterior ({path.name}; run make calibrate)"
        if centre is None:
            return RunUncertainty(fixed(), missing)
        label = f"{missing}; centre {centre.centre} ({centre.digest()})"  # the centre's effect on the fixed model
        cov = np.diag(np.square(centre.sds()))[None]
        unc = Uncertainty(np.zeros((1, 0)), (), cov, centre.means(), PATIENTS_PER_CENTRE, CENTRES_PER_DRAW, label)
        return RunUncertainty(unc, label)
    post = _posterior(path)
    if centre is None:
        cov, mean, where = post.centre_cov, np.zeros(3), "a centre like those published"
    else:
        cov = np.repeat(np.diag(np.square(centre.sds()))[None], len(post.z), axis=0)
        mean, where = centre.means(), f"centre {centre.centre} ({centre.digest()})"
    shift = post.shift if discrepancy else None
    label = f"{post.name}; {where}" + ("; with model discrepancy" if shift is not None else "")
    unc = Uncertainty(post.z, effects(post.params, scenario, str(path)), cov, mean, PATIENTS_PER_CENTRE, CENTRES_PER_DRAW,
                      label, shift)
    return RunUncertainty(unc, unc.label)


@dataclass(frozen=True)
class ValidationModel:
    """The model ``resectsim validate`` and the Validation page run: ``uncertainty(scenario)`` for each
    cohort group (None: fixed parameters), the series the posterior was fitted to, and what was drawn."""

    uncertainty: Callable[[Scenario], Uncertainty] | None
    calibrated: frozenset[str]
    note: str


def validation_model(posterior: str | Path | None = None, fixed_parameters: bool = False,
                     calibrated: bool = False) -> ValidationModel:
    """The calibrated model (``posterior``, or the stored one when ``calibrated`` or by default per
    settings.yaml; a new centre per simulated series), else fixed parameters. Raises OSError/ValueError
    for an unreadable file."""
    path = Path(posterior) if posterior else default_path()
    if fixed_parameters or not _posterior_used(posterior, calibrated):
        return ValidationModel(None, frozenset(), "fixed parameters, as written")
    if not path.is_file():
        return ValidationModel(None, frozenset(), f"fixed parameters, as written (no stored posterior {path.name}; run make calibrate)")
    targets = frozenset(provenance(path).get("targets", ()))
    note = f"calibrated ({path.name}, {len(targets)} target series; a new centre per simulated series)"
    return ValidationModel(lambda scenario: for_run(scenario, path).uncertainty, targets, note)
