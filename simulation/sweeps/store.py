"""Sweep results in a DuckDB file (default ``results/resectsim.duckdb`` or ``$RESECTSIM_DB``), records in Parquet.

Tables (one database holds many sweeps, keyed by the spec's ``name`` as ``sweep_id``):

* ``sweeps``: spec (canonical JSON) and its hash, scenario digest, package version, design,
  seed, replications, strategies, outcomes, created/updated, status (running, complete, failed);
* ``parameters``: per swept parameter its label, path, resolved path, mode, low/base/high;
* ``points``: per point its parameter values (a list in parameter order), ``done``, compute
  seconds and, with ``keep_records``, the Parquet file holding its per-replication records;
* ``results``: per point x strategy x outcome: n, mean, sd, mcse, median, p5, p95;
* ``contrasts``: per point x strategy pair (a, b) x outcome: the paired (common random numbers)
  mean difference a - b, its standard error, P(a better) and P(a worse) (lower is better, except
  ``analysis.HIGHER_IS_BETTER``).

Resuming: all points are inserted (not done) when a sweep is created; a chunk's results, its
contrasts and its points' ``done`` mark are written in one transaction, so a sweep killed at any
moment holds complete points only, and running it again computes exactly the points not done.
The coordinating process is the only writer: ``run_sweep`` and ``delete`` hold an exclusive lock
on ``<db>.lock`` (``writing``) for as long as they work, and a second runner on the same database
is refused with a message naming the process that holds it. A sweep whose points are all done is
``complete`` whatever happens to a later run. A sweep name already stored with a different spec
or scenario (a different hash) is refused: rename the sweep or delete the stored one.

Every operation opens the file for as long as it needs and closes it, retrying while another
process holds it, so ``status`` and the dashboard can read a database a sweep is writing to.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from .. import __version__
from ..runs.files import write_table

DEFAULT_DB = Path(os.environ.get("RESECTSIM_DB", "results/resectsim.duckdb"))
LOCK_TIMEOUT_S = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id VARCHAR PRIMARY KEY, spec_hash VARCHAR NOT NULL, spec VARCHAR NOT NULL, spec_file VARCHAR,
    scenario_digest VARCHAR, version VARCHAR, design VARCHAR, seed UBIGINT, replications INTEGER,
    n_points INTEGER, strategies VARCHAR[], outcomes VARCHAR[], created TIMESTAMP, updated TIMESTAMP,
    status VARCHAR, message VARCHAR
);
CREATE TABLE IF NOT EXISTS parameters (
    sweep_id VARCHAR, idx INTEGER, label VARCHAR, path VARCHAR, canonical VARCHAR, mode VARCHAR,
    places INTEGER, low DOUBLE, base DOUBLE, high DOUBLE, PRIMARY KEY (sweep_id, idx)
);
CREATE TABLE IF NOT EXISTS points (
    sweep_id VARCHAR, point INTEGER, "values" DOUBLE[], done BOOLEAN, compute_s DOUBLE,
    records_file VARCHAR, PRIMARY KEY (sweep_id, point)
);
CREATE TABLE IF NOT EXISTS results (
    sweep_id VARCHAR, point INTEGER, strategy VARCHAR, outcome VARCHAR, n INTEGER, mean DOUBLE,
    sd DOUBLE, mcse DOUBLE, median DOUBLE, p5 DOUBLE, p95 DOUBLE,
    PRIMARY KEY (sweep_id, point, strategy, outcome)
);
CREATE TABLE IF NOT EXISTS contrasts (
    sweep_id VARCHAR, point INTEGER, a VARCHAR, b VARCHAR, outcome VARCHAR, mean_difference DOUBLE,
    se DOUBLE, p_a_better DOUBLE, p_a_worse DOUBLE, PRIMARY KEY (sweep_id, point, a, b, outcome)
);
"""
RESULT_COLUMNS = ("point", "strategy", "outcome", "n", "mean", "sd", "mcse", "median", "p5", "p95")
CONTRAST_COLUMNS = ("point", "a", "b", "outcome", "mean_difference", "se", "p_a_better", "p_a_worse")


