"""resectsim calibrate: bad input gives one error line per problem and exit status 2, before any simulation."""

import yaml
from typer.testing import CliRunner

from simulation.cli.app import app

runner = CliRunner()


def test_a_missing_target_folder_is_one_line(tmp_path):
    result = runner.invoke(app, ["calibrate", "--targets", str(tmp_path / "nope"), "--db", str(tmp_path / "d.duckdb")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope'}: no such folder of target files"]


def test_bad_target_files_are_reported_together(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"name": "a", "cohort": "nope", "case_mix": {}, "definitions": {}}))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"name": "b", "cohort": "huang-2018", "case_mix": {"levels": 0},
                                                     "definitions": {}}))
    result = runner.invoke(app, ["calibrate", "--targets", str(tmp_path), "--db", str(tmp_path / "d.duckdb")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert "a.yaml: cohort: unknown cohort" in lines[0] and "b.yaml: case_mix.levels" in lines[1]
    assert not (tmp_path / "d.duckdb").exists()


def test_the_posterior_must_be_parquet(tmp_path):
    result = runner.invoke(app, ["calibrate", "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2 and "give a .parquet file" in result.stderr


def test_a_posterior_in_a_missing_folder_fails_before_any_work(tmp_path):
    result = runner.invoke(app, ["calibrate", "--out", str(tmp_path / "nope" / "p.parquet"), "--db", str(tmp_path / "d.duckdb")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "d.duckdb").exists()
