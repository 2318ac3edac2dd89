"""Analyses of a stored sweep (``simulation.store.SweepData``) -> tidy tables.

* ``tornado`` (one-way design): per strategy, outcome and parameter, the mean outcome at the
  parameter's low and high value (others at base) with Monte Carlo standard errors, ordered by swing;
* ``two_way`` (grid of two parameters): per cell and outcome, the preferred strategy, the runner-up
  and the paired (common random numbers) margin between them with its 95% CI; a cell is
  ``decided`` when the CI excludes 0 (otherwise the replications cannot tell them apart);
* ``sobol`` (Saltelli design): first-order and total-order indices with 95% bootstrap CIs,
  via ``SALib.analyze.sobol`` (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018);
* ``morris`` (Morris design): mu, mu* (with 95% CI) and sigma of the elementary effects, via
  ``SALib.analyze.morris`` (Campolongo, Cariboni & Saltelli 2007, doi:10.1016/j.envsoft.2006.10.004);
* ``psa_summary`` / ``psa_preferred`` (psa design): the distribution of each strategy's mean over
  the parameter draws, the variance split into parameter (second-order) and patient-to-patient
  (first-order) parts, and the probability each strategy is preferred on each outcome.

The input of Sobol, Morris and PSA is a point's mean over its replications, which carries Monte
Carlo error (``mcse`` per point); few replications inflate small indices and blur preferences.
Outcomes are "lower is better" except ``simulation.analysis.HIGHER_IS_BETTER``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..runs.analysis import Z, outcome_values, share_mcse
from ..scenario.records import HIGHER_IS_BETTER, label
from . import designs
from .spec import DESIGNS
from .store import SweepData

ANALYSIS_SPAWN_KEY = (0x5EED1,)  # bootstrap resampling of SALib analyses


class AnalysisError(ValueError):
    """The analysis does not fit the sweep (wrong design, incomplete, one strategy)."""


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=ANALYSIS_SPAWN_KEY))


def _require(data: SweepData, designs_ok: tuple[str, ...], what: str, complete: bool = True) -> None:
    design = data.info["design"]
    if design not in designs_ok:
        raise AnalysisError(f"{what} needs a {' or '.join(designs_ok)} sweep; '{data.info['sweep_id']}' is {design}")
    done, total = int(data.points.done.sum()), len(data.points)
    if complete and done < total:
        raise AnalysisError(f"{what} needs every point; '{data.info['sweep_id']}' has {done} of {total} done (run it again to finish)")


def point_means(data: SweepData) -> pd.DataFrame:
    """Results of done points with their parameter values: one row per point x strategy x outcome."""
    return data.results.merge(data.points.drop(columns=["done", "compute_s"]), on="point", how="left")


def _sign(outcome: str) -> float:
    return -1.0 if outcome in HIGHER_IS_BETTER else 1.0


def _difference_se(records: pd.DataFrame | None, res, point: int, strategy: str, outcome: str) -> float:
    """Standard error of (mean at ``point`` - mean at the base point 0).

    Paired per replication when the records are stored (exact with common random numbers);
    otherwise from the two means' MCSEs, exact for independent points and conservative (too wide)
    with common random numbers.
    """
    if records is not None and len(records):
        sel = records[records.strategy == strategy]
        at = sel[sel.point == point].sort_values("replication")
        base = sel[sel.point == 0].sort_values("replication")
        d = outcome_values(at, outcome) - outcome_values(base, outcome)
        return float(d.std(ddof=1) / np.sqrt(len(d)))
    return float(np.hypot(res.loc[(point, strategy, outcome), "mcse"], res.loc[(0, strategy, outcome), "mcse"]))


def tornado(data: SweepData, records: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per strategy x outcome x parameter: means at low, base and high, and the SE of each change.

    ``records`` (``Store.records``, kept when the spec says ``keep_records: true``) makes the
    standard errors of the changes paired; ``se_method`` says which was used.
    """
    _require(data, ("one-way",), "A tornado diagram")
    params = data.parameters.sort_values("idx")
    res = data.results.set_index(["point", "strategy", "outcome"])
    method = "paired" if records is not None and len(records) else "independent"
    rows = []
    for (strategy, outcome), _ in data.results.groupby(["strategy", "outcome"], sort=False):
        base = res.loc[(0, strategy, outcome)]
        for i, p in enumerate(params.itertuples()):
            lo, hi = res.loc[(1 + 2 * i, strategy, outcome)], res.loc[(2 + 2 * i, strategy, outcome)]
            rows.append(dict(
                strategy=strategy, outcome=outcome, outcome_label=label(outcome), parameter=p.label,
                low_value=p.low, base_value=p.base, high_value=p.high, base_mean=base["mean"],
                low_mean=lo["mean"], high_mean=hi["mean"],
                low_change_se=_difference_se(records, res, 1 + 2 * i, strategy, outcome),
                high_change_se=_difference_se(records, res, 2 + 2 * i, strategy, outcome),
                se_method=method, swing=abs(hi["mean"] - lo["mean"]),
            ))
    out = pd.DataFrame(rows)
    order = out.groupby("parameter").swing.max().sort_values(ascending=False).index
    out["rank"] = out.parameter.map({p: r for r, p in enumerate(order)})
    return out.sort_values(["outcome", "strategy", "rank"], kind="stable").reset_index(drop=True)


