"""Local calibration: a centre's case log -> its effects on log time, log bleeding and the complication logit.

``read_caselog`` reads the documented CSV (``COLUMNS``; ``template`` writes an empty one): one row per
operation; a bad file raises ``ScenarioError`` with one line per problem (missing or unknown column,
wrong type, impossible value, empty, too large), and nothing is fitted.

``predict`` runs the model for each case type in the log (levels, revision, age, sex, weight and the
plan its approach and stages imply) with the published posterior's parameters and no centre effect,
and gives per type the mean and the patient and parameter SDs of log operative time, log blood loss
(true and as estimated) and the logit of a major complication. ``fit_centre`` compares each operation
with its case's prediction (case-mix adjustment) and updates only the centre's effects, shrunk toward
the published centres: for each axis, v = u + delta (the centre's effect plus the common parameter
error) has the prior N(0, tau^2 + sd_param^2) with tau the posterior's between-centre SD; the data
give v's posterior (conjugate normal for time and bleeding, Laplace for the binary complication
outcome), and u | data = k v with k = tau^2 / (tau^2 + sd_param^2), plus the part of u that the data
cannot tell from delta. The result is a small ``CentreProfile`` of aggregates (no patient rows).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy import optimize, special

from ..model.uncertainty import CENTRE_AXES, Uncertainty
from ..runs.runner import run
from ..runs.uncertainty import parts
from ..scenario.distributions import FROZEN
from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.loader import BUNDLED, bundled, load_references, load_scenario, patient_from, read_yaml
from ..scenario.patient import MAX_LEVELS, parse_levels
from .centre import AxisEffect, CentreProfile
from .settings import FOLDER, Stated, load_settings
from .uncertainty import for_run

MAX_BYTES = 5_000_000
MAX_ROWS = 20_000
MAX_PROBLEMS = 50  # lines listed before "... and N more"
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")
MAJOR_GRADE = 3  # Clavien-Dindo III or worse: a major complication (as the model's any_major_complication)
REGIONS = ("cervical", "thoracic", "lumbar", "sacral")
APPROACHES = ("posterior", "combined")
HISTOLOGY = ("primary_malignant", "benign_aggressive", "metastasis", "other")
MEASURED = ("estimated", "measured")


@dataclass(frozen=True)
class Column:
    """A case-log column: its kind, what is allowed, whether it may be blank, and what it means."""

    kind: str  # "number", "integer", "yes/no", "choice", "levels", "date"
    description: str
    low: float = -math.inf
    high: float = math.inf
    choices: tuple[str, ...] = ()
    blank: bool = False


COLUMNS: dict[str, Column] = {
    "date": Column("date", "Date of the (first) operation, YYYY-MM-DD; used for the temporal check", blank=True),
    "age_years": Column("number", "Age at operation, years", 1, 110),
    "sex": Column("choice", "female or male", choices=("female", "male")),
    "weight_kg": Column("number", "Body weight, kg", 2, 300),
    "levels": Column("levels", "Vertebral levels resected, e.g. L3 or T12-L2", 1, MAX_LEVELS),
    "region": Column("choice", "Region of the resection", choices=REGIONS),
    "approach": Column("choice", "posterior (posterior only) or combined (posterior and anterior)", choices=APPROACHES),
    "stages": Column("integer", "Number of operations (anaesthetics) the resection took", 1, 3),
    "revision": Column("yes/no", "Previous surgery at the site"),
    "histology": Column("choice", "Tumour type", choices=HISTOLOGY),
    "embolisation": Column("yes/no", "Pre-operative embolisation"),
    "txa": Column("yes/no", "Tranexamic acid given"),
    "cell_salvage": Column("yes/no", "Cell salvage used"),
    "operative_time_min": Column("number", "Skin-to-skin time, minutes, all stages together", 30, 3000, blank=True),
    "blood_loss_ml": Column("number", "Intra-operative blood loss, mL, all stages together", 0, 60_000, blank=True),
    "blood_loss_measured": Column("choice", "How blood loss was obtained: estimated (by the team) or measured "
                                  "(weighed swabs, suction volumes)", choices=MEASURED, blank=True),
    "rbc_units": Column("integer", "Red-cell units given peri-operatively", 0, 200, blank=True),
    "complication_grade": Column("integer", "Worst complication, Clavien-Dindo grade 0 (none) to 5 (death)", 0, 5, blank=True),
    "complication_time_frame_days": Column("integer", "Days after the operation over which complications were recorded",
                                           1, 365, blank=True),
    "los_days": Column("number", "Hospital stay, days", 0, 365, blank=True),
}
STRATEGY = {("posterior", 1): "posterior-only", ("combined", 1): "single-stage-three-exposure",
            ("combined", 2): "two-stage-posterior-then-anterior", ("combined", 3): "three-stage-posterior-anterior-posterior"}
TYPE_KEYS = ["levels", "revision", "strategy"]
NO_MODEL_INPUT = ("histology", "embolisation", "txa", "cell_salvage")


class CentreSettings(BaseModel):
    """``scenarios/calibration/centre.yaml``: minimum counts per axis and the prediction runs' size."""

    model_config = FROZEN

    minimum_cases: dict[str, Stated]
    prediction: dict[str, int] = Field(description="replications and seed of the per-case-type runs")


