"""Hierarchical Bayesian calibration on the emulator, with NumPyro's NUTS.

For observation f of series j, output type g, and emulated summary m_f(z)::

    z            ~ Normal(prior mean, prior SD)                      (the scale factors, unconstrained)
    tau_c        ~ HalfNormal(centre_sd),  Omega ~ LKJ(centre_lkj_eta) (centre effects: time, bleeding, complications)
    u_j          = diag(tau) L_Omega e_j,  e_j ~ Normal(0, I)          (non-centred)
    delta_g      ~ Normal(0, discrepancy_sd_g)                       (model discrepancy per output type)
    mu_f         = m_f(z) + u_{j, c(g)} + delta_g
    log y_f      ~ Normal(mu_f, sqrt(sampling + conversion + EBL measurement + emulator variance))
    k_f          ~ Binomial(N_f, logit^-1(mu_f))

The EBL measurement term lambda_j ~ Normal(0, ebl_measurement_sd) is integrated out (its variance is
added), which is the same model with one latent fewer. Each observation's log likelihood is
multiplied by its weight (the index case: ``case_weight``; a left-out series: 0).

NumPyro rather than PyMC: the model is rerun many times with new data (leave-one-series-out, SBC),
and ``jit_model_args`` compiles it once for all of them; PyMC compiles per model through PyTensor's
C backend, which on this 2-core machine is the dominant cost (docs/calibration.md gives the timings).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .observed import Arrays
from .settings import Settings

SITES = ("z", "tau", "delta")  # reported in the diagnostics


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def emulate(z, e: dict):
    """The emulators' predictive mean at one parameter vector ``z`` (jax), as ``Emulator.predict``."""
    import jax.numpy as jnp

    x = (z - e["prior_mean"]) / e["prior_sd"]
    diff = (x[None, None, :] - e["X"]) / e["lengthscale"][:, None, :]
    k = e["amp"][:, None] * jnp.exp(-0.5 * jnp.sum(diff**2, axis=-1))
    return e["beta"][:, 0] + e["beta"][:, 1:] @ x + jnp.sum(k * e["alpha"], axis=-1) * e["y_std"] + e["y_mean"]


def model(data: dict, y, weight):
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    z = numpyro.sample("z", dist.Normal(data["prior_mean"], data["prior_sd"]).to_event(1))
    c, j = data["n_centre"], data["n_series"]
    tau = numpyro.sample("tau", dist.HalfNormal(data["centre_sd"] * jnp.ones(c)).to_event(1))
    chol = numpyro.sample("L", dist.LKJCholesky(c, data["eta"])) if c > 1 else jnp.ones((1, 1))
    e = numpyro.sample("e", dist.Normal(jnp.zeros((j, c)), 1.0).to_event(2))
    u = e @ (tau[:, None] * chol).T
    delta = numpyro.sample("delta", dist.Normal(jnp.zeros(len(data["disc_sd"])), data["disc_sd"]).to_event(1))
    centre = jnp.where(data["centre"] >= 0, u[data["series"], jnp.maximum(data["centre"], 0)], 0.0)
    mu = emulate(z, data["emulator"]) + centre + delta[data["output"]]
    normal = dist.Normal(mu, jnp.sqrt(data["var"])).log_prob(jnp.where(data["binomial"], 0.0, y))
    binom = dist.Binomial(data["n"], logits=mu).log_prob(jnp.where(data["binomial"], y, 0.0))
    numpyro.factor("likelihood", jnp.sum(weight * jnp.where(data["binomial"], binom, normal)))


@dataclass
class Fit:
    samples: dict[str, np.ndarray]  # site -> [chains, draws, ...]
    diagnostics: pd.DataFrame  # per scalar: site, index, r_hat, ess_bulk, ess_tail
    seconds: float
    divergent: int  # divergent transitions after warmup

    def flat(self, site: str) -> np.ndarray:
        x = self.samples[site]
        return x.reshape(-1, *x.shape[2:])

    @property
    def max_r_hat(self) -> float:
        return float(self.diagnostics.r_hat.max())

    @property
    def min_ess(self) -> float:
        return float(self.diagnostics.ess_bulk.min())


def diagnose(samples: dict[str, np.ndarray]) -> pd.DataFrame:
    """R-hat (rank-normalised) and bulk/tail ESS of every scalar of ``SITES``, by ArviZ."""
    import arviz as az

    rows = []
    for site in SITES:
        x = samples[site].reshape(*samples[site].shape[:2], -1)
        for i in range(x.shape[2]):
            draws = x[:, :, i]
            rows.append({"site": site, "index": i, "r_hat": float(az.rhat(draws)), "ess_bulk": float(az.ess(draws, method="bulk")),
                         "ess_tail": float(az.ess(draws, method="tail"))})
    return pd.DataFrame(rows)


class Calibrator:
    """A compiled sampler for one emulator and one set of observations; ``fit`` may be called with new
    data or weights of the same shape without compiling again."""

    def __init__(self, emulator, data: Arrays, settings: Settings):
        jax = _jax()
        import jax.numpy as jnp
        from numpyro.infer import MCMC, NUTS

        self.arrays = data
        self.settings = settings
        self.variance = data.var + np.where(data.binomial, 0.0, emulator.variance)
        ex = {k: jnp.asarray(v) for k, v in emulator.export().items()}
        self.emulator = ex
        self.data = {
            "prior_mean": ex["prior_mean"], "prior_sd": ex["prior_sd"], "emulator": ex,
            "n_centre": len(settings.centre_types), "n_series": len(data.series_names),
            "centre_sd": settings.centre_sd.value, "eta": settings.centre_lkj_eta.value,
            "disc_sd": jnp.asarray([settings.outputs[g].discrepancy_sd.value for g in data.output_names]),
            "centre": jnp.asarray(data.centre), "series": jnp.asarray(data.series), "output": jnp.asarray(data.output),
            "var": jnp.asarray(np.maximum(self.variance, 1e-12)), "binomial": jnp.asarray(data.binomial),
            "n": jnp.asarray(data.n, dtype=float),
        }
        run = settings.run
        self.mcmc = MCMC(NUTS(lambda y, weight: model(self.data, y, weight), target_accept_prob=run.target_accept),
                         num_warmup=run.warmup, num_samples=run.draws, num_chains=run.chains,
                         chain_method="vectorized", progress_bar=False, jit_model_args=True)  # one compiled loop for all chains
        self._jax = jax

    def fit(self, seed: int, y: np.ndarray | None = None, weight: np.ndarray | None = None) -> Fit:
        import jax.numpy as jnp

        y = self.arrays.y if y is None else y
        weight = self.arrays.weight if weight is None else weight
        start = time.perf_counter()
        self.mcmc.run(self._jax.random.PRNGKey(seed), jnp.asarray(y, dtype=float), jnp.asarray(weight, dtype=float),
                      extra_fields=("diverging",))
        samples = {k: np.asarray(v) for k, v in self.mcmc.get_samples(group_by_chain=True).items()}
        seconds = time.perf_counter() - start
        if "L" not in samples:
            samples["L"] = np.ones((*samples["z"].shape[:2], 1, 1))
        divergent = int(np.sum(self.mcmc.get_extra_fields()["diverging"]))
        return Fit(samples, diagnose(samples), seconds, divergent)

    def predict_means(self, z: np.ndarray) -> np.ndarray:
        """Emulated summaries [draws, observations] at parameter draws ``z`` [draws, parameters]."""
        return np.asarray(self._jax.vmap(lambda zz: emulate(zz, self.emulator))(self._jax.numpy.asarray(z)))