def two_way(data: SweepData) -> pd.DataFrame:
    _require(data, ("grid",), "A two-way map")
    labels = data.labels
    if len(labels) != 2:
        raise AnalysisError(f"a two-way map needs a grid of exactly two parameters; this one has {len(labels)}")
    strategies = list(data.info["strategies"])
    if len(strategies) < 2:
        raise AnalysisError("a two-way preference map needs at least two strategies")
    means = data.results.pivot_table(index=["point", "outcome"], columns="strategy", values="mean")[strategies]
    pairs = data.contrasts.set_index(["point", "outcome", "a", "b"])
    values = data.points.set_index("point")[labels]
    rows = []
    for (point, outcome), row in means.iterrows():
        order = np.argsort(_sign(outcome) * row.to_numpy(), kind="stable")
        best, second = strategies[order[0]], strategies[order[1]]
        if (point, outcome, best, second) in pairs.index:
            c = pairs.loc[(point, outcome, best, second)]
            margin = -c.mean_difference  # second - best
        else:
            c = pairs.loc[(point, outcome, second, best)]
            margin = c.mean_difference
        margin *= _sign(outcome)
        rows.append(dict(
            point=point, **{lab: values.loc[point, lab] for lab in labels}, outcome=outcome,
            outcome_label=label(outcome), preferred=best, runner_up=second, preferred_mean=row[best],
            margin=margin, margin_se=c.se, margin_ci_low=margin - Z * c.se, margin_ci_high=margin + Z * c.se,
            decided=bool(margin - Z * c.se > 0),
        ))
    return pd.DataFrame(rows)


def _salib_problem(data: SweepData) -> dict:
    p = data.parameters.sort_values("idx")
    return designs.problem(p.label.tolist(), list(zip(p.low, p.high)))


def _outputs(data: SweepData):
    """(strategy, outcome, Y ordered by point) for every strategy and outcome."""
    for (strategy, outcome), g in data.results.groupby(["strategy", "outcome"], sort=False):
        yield strategy, outcome, g.sort_values("point")["mean"].to_numpy(dtype=float)