def load_centre_settings(root: Path = BUNDLED) -> CentreSettings:
    path = root / FOLDER / "centre.yaml"
    return validate(CentreSettings, read_yaml(path), str(path))


def template() -> str:
    """The case-log template: a header row and one example row, then the column descriptions as comments."""
    example = {"date": "2024-03-01", "age_years": "52", "sex": "male", "weight_kg": "78", "levels": "L3",
               "region": "lumbar", "approach": "combined", "stages": "1", "revision": "no", "histology": "primary_malignant",
               "embolisation": "yes", "txa": "yes", "cell_salvage": "yes", "operative_time_min": "610",
               "blood_loss_ml": "2400", "blood_loss_measured": "estimated", "rbc_units": "6", "complication_grade": "2",
               "complication_time_frame_days": "30", "los_days": "14"}
    lines = [",".join(COLUMNS), ",".join(example[c] for c in COLUMNS)]
    for name, c in COLUMNS.items():
        allowed = ", ".join(c.choices) if c.choices else ("yes or no" if c.kind == "yes/no" else
                                                          f"{c.low:g} to {c.high:g}" if math.isfinite(c.low) else c.kind)
        lines.append(f"# {name}: {c.description} ({allowed}{'; may be blank' if c.blank else ''})")
    return "\n".join(lines) + "\n"


def _cell(name: str, c: Column, text: str):
    """The parsed value of one cell, or raise ValueError with what is allowed."""
    if text == "":
        if c.blank:
            return None
        raise ValueError("must not be blank")
    if c.kind in ("number", "integer"):
        try:
            x = float(text)
        except ValueError:
            raise ValueError(f"must be a {'whole ' if c.kind == 'integer' else ''}number") from None
        if not math.isfinite(x) or (c.kind == "integer" and x != int(x)):
            raise ValueError(f"must be a finite {'whole ' if c.kind == 'integer' else ''}number")
        if not c.low <= x <= c.high:
            raise ValueError(f"must be between {c.low:g} and {c.high:g}")
        return int(x) if c.kind == "integer" else x
    if c.kind == "yes/no":
        if text.lower() in YES + NO:
            return text.lower() in YES
        raise ValueError("must be yes or no")
    if c.kind == "choice":
        if text.lower() in c.choices:
            return text.lower()
        raise ValueError(f"must be one of {', '.join(c.choices)}")
    if c.kind == "levels":
        n = len(parse_levels(text))  # raises ValueError naming what is allowed
        if n > c.high:
            raise ValueError(f"{n} levels; the model knows at most {c.high:g}")
        return text.upper().replace(" ", "")
    if c.kind == "date":
        try:
            return pd.Timestamp(text).date().isoformat()
        except ValueError:
            raise ValueError("must be a date, YYYY-MM-DD") from None
    raise AssertionError(f"unknown column kind {c.kind}")


