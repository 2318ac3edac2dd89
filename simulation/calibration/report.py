"""Validation of the calibration (``resectsim calibrate --report DIR``).

* posterior predictive check of every target (each series with its own fitted centre effect);
* prior-to-posterior contraction (1 - posterior variance / prior variance) and posterior
  correlations per parameter; the size of the centre SDs and discrepancy terms;
* leave-one-series-out: refit without series j, predict it as a new centre (u ~ MVN(0, Sigma)),
  and report z-scores, PIT values and the coverage of the 50/80/95% predictive intervals;
* simulation-based calibration (Talts et al. 2018) of the inference code at small scale: synthetic
  data drawn from the prior through the emulator, refitted; the rank of each true parameter among
  its posterior draws should be uniform.

Everything is written as CSV tables and one Markdown summary (``calibration-report.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..runs.files import write_bytes, write_table
from .predictive import INTERVALS, draws, judge
from .settings import Settings

SBC_THIN = 99  # posterior draws kept per SBC replicate: ranks run 0..99


def ppc(result, rng: np.random.Generator) -> pd.DataFrame:
    a = result.calibrator.arrays
    table = judge(a.y, draws(result.calibrator, result.fit, rng, new_centre=False), a.binomial, rng)
    return table.assign(key=a.keys)[["key", *table.columns]]


def contraction(result) -> pd.DataFrame:
    z = result.fit.flat("z")
    rows = []
    for i, p in enumerate(result.inputs.params):
        nat = p.natural(z[:, i])
        lo, hi = np.percentile(nat, [2.5, 97.5])
        prior_lo, prior_hi = p.natural(p.prior.mean - 1.959964 * p.prior.sd), p.natural(p.prior.mean + 1.959964 * p.prior.sd)
        rows.append({"parameter": p.name, "transform": p.transform, "prior_median": float(p.natural(p.prior.mean)),
                     "prior_low": float(prior_lo), "prior_high": float(prior_hi), "posterior_median": float(np.median(nat)),
                     "posterior_low": float(lo), "posterior_high": float(hi),
                     "contraction": float(1 - z[:, i].var() / p.prior.sd**2)})
    return pd.DataFrame(rows)


def correlations(result) -> pd.DataFrame:
    names = [p.name for p in result.inputs.params]
    return pd.DataFrame(np.corrcoef(result.fit.flat("z"), rowvar=False), index=names, columns=names)


def variance_terms(result) -> pd.DataFrame:
    """Posterior of the centre SDs (tau) and discrepancy terms (delta): findings, not nuisances."""
    s: Settings = result.inputs.settings
    rows = []
    for site, names in (("tau", s.centre_types), ("delta", tuple(s.outputs))):
        x = result.fit.flat(site)
        for k, name in enumerate(names):
            lo, mid, hi = np.percentile(x[:, k], [2.5, 50, 97.5])
            rows.append({"term": "centre SD" if site == "tau" else "discrepancy", "output": name,
                         "median": mid, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def leave_one_out(result, rng: np.random.Generator, progress=None) -> pd.DataFrame:
    """One row per observation of every series, predicted with its series left out of the fit."""
    cal, a = result.calibrator, result.calibrator.arrays
    frames = []
    for j, name in enumerate(a.series_names):
        fit = cal.fit(result.inputs.settings.run.seed + 1000 + j, weight=np.where(a.series == j, 0.0, a.weight))
        rows = a.series == j
        rep = draws(cal, fit, rng, new_centre=True)[:, rows]
        frames.append(judge(a.y[rows], rep, a.binomial[rows], rng).assign(
            key=np.array(a.keys)[rows], series=name, max_r_hat=fit.max_r_hat))
        if progress:
            progress(j + 1, len(a.series_names))
    return pd.concat(frames, ignore_index=True)


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"interval": f"{level}%", "inside": float(table[f"inside_{level}"].mean()), "figures": len(table)}
                         for level in INTERVALS])


def sbc(result, replicates: int, rng: np.random.Generator) -> pd.DataFrame:
    """Ranks of the true parameters among thinned posterior draws, for data simulated from the prior."""
    cal, a = result.calibrator, result.calibrator.arrays
    s = result.inputs.settings
    mean, sd = cal.emulator["prior_mean"], cal.emulator["prior_sd"]
    rows = []
    for r in range(replicates):
        z = rng.normal(np.asarray(mean), np.asarray(sd))
        c = len(s.centre_types)
        tau = np.abs(rng.normal(0, s.centre_sd.value, c))
        u = rng.standard_normal((len(a.series_names), c)) * tau  # independent components (LKJ draws only rotate these)
        delta = rng.normal(0, [s.outputs[g].discrepancy_sd.value for g in a.output_names])
        mu = cal.predict_means(z[None])[0] + np.where(a.centre >= 0, u[a.series, np.maximum(a.centre, 0)], 0.0) + delta[a.output]
        y = np.where(a.binomial, rng.binomial(a.n, 1 / (1 + np.exp(-mu))), mu + rng.standard_normal(len(mu)) * np.sqrt(cal.variance))
        fit = cal.fit(s.run.seed + 5000 + r, y=y)
        post = fit.flat("z")
        post = post[np.linspace(0, len(post) - 1, SBC_THIN).astype(int)]
        for i, p in enumerate(result.inputs.params):
            rows.append({"replicate": r, "parameter": p.name, "rank": int((post[:, i] < z[i]).sum()), "max_r_hat": fit.max_r_hat})
    return pd.DataFrame(rows)


def sbc_uniformity(ranks: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: KS test of the normalised ranks against uniform (small samples: a coarse check)."""
    return pd.DataFrame([{"parameter": name, "replicates": len(g), "mean_rank": g["rank"].mean() / SBC_THIN,
                          "ks_p": stats.kstest((g["rank"] + 0.5) / (SBC_THIN + 1), "uniform").pvalue}
                         for name, g in ranks.groupby("parameter", sort=False)])