def sobol(data: SweepData) -> pd.DataFrame:
    from SALib.analyze import sobol as sobol_analyze

    _require(data, ("sobol",), "Sobol indices")
    problem = _salib_problem(data)
    seed = int(data.info["seed"])
    rows = []
    for strategy, outcome, y in _outputs(data):
        if np.var(y) == 0:
            si = {k: np.full(problem["num_vars"], np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=_rng(seed))
        for j, name in enumerate(problem["names"]):
            rows.append(dict(strategy=strategy, outcome=outcome, outcome_label=label(outcome), parameter=name,
                             S1=si["S1"][j], S1_conf=si["S1_conf"][j], ST=si["ST"][j], ST_conf=si["ST_conf"][j]))
    return pd.DataFrame(rows)


def morris(data: SweepData) -> pd.DataFrame:
    from SALib.analyze import morris as morris_analyze

    _require(data, ("morris",), "Morris screening")
    problem = _salib_problem(data)
    x = data.points.sort_values("point")[problem["names"]].to_numpy(dtype=float)
    levels = data.spec.morris_levels
    seed = int(data.info["seed"])
    rows = []
    for strategy, outcome, y in _outputs(data):
        si = morris_analyze.analyze(problem, x, y, conf_level=0.95, num_levels=levels, seed=_rng(seed))
        for j, name in enumerate(problem["names"]):
            rows.append(dict(strategy=strategy, outcome=outcome, outcome_label=label(outcome), parameter=name,
                             mu=si["mu"][j], mu_star=si["mu_star"][j], sigma=si["sigma"][j],
                             mu_star_conf=si["mu_star_conf"][j]))
    return pd.DataFrame(rows)


def psa_summary(data: SweepData) -> pd.DataFrame:
    """Per strategy x outcome: the distribution of the mean over parameter draws and the variance split.

    ``between_var`` is the variance of point means; each point mean also carries Monte Carlo noise
    of about ``within_var / n`` (independent points), so the parameter (second-order) variance is
    ``between_var - mc_var``. ``within_var`` is the mean within-point variance: patient-to-patient
    (first-order) variability. With common random numbers the points share their patients and the
    noise does not add up this way: ``mc_var`` is then not subtracted (reported as NaN).
    """
    _require(data, ("psa",), "A PSA summary", complete=False)
    crn = data.spec.common_random_numbers
    rows = []
    for (strategy, outcome), g in data.results.groupby(["strategy", "outcome"], sort=False):
        m, s, n = g["mean"].to_numpy(), g["sd"].to_numpy(), g["n"].to_numpy()
        between = m.var(ddof=1) if len(m) > 1 else np.nan
        within = float(np.mean(s**2))
        mc = np.nan if crn else float(np.mean(s**2 / n))
        parameter = max(between - (0.0 if crn else mc), 0.0)
        rows.append(dict(
            strategy=strategy, outcome=outcome, outcome_label=label(outcome), draws=len(m),
            mean=m.mean(), mean_p2_5=np.percentile(m, 2.5), mean_p97_5=np.percentile(m, 97.5),
            between_var=between, mc_var=mc, parameter_var=parameter, within_var=within,
            parameter_share=parameter / (parameter + within) if parameter + within > 0 else np.nan,
        ))
    return pd.DataFrame(rows)


def psa_preferred(data: SweepData) -> pd.DataFrame:
    """P(strategy has the best mean) over the parameter draws, per outcome, with its MCSE."""
    _require(data, ("psa",), "PSA preferences", complete=False)
    strategies = list(data.info["strategies"])
    wide = data.results.pivot_table(index=["outcome", "point"], columns="strategy", values="mean")[strategies]
    rows = []
    for outcome, g in wide.groupby(level="outcome", sort=False):
        best = np.argmin(_sign(outcome) * g.to_numpy(), axis=1)
        draws = len(best)
        for j, strategy in enumerate(strategies):
            p = float(np.mean(best == j))
            rows.append(dict(outcome=outcome, outcome_label=label(outcome), strategy=strategy, p_preferred=p,
                             mcse=share_mcse(p, draws), draws=draws))
    return pd.DataFrame(rows)


ANALYSES = {
    "tornado": ("one-way",),
    "two-way": ("grid",),
    "sobol": ("sobol",),
    "morris": ("morris",),
    "psa": ("psa",),
    "table": DESIGNS,
}


def default_analysis(design: str, n_parameters: int) -> str:
    """The analysis that fits a design best."""
    return {"one-way": "tornado", "sobol": "sobol", "morris": "morris", "psa": "psa"}.get(
        design, "two-way" if design == "grid" and n_parameters == 2 else "table"
    )


def tables(data: SweepData, analysis: str, records: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The tables of one analysis, by name (for CSV files and the dashboard)."""
    if analysis == "tornado":
        return {"tornado": tornado(data, records)}
    if analysis == "two-way":
        return {"two_way": two_way(data)}
    if analysis == "sobol":
        return {"sobol": sobol(data)}
    if analysis == "morris":
        return {"morris": morris(data)}
    if analysis == "psa":
        return {"psa_summary": psa_summary(data), "psa_preferred": psa_preferred(data), "psa_means": point_means(data)}
    if analysis == "table":
        return {"points": point_means(data)}
    raise AnalysisError(f"unknown analysis '{analysis}'; known: {', '.join(ANALYSES)}")