class StoreError(Exception):
    """A database problem the user can act on (unknown sweep, changed spec, no database)."""


@dataclass(frozen=True)
class SweepData:
    """Everything stored about one sweep, as frames."""

    info: dict  # the sweeps row
    parameters: pd.DataFrame  # idx, label, path, canonical, mode, places, low, base, high
    points: pd.DataFrame  # point, done, compute_s, then one column per parameter label
    results: pd.DataFrame  # RESULT_COLUMNS
    contrasts: pd.DataFrame  # CONTRAST_COLUMNS

    @property
    def labels(self) -> list[str]:
        return self.parameters.sort_values("idx").label.tolist()

    @property
    def spec(self):
        from .spec import SweepSpec

        return SweepSpec.model_validate_json(self.info["spec"])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Store:
    """A sweep database file. Cheap to create; it opens the file only while it works."""

    def __init__(self, path: str | Path = DEFAULT_DB, lock_timeout_s: float = LOCK_TIMEOUT_S):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    @property
    def records_dir(self) -> Path:
        return self.path.with_name(self.path.stem + ".records")

    @contextmanager
    def connect(self, read_only: bool = False, create: bool = False):
        """A connection, retried while another process holds the file; ``create`` makes the tables."""
        if read_only and not self.path.exists():
            raise StoreError(f"no sweep database at {self.path}; run a sweep first (resectsim sweep run SPEC --db {self.path})")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline, pause = time.monotonic() + self.lock_timeout_s, 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only, config={"threads": 1})  # leave the cores to workers
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(f"cannot open {self.path}: {str(exc).splitlines()[0]}") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
        try:
            if create:
                con.execute(SCHEMA)
            elif read_only and not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sweeps'").fetchone()[0]:
                raise StoreError(f"{self.path} holds no sweeps (not a sweep database, or a sweep is still being created)")
            yield con
        finally:
            con.close()

    # --- writing (the coordinating process only) -----------------------------------------
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def writing(self):
        """Hold the database's writer lock for the block, or raise ``StoreError`` if another process
        holds it. The lock is an exclusive ``flock`` on ``<db>.lock``, released by the kernel however
        the holder ends; the file keeps the holder's process id for the message."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise StoreError(
                    f"{self.path} is in use by another sweep run or delete (process {holder}); wait for it to finish, "
                    "or give another --db"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def start(self, plan) -> list[int]:
        """Create the sweep (or check it is the same sweep); returns the points not yet done."""
        sweep_id = plan.name
        with self.connect(create=True) as con:
            row = con.execute("SELECT spec_hash, version FROM sweeps WHERE sweep_id = ?", [sweep_id]).fetchone()
            if row is None:
                self._create(con, plan)
            else:
                stored_hash, stored_version = row
                if stored_hash != plan.spec_hash:
                    raise StoreError(
                        f"sweep '{sweep_id}' is already in {self.path} with a different spec or scenario "
                        f"(stored {stored_hash}, now {plan.spec_hash}); give the spec a new name, or delete the "
                        f"stored sweep with: resectsim sweep delete {sweep_id} --db {self.path}"
                    )
                if stored_version != __version__:
                    raise StoreError(
                        f"sweep '{sweep_id}' in {self.path} was run by resectsim {stored_version}, this is "
                        f"{__version__}; results would mix model versions. Rename the sweep or delete the stored one."
                    )
                con.execute("UPDATE sweeps SET status = 'running', message = NULL, updated = ? WHERE sweep_id = ? "
                            "AND EXISTS (SELECT 1 FROM points WHERE sweep_id = ? AND NOT done)", [_now(), sweep_id, sweep_id])
            return [r[0] for r in con.execute(
                "SELECT point FROM points WHERE sweep_id = ? AND NOT done ORDER BY point", [sweep_id]
            ).fetchall()]

    def _create(self, con, plan) -> None:
        spec = plan.spec
        k, n = plan.points.shape[1], plan.points.shape[0]
        values = pa.FixedSizeListArray.from_arrays(pa.array(plan.points.reshape(-1), pa.float64()), k)
        points = pa.table({
            "point": pa.array(np.arange(n, dtype=np.int32)),
            "values": values.cast(pa.list_(pa.float64())),
        })
        params = pd.DataFrame([
            dict(idx=i, label=p.label, path=p.target.path, canonical=p.target.canonical, mode=p.target.mode.value,
                 places=p.target.places, low=p.low, base=p.base, high=p.high)
            for i, p in enumerate(plan.parameters)
        ])
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', NULL)",
                [plan.name, plan.spec_hash, spec.model_dump_json(by_alias=True), plan.file, plan.scenario.digest(),
                 __version__, spec.design, spec.seed, spec.replications, n, list(plan.strategies),
                 list(spec.outcomes), _now(), _now()],
            )
            con.register("params_in", params)
            con.execute("INSERT INTO parameters SELECT ? AS sweep_id, * FROM params_in", [plan.name])
            con.register("points_in", points)
            con.execute(
                "INSERT INTO points SELECT ?, point, \"values\", false, NULL, NULL FROM points_in", [plan.name]
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def write_chunk(self, sweep_id: str, chunk) -> None:
        """One transaction: the chunk's results, contrasts and its points marked done."""
        records_file = None
        if chunk.records is not None:
            folder = self.records_dir / sweep_id
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"points-{min(chunk.points)}-{max(chunk.points)}.parquet"
            write_table(chunk.records, target)
            records_file = str(target.relative_to(self.path.parent))
        done = pd.DataFrame({"point": np.asarray(chunk.points, dtype=np.int32), "compute_s": chunk.compute_s})
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("results_in", chunk.results[list(RESULT_COLUMNS)])
                con.execute(f"INSERT INTO results SELECT ? AS sweep_id, {', '.join(RESULT_COLUMNS)} FROM results_in", [sweep_id])
                con.register("contrasts_in", chunk.contrasts[list(CONTRAST_COLUMNS)])
                con.execute(f"INSERT INTO contrasts SELECT ? AS sweep_id, {', '.join(CONTRAST_COLUMNS)} FROM contrasts_in", [sweep_id])
                con.register("done_in", done)
                marked = con.execute(
                    "UPDATE points SET done = true, compute_s = done_in.compute_s, records_file = ? FROM done_in "
                    "WHERE points.sweep_id = ? AND points.point = done_in.point AND NOT points.done",
                    [records_file, sweep_id],
                ).fetchone()[0]
                if marked != len(done):
                    raise StoreError(f"sweep '{sweep_id}': {len(done) - marked} of the chunk's points were already done")
                con.execute("UPDATE sweeps SET updated = ? WHERE sweep_id = ?", [_now(), sweep_id])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def finish(self, sweep_id: str, status: str, message: str | None = None) -> None:
        """Record how a run ended; a sweep whose points are all done stays (or becomes) ``complete``."""
        with self.connect() as con:
            con.execute(
                "UPDATE sweeps SET status = CASE WHEN EXISTS (SELECT 1 FROM points WHERE sweep_id = $id AND NOT done) "
                "THEN $status ELSE 'complete' END, "
                "message = CASE WHEN EXISTS (SELECT 1 FROM points WHERE sweep_id = $id AND NOT done) THEN $message END, "
                "updated = $now WHERE sweep_id = $id",
                {"id": sweep_id, "status": status, "message": message, "now": _now()},
            )

    def delete(self, sweep_id: str) -> None:
        self.info(sweep_id)
        with self.writing(), self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            for table in ("contrasts", "results", "points", "parameters", "sweeps"):
                con.execute(f"DELETE FROM {table} WHERE sweep_id = ?", [sweep_id])
            con.execute("COMMIT")
        folder = self.records_dir / sweep_id
        if folder.is_dir():
            for f in folder.iterdir():  # Parquet files, and the temporary file of a write that was killed
                f.unlink()
            folder.rmdir()

    # --- reading ---------------------------------------------------------------------------
    def sweeps(self) -> pd.DataFrame:
        """One row per stored sweep with its progress."""
        with self.connect(read_only=True) as con:
            return con.execute(
                """SELECT s.sweep_id, s.design, s.status, count(p.point) FILTER (WHERE p.done) AS points_done,
                          s.n_points, s.replications, s.strategies, s.outcomes, s.created, s.updated, s.message
                   FROM sweeps s LEFT JOIN points p USING (sweep_id)
                   GROUP BY ALL ORDER BY s.created"""
            ).df()

    def info(self, sweep_id: str) -> dict:
        with self.connect(read_only=True) as con:
            cur = con.execute("SELECT * FROM sweeps WHERE sweep_id = ?", [sweep_id])
            row = cur.fetchone()
            if row is None:
                known = [r[0] for r in con.execute("SELECT sweep_id FROM sweeps ORDER BY created").fetchall()]
                raise StoreError(f"no sweep '{sweep_id}' in {self.path}; stored: {', '.join(known) or 'none'}")
            info = dict(zip([d[0] for d in cur.description], row))
            info["points_done"], info["compute_s"] = con.execute(
                "SELECT count(*) FILTER (WHERE done), coalesce(sum(compute_s), 0) FROM points WHERE sweep_id = ?", [sweep_id]
            ).fetchone()
        return info

    def load(self, sweep_id: str) -> SweepData:
        """The stored sweep as frames, ordered by point (complete points only in results)."""
        info = self.info(sweep_id)
        with self.connect(read_only=True) as con:
            params = con.execute("SELECT * EXCLUDE (sweep_id) FROM parameters WHERE sweep_id = ? ORDER BY idx", [sweep_id]).df()
            raw = con.execute(
                'SELECT point, done, compute_s, "values" FROM points WHERE sweep_id = ? ORDER BY point', [sweep_id]
            ).df()
            results = con.execute(
                f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE sweep_id = ? ORDER BY point, strategy, outcome", [sweep_id]
            ).df()
            contrasts = con.execute(
                f"SELECT {', '.join(CONTRAST_COLUMNS)} FROM contrasts WHERE sweep_id = ? ORDER BY point, a, b, outcome", [sweep_id]
            ).df()
        values = np.array(raw["values"].tolist(), dtype=float).reshape(len(raw), len(params))
        points = raw.drop(columns="values")
        for j, label in enumerate(params.label):
            points[label] = values[:, j]
        return SweepData(info, params, points, results, contrasts)

    def records(self, sweep_id: str) -> pd.DataFrame:
        """Per-replication records of a sweep run with ``keep_records`` (empty frame otherwise)."""
        with self.connect(read_only=True) as con:
            files = con.execute(
                "SELECT records_file, list(point) FROM points WHERE sweep_id = ? AND done AND records_file IS NOT NULL "
                "GROUP BY records_file ORDER BY min(point)", [sweep_id]
            ).fetchall()
        frames = []
        for name, pts in files:
            frame = pd.read_parquet(self.path.parent / name)
            frames.append(frame[frame.point.isin(pts)])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def export(self, sweep_id: str, folder: str | Path) -> list[Path]:
        """Write the sweep's tables (and records, if kept) as Parquet files in ``folder``."""
        data = self.load(sweep_id)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        info = {k: (json.dumps(v) if isinstance(v, list) else v) for k, v in data.info.items()}
        tables = {
            "sweep": pd.DataFrame([info]), "parameters": data.parameters, "points": data.points,
            "results": data.results, "contrasts": data.contrasts,
        }
        records = self.records(sweep_id)
        if len(records):
            tables["records"] = records
        return [write_table(frame, folder / f"{name}.parquet") for name, frame in tables.items()]