def _md(df: pd.DataFrame, digits: int = 3) -> str:
    cols = list(df.columns)
    def cell(v):
        return f"{v:.{digits}g}" if isinstance(v, (float, np.floating)) else str(v)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_report(result, folder: str | Path, leave_out: bool = True, sbc_replicates: int = 10, progress=None) -> Path:
    """Compute every check and write the tables and ``calibration-report.md`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(result.inputs.settings.run.seed)
    tables = {"emulator-check": result.check, "history-targets": result.history.targets,
              "history-ranges": result.history.ranges, "diagnostics": result.fit.diagnostics,
              "posterior-predictive": ppc(result, rng), "contraction": contraction(result),
              "correlations": correlations(result).reset_index(names="parameter"), "variance-terms": variance_terms(result)}
    if leave_out:
        tables["leave-one-out"] = leave_one_out(result, rng, progress)
        tables["leave-one-out-coverage"] = coverage(tables["leave-one-out"])
    if sbc_replicates:
        tables["sbc-ranks"] = sbc(result, sbc_replicates, rng)
        tables["sbc-uniformity"] = sbc_uniformity(tables["sbc-ranks"])
    for name, frame in tables.items():
        write_table(frame, folder / f"{name}.csv")
    prov = result.provenance()
    text = [f"# Calibration report\n\nTargets hash {prov['targets_hash']}, scenario hash {prov['scenario_hash']}; "
            f"{prov['design']['points']} design points x {prov['design']['replications']} replications; "
            f"max R-hat {prov['diagnostics']['max_r_hat']:.4f}, min bulk ESS {prov['diagnostics']['min_ess_bulk']:.0f}.\n",
            f"History matching keeps {result.history.non_implausible_share:.1%} of the box; structural misfits: "
            f"{', '.join(prov['history']['misfits']) or 'none'}.\n"]
    sections = [("Emulator check (held-out design points)", "emulator-check"), ("Posterior against prior", "contraction"),
                ("Centre SDs and discrepancy terms", "variance-terms"), ("Posterior predictive check", "posterior-predictive"),
                ("Leave-one-series-out", "leave-one-out"), ("Leave-one-series-out coverage", "leave-one-out-coverage"),
                ("Simulation-based calibration", "sbc-uniformity")]
    for title, name in sections:
        if name in tables:
            cols = [c for c in tables[name].columns if not c.startswith(("low_", "high_"))]
            text.append(f"## {title}\n\n{_md(tables[name][cols])}\n")
    return write_bytes("\n".join(text).encode(), folder / "calibration-report.md")
