"""Result files: stale temporaries of killed writers are cleaned up (only ours, only stale, never a
live writer's), and a run's records and stage rows replace their files together, also when the
writing process is killed (real subprocesses, SIGKILL)."""

import fcntl
import os
import signal
import subprocess
import time

import pandas as pd
import pytest
from helpers import CLI_ENV, COMMAND

from simulation.runs import files
from simulation.runs.files import remove_stale_temporaries, write_table, write_tables

OLD = time.time() - 3600  # an hour before this test process started


def _leftover(folder, name, when=OLD):
    path = folder / name
    path.write_bytes(b"half a parquet file")
    os.utime(path, (when, when))
    return path


def test_only_stale_temporaries_of_our_pattern_are_removed(tmp_path):
    stale = _leftover(tmp_path, ".records.parquet.0123abcd.tmp")
    other_target = _leftover(tmp_path, ".stages.csv.deadbeef.tmp")
    young = _leftover(tmp_path, ".records.parquet.89abcdef.tmp", when=time.time() + 5)  # after this process started
    not_ours = [_leftover(tmp_path, n) for n in (".records.parquet.0123ABCD.tmp", "records.parquet.0123abcd.tmp",
                                                  ".records.parquet.0123abc.tmp", ".records.parquet.0123abcd.tmp.bak", "notes.tmp")]
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "new.csv")
    assert not stale.exists() and not other_target.exists()
    assert young.exists() and all(p.exists() for p in not_ours)
    assert (tmp_path / "new.csv").read_text() == "a\n1\n"


def test_a_live_writers_temporary_is_kept(tmp_path):
    held = _leftover(tmp_path, ".records.parquet.00112233.tmp")
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a writer in another process holds it
        assert remove_stale_temporaries(tmp_path) == []
        assert held.exists()
    finally:
        os.close(fd)
    assert remove_stale_temporaries(tmp_path) == [held] and not held.exists()


def test_a_failed_second_rename_leaves_no_new_records_beside_old_stage_rows(tmp_path, monkeypatch):
    records, stages = tmp_path / "r.csv", tmp_path / "s.csv"
    write_tables((pd.DataFrame({"run": ["old"]}), records), (pd.DataFrame({"run": ["old"]}), stages))
    real = os.replace
    calls = []

    def replace_then_fail(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error", str(dst))
        real(src, dst)

    monkeypatch.setattr(files.os, "replace", replace_then_fail)
    with pytest.raises(OSError):
        write_tables((pd.DataFrame({"run": ["new"]}), records), (pd.DataFrame({"run": ["new"]}), stages))
    assert pd.read_csv(records).run.tolist() == ["new"] and not stages.exists()  # never new beside old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def _consistent(records, stages) -> bool:
    """A stage file, if there is one, belongs to the records file beside it."""
    if not stages.exists():
        return True
    r, s = pd.read_parquet(records), pd.read_parquet(stages)
    return set(s.replication) == set(r.replication)


def _cli(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen(["timeout", "-s", "KILL", "180", *COMMAND, *map(str, args)], env={**os.environ, **CLI_ENV},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kw)


def _temporaries(folder):
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_killing_run_at_any_moment_never_pairs_new_records_with_old_stage_rows(tmp_path):
    records, stages = tmp_path / "r.parquet", tmp_path / "s.parquet"
    run = ["run", "seed-case", "-s", "posterior-only", "--out", records, "--stages", stages]
    assert _cli(*run, "--reps", "20").wait(timeout=200) == 0
    left = []
    for after in (0.0, 0.7, 1.5):  # seconds after its temporaries appear: mid-run, mid-write
        proc = _cli(*run, "--reps", "3000", "--seed", "7")
        deadline = time.monotonic() + 150
        while not _temporaries(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert records.exists() and _consistent(records, stages)
        left += _temporaries(tmp_path)
    assert left  # the kills left temporaries behind...
    assert _cli(*run, "--reps", "20").wait(timeout=200) == 0  # ...which the next run's writes remove
    assert not _temporaries(tmp_path) and _consistent(records, stages) and len(pd.read_parquet(records)) == 20
