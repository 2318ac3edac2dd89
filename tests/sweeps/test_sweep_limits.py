"""Caps on sweep work: ``sweep check`` reports simulated operations, time and disk, and refuses a
sweep over the limits unless forced; local workers at most the cores; the seed fits the database.
The absurd specs run in real processes under ``prlimit`` and ``timeout``."""

import os
import subprocess

from helpers import CLI_ENV
from sweep_helpers import VENV_BIN, write_spec

from simulation.runs.limits import cores
from simulation.sweeps.budget import MAX_OPERATIONS

ABUSE = ["prlimit", "--as=4000000000", "timeout", "-s", "KILL", "120"]


def _sweep(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*ABUSE, str(VENV_BIN / "resectsim"), "sweep", *map(str, args)], capture_output=True, text=True,
                          timeout=150, env={**os.environ, **CLI_ENV})


def _errors(result) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_a_two_trillion_operation_sweep_is_reported_and_refused(tmp_path):
    spec = write_spec(tmp_path, name="enormous", design="latin-hypercube", samples=1_000_000, replications=1_000_000)
    result = _sweep("check", spec)
    assert result.returncode == 2
    assert "2,000,000,000,000 simulated operations (1,000,000 points)" in result.stdout
    assert "operations per second per worker" in result.stdout and "on disk" in result.stdout
    errors = _errors(result)
    assert any(f"over the limit of {MAX_OPERATIONS:,}" in e and "--force" in e for e in errors), errors
    assert any("memory budget" in e for e in errors), errors  # a million replications per point: not even with --force
    forced = _sweep("check", spec, "--force")
    assert forced.returncode == 2 and [e for e in _errors(forced) if "memory budget" in e] == _errors(forced)


def test_a_large_sweep_runs_only_when_forced(tmp_path):
    spec = write_spec(tmp_path, name="large", design="latin-hypercube", samples=300_000, replications=200)
    refused = _sweep("run", spec, "--db", tmp_path / "r.duckdb", "--workers", 1)
    assert refused.returncode == 2 and "--force" in _errors(refused)[0]
    assert not (tmp_path / "r.duckdb").exists()  # refused before the database was touched
    assert _sweep("check", spec, "--force").returncode == 0


def test_a_small_sweep_reports_its_cost():
    result = _sweep("check", "seed-case-one-way")
    assert result.returncode == 0, result.stderr
    assert "5,200 simulated operations (13 points)" in result.stdout and result.stdout.rstrip().endswith("ok")


def test_local_workers_are_capped_at_the_cores(tmp_path):
    spec = write_spec(tmp_path)
    for backend in ([], ["--dask", "local"]):
        result = _sweep("run", spec, "--db", tmp_path / "w.duckdb", "--workers", 1000, *backend)
        assert result.returncode == 2 and f"at most {cores()}" in _errors(result)[0]


def test_the_seed_must_fit_a_signed_64_bit_integer(tmp_path):
    too_big = _sweep("check", write_spec(tmp_path, name="big-seed", seed=2**64))
    assert too_big.returncode == 2
    (line,) = _errors(too_big)
    assert "seed" in line and "9223372036854775808" in line
    assert _sweep("check", write_spec(tmp_path, name="top-seed", seed=2**63 - 1)).returncode == 0
