"""``resectsim calibrate``: run the calibration pipeline (needs the ``calibration`` and ``sweeps`` extras).

    resectsim calibrate [--design-points N] [--reps N] [--dask local | --scheduler ADDR] [--workers N]
                        [--targets DIR] [--db FILE] [--out FILE] [--report DIR] [--sbc N]

Resumable: the design runs through the sweep store (``--db``), so a second call computes only the
points not yet stored, then refits the emulators and the posterior (seconds to minutes).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..scenario.errors import ScenarioError
from .common import checked_outputs, fail

CALIBRATION_DB = Path("results/calibration.duckdb")


def calibrate(
    design_points: int | None = typer.Option(None, "--design-points", min=8, help="Latin hypercube points (default: settings.yaml)."),
    reps: int | None = typer.Option(None, "--reps", min=10, help="Simulated patients per point and target (default: settings.yaml)."),
    dask: str | None = typer.Option(None, "--dask", help="'local': run the design on a new Dask LocalCluster."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Run the design on the Dask cluster at this address."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Worker processes (process pool or --dask local)."),
    targets: Path | None = typer.Option(None, "--targets", help="Folder of target files (default: scenarios/calibration/targets)."),
    db: Path = typer.Option(CALIBRATION_DB, "--db", help="Sweep store of the design runs (DuckDB; resumable)."),
    out: Path | None = typer.Option(None, "--out", help="Posterior file (.parquet); default: scenarios/calibration/posterior-v1.parquet."),
    report: Path | None = typer.Option(None, "--report", help="Write the validation report (PPC, leave-one-out, SBC) to this folder."),
    sbc: int = typer.Option(10, "--sbc", min=0, help="Simulation-based calibration replicates in the report (0: none)."),
) -> None:
    """Calibrate the scale factors to the published series: design -> emulators -> history matching -> posterior."""
    try:
        import arviz  # noqa: F401  (the calibration extra: diagnostics, emulators, sampler)
        import numpyro  # noqa: F401
        import sklearn  # noqa: F401

        from ..calibration import pipeline, posterior
        from ..calibration.report import write_report
        from ..sweeps.backends import BackendError
        from ..sweeps.store import Store, StoreError
        from .sweep import choose_backend
    except ModuleNotFoundError as missing:
        raise fail([f"calibrate: {missing.name} is not installed; pip install 'resectsim[calibration]'"]) from None
    if out is not None:
        if out.suffix != ".parquet":
            raise fail([f"{out}: the posterior is written as Parquet; give a .parquet file"])
        checked_outputs(out)  # before any work: a missing folder fails now, not after the run
    backend = choose_backend(dask, scheduler, workers)
    try:
        inputs = pipeline.load_inputs(targets)
        run = inputs.settings.run.model_copy(update={k: v for k, v in (("design_points", design_points), ("replications", reps)) if v})
        inputs = pipeline.Inputs(inputs.settings.model_copy(update={"run": run}), inputs.params, inputs.params_file, inputs.targets)
        typer.echo(f"{len(inputs.targets)} series, {len(inputs.observations)} figures, {len(inputs.params)} parameters; "
                   f"{run.design_points} design points x {run.replications} patients on {backend.describe()}", err=True)
        z, training = pipeline.simulate_design(inputs, Store(db), backend,
                                               lambda done, total: typer.echo(f"design sweeps {done}/{total}", err=True))
    except (ScenarioError, StoreError, BackendError) as exc:
        raise fail(str(exc).splitlines()) from None
    result = pipeline.calibrate(inputs, z, training)
    typer.echo(f"emulators: {result.check.within_2sd.mean():.0%} of held-out points within 2 SD; history matching keeps "
               f"{result.history.non_implausible_share:.1%}; NUTS max R-hat {result.fit.max_r_hat:.4f}, "
               f"min bulk ESS {result.fit.min_ess:.0f} ({result.fit.seconds:.0f} s)", err=True)
    path = posterior.write_posterior(posterior.draws_frame(result.fit, inputs.params, inputs.settings),
                                     out or posterior.default_path(), result.provenance())
    typer.echo(f"wrote posterior draws to {path}", err=True)
    if report is not None:
        written = write_report(result, report, sbc_replicates=sbc,
                               progress=lambda done, total: typer.echo(f"leave-one-series-out {done}/{total}", err=True))
        typer.echo(f"wrote the report to {written}", err=True)
    if result.fit.max_r_hat >= 1.01:
        typer.echo(f"warning: max R-hat {result.fit.max_r_hat:.4f} is not below 1.01; raise warmup/draws in settings.yaml", err=True)