def read_caselog(source: str | Path, text: str | None = None) -> pd.DataFrame:
    """The parsed case log (one row per operation, ``COLUMNS`` plus ``strategy``), or ``ScenarioError``
    with one line per problem. ``text`` is the file's content when it was uploaded rather than read."""
    label = str(source)
    if text is None:
        path = Path(source)
        if not path.is_file():
            raise ScenarioError([Issue(label, "", "no such file")])
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError([Issue(label, "", f"file is larger than {MAX_BYTES // 1_000_000} MB")])
        raw = path.read_bytes()
    else:
        raw = text.encode("utf-8", errors="replace")
        if len(raw) > MAX_BYTES:
            raise ScenarioError([Issue(label, "", f"file is larger than {MAX_BYTES // 1_000_000} MB")])
    try:
        body = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError([Issue(label, "", f"not UTF-8 text (byte {err.start})")]) from None
    try:
        frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False, comment="#", skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        first = str(err).splitlines()[0] if str(err) else "no header row"
        raise ScenarioError([Issue(label, "", f"not a readable CSV case log: {first}")]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    issues = [Issue(label, c, f"missing column ({COLUMNS[c].description})") for c in COLUMNS if c not in frame]
    issues += [Issue(label, c, f"unknown column; allowed: {', '.join(COLUMNS)}") for c in frame if c not in COLUMNS]
    if issues:
        raise ScenarioError(issues)
    if frame.empty:
        raise ScenarioError([Issue(label, "", "no operations: the file has a header but no rows")])
    if len(frame) > MAX_ROWS:
        raise ScenarioError([Issue(label, "", f"{len(frame):,} rows; at most {MAX_ROWS:,} operations per log")])
    parsed: dict[str, list] = {c: [] for c in COLUMNS}
    for i, row in enumerate(frame.itertuples(index=False), start=2):  # line 1 is the header
        for name, text in zip(frame.columns, row):
            try:
                parsed[name].append(_cell(name, COLUMNS[name], str(text).strip()))
            except ValueError as err:
                issues.append(Issue(label, f"line {i}, {name}", str(err), text))
                parsed[name].append(None)
    out = pd.DataFrame(parsed)
    issues += _cross_checks(out, label)
    if issues:
        more = len(issues) - MAX_PROBLEMS
        raise ScenarioError(issues[:MAX_PROBLEMS] + ([Issue(label, "", f"... and {more} more problems")] if more > 0 else []))
    out["strategy"] = [STRATEGY.get((a, s), "") for a, s in zip(out.approach, out.stages)]
    return out


def _cross_checks(log: pd.DataFrame, label: str) -> list[Issue]:
    """Problems between columns of a row: blood loss without how it was measured; a posterior-only staged resection."""
    issues = []
    for i, r in enumerate(log.itertuples(index=False), start=2):
        if r.blood_loss_ml is not None and r.blood_loss_measured is None:
            issues.append(Issue(label, f"line {i}, blood_loss_measured", "must say estimated or measured when blood_loss_ml is given"))
        if r.approach is not None and r.stages is not None and (r.approach, r.stages) not in STRATEGY:
            issues.append(Issue(label, f"line {i}, stages", "a posterior-only resection in several stages is not a plan the "
                                "model knows; allowed: posterior with 1 stage, combined with 1-3 stages", r.stages))
    return issues


def case_types(log: pd.DataFrame) -> pd.DataFrame:
    """One row per case type (levels, revision, plan) with the median age and weight and the usual sex of its rows."""
    g = log.groupby(TYPE_KEYS, sort=True)
    return g.agg(age_years=("age_years", "median"), weight_kg=("weight_kg", "median"),
                 sex=("sex", lambda s: s.mode().iloc[0]), n=("sex", "size")).reset_index()


def _scenario(t, root: Path):
    data = {**read_yaml(bundled("patients", root)["adult-primary"]), "name": "case-type", "levels": t.levels,
            "revision": bool(t.revision), "age_years": float(t.age_years), "weight_kg": float(t.weight_kg), "sex": t.sex,
            "family_label": None, "family_description": None}
    patient = patient_from(data, "case log", load_references(root))
    return load_scenario(patient, [t.strategy], root)


def predict(types: pd.DataFrame, posterior: str | Path | None = None, replications: int | None = None,
            seed: int | None = None, root: Path = BUNDLED) -> pd.DataFrame:
    """Per case type: the model's mean log time (``m_time``), log blood loss (``m_bleeding``, ``m_ebl`` as
    estimated) and major-complication logit (``m_complication``), each with its patient SD (``s_*``) and
    parameter SD (``p_*``), from the published posterior without a centre effect."""
    cfg = load_centre_settings(root).prediction
    reps, seed = replications or cfg["replications"], cfg["seed"] if seed is None else seed
    rows = []
    for t in types.itertuples(index=False):
        try:
            scenario = _scenario(t, root)
        except ScenarioError as err:
            where = f"case type {t.levels}, {'revision' if t.revision else 'first operation'}, {t.strategy}"
            raise ScenarioError([Issue("case log", where, i.message) for i in err.issues]) from None
        drawn = for_run(scenario, posterior).uncertainty
        no_centre = Uncertainty(drawn.z, drawn.effects, np.zeros_like(drawn.centre_cov), np.zeros(3), patients=10, centres=1,
                                shift=drawn.shift)
        records = run(scenario, reps, seed, uncertainty=no_centre).records
        reps_ = records.replication.to_numpy()
        row = t._asdict()
        for axis, col in (("time", "operative_time_min"), ("bleeding", "blood_loss_ml"), ("ebl", "ebl_ml")):
            got = parts(np.log(np.maximum(records[col].to_numpy(float), 1.0)), reps_, no_centre)
            row |= {f"m_{axis}": got["mean"], f"s_{axis}": got["sd_patient"], f"p_{axis}": got["sd_parameter"]}
        major = records.any_major_complication.to_numpy(float)
        got = parts(major, reps_, no_centre)
        p = float(np.clip(got["mean"], 0.5 / len(major), 1 - 0.5 / len(major)))
        row |= {"m_complication": float(special.logit(p)), "s_complication": 0.0,
                "p_complication": got["sd_parameter"] / (p * (1 - p))}
        rows.append(row)
    return pd.DataFrame(rows)


def _v_normal(r: np.ndarray, s: np.ndarray, tau: float, sp: float) -> tuple[float, float]:
    """Posterior mean and variance of v = u + delta from residuals ``r`` with patient SDs ``s`` (conjugate normal)."""
    w = 1.0 / np.square(s)
    prec = 1.0 / (tau * tau + sp * sp) + w.sum()
    return float((w * r).sum() / prec), 1.0 / prec


def _shrunk(v_hat: float, var_v: float, tau: float, sp: float) -> tuple[float, float]:
    """u | data from v = u + delta | data ~ N(v_hat, var_v), with u ~ N(0, tau^2), delta ~ N(0, sp^2)."""
    prior = tau * tau + sp * sp
    k = tau * tau / prior
    return k * v_hat, math.sqrt(k * k * var_v + tau * tau * sp * sp / prior)


def normal_axis(r: np.ndarray, s: np.ndarray, tau: float, sp: float) -> tuple[float, float]:
    """The centre effect (mean, SD) from residuals ``r`` (observed minus predicted log) with patient SDs ``s``."""
    return _shrunk(*_v_normal(r, s, tau, sp), tau, sp)


def binary_axis(y: np.ndarray, logit: np.ndarray, tau: float, sp: float) -> tuple[float, float]:
    """The centre's complication logit shift from outcomes ``y`` (0/1) and predicted logits (Laplace approximation)."""
    prior = tau * tau + sp * sp

    def minus_log_post(v):
        eta = logit + v
        return -float((y * -np.logaddexp(0, -eta) + (1 - y) * -np.logaddexp(0, eta)).sum()) + v * v / (2 * prior)

    v_hat = float(optimize.minimize_scalar(minus_log_post, bounds=(-6, 6), method="bounded").x)
    q = special.expit(logit + v_hat)
    return _shrunk(v_hat, 1.0 / (float((q * (1 - q)).sum()) + 1.0 / prior), tau, sp)


def centre_sds(posterior: str | Path | None = None, root: Path = BUNDLED) -> tuple[dict[str, float], str]:
    """The between-centre SD per axis (posterior median) and where it came from; without a stored posterior,
    the half-normal scale of settings.yaml."""
    from .posterior import default_path, posterior_draws, provenance

    path = Path(posterior) if posterior else default_path(root)
    if path.is_file():
        frame = posterior_draws(path)
        label = f"{path.name} (targets {str(provenance(path).get('targets_hash', ''))[:8]})"
        return {a: float(frame[f"centre_sd_{a}"].median()) if f"centre_sd_{a}" in frame else 0.0 for a in CENTRE_AXES}, label
    scale = load_settings(root=root).centre_sd.value
    return dict.fromkeys(CENTRE_AXES, scale), f"no stored posterior: prior scale {scale:g} of settings.yaml"


ABSENT = {  # case type -> which rows are of that type
    "one level": lambda log: log.levels.map(_count_levels) == 1,
    "two or more levels": lambda log: log.levels.map(_count_levels) >= 2,
    "revision": lambda log: log.revision,
    "first operation at the site": lambda log: ~log.revision,
    "posterior only": lambda log: log.approach == "posterior",
    "combined approach": lambda log: log.approach == "combined",
    "staged (two or more operations)": lambda log: log.stages >= 2,
    "thoracic": lambda log: log.region == "thoracic",
    "lumbar": lambda log: log.region == "lumbar",
}


def _count_levels(levels: str) -> int:
    return len(parse_levels(levels))


def fit_centre(log: pd.DataFrame, predictions: pd.DataFrame, centre: str, tau: dict[str, float], posterior: str,
               root: Path = BUNDLED) -> CentreProfile:
    """The centre's profile from its log and the predictions of its case types."""
    minimum = {a: int(s.value) for a, s in load_centre_settings(root).minimum_cases.items()}
    joined = log.merge(predictions.drop(columns=["age_years", "weight_kg", "sex", "n"]), on=TYPE_KEYS, how="left")
    effects, warnings = {}, []
    used = joined[joined.operative_time_min.notna()]
    r = np.log(used.operative_time_min.to_numpy(float)) - used.m_time.to_numpy(float)
    effects["time"] = (normal_axis(r, used.s_time.to_numpy(float), tau["time"], float(joined.p_time.mean())), len(used))
    used = joined[joined.blood_loss_ml.notna()]
    estimated = (used.blood_loss_measured == "estimated").to_numpy()
    m = np.where(estimated, used.m_ebl, used.m_bleeding)
    s = np.where(estimated, used.s_ebl, used.s_bleeding)
    r = np.log(np.maximum(used.blood_loss_ml.to_numpy(float), 1.0)) - m
    effects["bleeding"] = (normal_axis(r, s, tau["bleeding"], float(joined.p_bleeding.mean())), len(used))
    used = joined[joined.complication_grade.notna()]
    y = (used.complication_grade.to_numpy(float) >= MAJOR_GRADE).astype(float)
    effects["complication"] = (binary_axis(y, used.m_complication.to_numpy(float), tau["complication"],
                                           float(joined.p_complication.mean())), len(used))
    out = {}
    for axis, ((mean, sd), n) in effects.items():
        out[axis] = AxisEffect(mean=mean, sd=sd, prior_mean=0.0, prior_sd=max(tau[axis], 1e-6), cases=n, minimum_cases=minimum[axis])
        if n < minimum[axis]:
            warnings.append(f"{axis}: only {n} operation{'s' if n != 1 else ''} with this outcome (at least {minimum[axis]} "
                            "advised): the estimate stays close to the published centres")
    frames = log.complication_time_frame_days.dropna()
    if len(frames) and frames.max() > 30:
        warnings.append(f"complications recorded up to {int(frames.max())} days; the model's major complications are "
                        "early (in hospital or within 30 days)")
    warnings.append(f"{', '.join(NO_MODEL_INPUT)}: recorded, but the model has no inputs for them yet; their effect is "
                    "part of the centre's effect")
    absent = tuple(name for name, rows in ABSENT.items() if not rows(log).any())
    dates = log.date.dropna()
    return CentreProfile(centre=centre, posterior=posterior, effects=out, cases=len(log),
                         period=f"{dates.min()} to {dates.max()}" if len(dates) else "", absent_case_types=absent,
                         warnings=tuple(warnings))


def temporal_check(log: pd.DataFrame, predictions: pd.DataFrame, tau: dict[str, float], fraction: float = 2 / 3) -> float:
    """Fit on the earlier ``fraction`` of the dated operations, and score the later ones' mean log operative
    time residual against what the early fit predicts for it (v = u + delta | early data, plus the later
    patients' own spread): a z-score near 0 when the centre has not changed."""
    dated = log[log.date.notna()].sort_values("date", kind="stable")
    cut = int(len(dated) * fraction)
    residual = {}
    for part in (dated.iloc[:cut], dated.iloc[cut:]):
        used = part.merge(predictions.drop(columns=["age_years", "weight_kg", "sex", "n"]), on=TYPE_KEYS, how="left")
        used = used[used.operative_time_min.notna()]
        residual[len(residual)] = (np.log(used.operative_time_min.to_numpy(float)) - used.m_time.to_numpy(float),
                                   used.s_time.to_numpy(float), float(predictions.p_time.mean()))
    (r0, s0, sp), (r1, s1, _) = residual[0], residual[1]
    v_hat, var_v = _v_normal(r0, s0, tau["time"], sp)
    return (float(r1.mean()) - v_hat) / math.sqrt(var_v + float(np.mean(s1 ** 2)) / len(r1))
