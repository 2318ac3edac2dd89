"""The stored posterior file: provenance travels in the Parquet metadata; other files are refused."""

import pandas as pd
import pytest

from simulation.calibration.posterior import FORMAT_VERSION, posterior_draws, provenance, write_posterior


def test_draws_and_provenance_round_trip(tmp_path):
    frame = pd.DataFrame({"chain": [0, 0, 1], "draw": [0, 1, 0], "time_posterior": [1.1, 1.3, 1.2]})
    path = write_posterior(frame, tmp_path / "p.parquet", {"targets_hash": "abc", "diagnostics": {"max_r_hat": 1.004}})
    assert posterior_draws(path).equals(frame)
    info = provenance(path)
    assert info["format_version"] == FORMAT_VERSION and info["targets_hash"] == "abc" and info["diagnostics"]["max_r_hat"] == 1.004


def test_a_parquet_file_without_provenance_is_refused(tmp_path):
    path = tmp_path / "other.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(path)
    with pytest.raises(ValueError, match=r"other\.parquet: not a calibration posterior"):
        posterior_draws(path)
