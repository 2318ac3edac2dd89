"""File-system errors in ``sweep`` commands end in one clear line and exit status 2, never a
traceback. Tests run as root, which ignores permissions, so an unwritable place is a path through a
regular file (``/dev/null/x``); a full disk is an ENOSPC raised where every result file is synced."""

import errno

import pytest
from sweep_helpers import write_spec
from typer.testing import CliRunner

from simulation.cli.sweep import sweep_app
from simulation.runs import files
from simulation.sweeps.store import Store

UNWRITABLE = "/dev/null/x"  # its parent is a character device: no folder can be made there, even by root


def _sweep(*args):
    return CliRunner().invoke(sweep_app, [str(a) for a in args], env={"COLUMNS": "250", "NO_COLOR": "1"})


def _one_line(result, *words):
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error:") and "Traceback" not in result.output, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disk")
    spec = write_spec(folder, name="disk", replications=10)
    assert _sweep("run", spec, "--db", folder / "d.duckdb", "--workers", 1).exit_code == 0
    return spec, folder / "d.duckdb"


def test_a_database_in_an_unwritable_place(stored):
    spec, _ = stored
    _one_line(_sweep("run", spec, "--db", f"{UNWRITABLE}/r.duckdb", "--workers", 1), UNWRITABLE, "Not a directory")


def test_an_unwritable_analysis_or_export_folder(stored):
    _, db = stored
    _one_line(_sweep("analyze", "disk", "--db", db, "--out", UNWRITABLE), UNWRITABLE)
    _one_line(_sweep("export", "disk", "--db", db, "--parquet", UNWRITABLE), UNWRITABLE)


def test_a_full_disk_while_storing_records(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    spec = write_spec(tmp_path, name="full", replications=10, keep_records=True)
    db = tmp_path / "f.duckdb"
    _one_line(_sweep("run", spec, "--db", db, "--workers", 1), "No space left on device")
    info = Store(db).info("full")
    assert info["status"] == "failed" and info["points_done"] == 0  # consistent: nothing half-stored
    assert not [p for p in tmp_path.rglob("*.tmp")]
    monkeypatch.undo()
    assert _sweep("run", spec, "--db", db, "--workers", 1).exit_code == 0  # space again: it resumes
    assert Store(db).info("full")["status"] == "complete"
