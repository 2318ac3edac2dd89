"""The stored posterior: about 1,000 draws as a versioned Parquet file with provenance.

Columns: ``chain``, ``draw``, one column per calibrated parameter on its natural scale (the
multiplier, or the logit shift), ``centre_sd_<type>`` (tau), ``centre_corr_<a>_<b>`` (the
correlations of the centre effects) and ``discrepancy_<type>`` (delta). The file's metadata
(``resectsim.calibration`` key, JSON) holds the format version, the package version, the targets
hash, the scenario hash, the parameter list with priors, the emulator check and the diagnostics.

A run uses the draws through ``calibration.uncertainty.for_run``: one row per parameter draw, its
multipliers and shifts applied in the vectorised draw step (``simulation.model.sampling``), with a
new centre effect u ~ MVN(0, Sigma) from the row's tau and correlations.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..runs.files import write_bytes
from ..scenario.loader import BUNDLED
from .settings import FOLDER

FORMAT_VERSION = 1
META_KEY = b"resectsim.calibration"


def default_path(root: Path = BUNDLED) -> Path:
    return root / FOLDER / f"posterior-v{FORMAT_VERSION}.parquet"


def draws_frame(fit, params, settings) -> pd.DataFrame:
    """The fit's draws as one row each (chains concatenated)."""
    z = fit.flat("z")
    frame = {"chain": np.repeat(np.arange(fit.samples["z"].shape[0]), fit.samples["z"].shape[1]),
             "draw": np.tile(np.arange(fit.samples["z"].shape[1]), fit.samples["z"].shape[0])}
    for i, p in enumerate(params):
        frame[p.name] = p.natural(z[:, i])
    tau, chol = fit.flat("tau"), fit.flat("L")
    corr = chol @ np.swapaxes(chol, 1, 2)
    names = settings.centre_types
    for a, name in enumerate(names):
        frame[f"centre_sd_{name}"] = tau[:, a]
        for b in range(a + 1, len(names)):
            frame[f"centre_corr_{name}_{names[b]}"] = corr[:, a, b]
    delta = fit.flat("delta")
    for g, name in enumerate(settings.outputs):
        frame[f"discrepancy_{name}"] = delta[:, g]
    return pd.DataFrame(frame)


def write_posterior(frame: pd.DataFrame, path: Path, provenance: dict) -> Path:
    """Write the draws with ``provenance`` (JSON-able) in the Parquet metadata, atomically."""
    from .. import __version__  # at call time: the package imports this module while it initialises
    meta = {"format_version": FORMAT_VERSION, "version": __version__, **provenance}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta, default=float).encode()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return write_bytes(buffer.getvalue(), path)


def provenance(path: str | Path) -> dict:
    """The provenance stored with a posterior file."""
    meta = pq.read_schema(path).metadata or {}
    if META_KEY not in meta:
        raise ValueError(f"{path}: not a calibration posterior (no {META_KEY.decode()} metadata)")
    return json.loads(meta[META_KEY])


def posterior_draws(path: str | Path | None = None) -> pd.DataFrame:
    """The stored posterior draws (default the bundled ``scenarios/calibration/posterior-v1.parquet``)."""
    path = Path(path) if path else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no stored posterior; run make calibrate (or resectsim calibrate --out {path})")
    info = provenance(path)
    if info["format_version"] != FORMAT_VERSION:
        raise ValueError(f"{path}: posterior format {info['format_version']}, this version reads {FORMAT_VERSION}")
    return pd.read_parquet(path)
