"""An installed (not editable) ResectSim is whole: the wheel carries the bundled scenarios and the
dashboard, its package list matches the folders, and the installed command runs from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _package_folders(top: str) -> set[str]:
    return {".".join(p.relative_to(ROOT).parts) for p in (ROOT / top).rglob("*")
            if p.is_dir() and any(p.glob("*.py")) and "__pycache__" not in p.parts}


def test_the_package_list_names_every_folder_of_code():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert listed == _package_folders("simulation") | _package_folders("dashboard") | {"simulation", "dashboard",
                                                                                        "simulation.bundled"}
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"simulation.bundled": "scenarios"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (found,) = out.glob("resectsim-*.whl")
    return found


def test_the_wheel_carries_the_scenarios_and_the_dashboard(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {f"simulation/bundled/{p.relative_to(ROOT / 'scenarios').as_posix()}"
               for p in (ROOT / "scenarios").rglob("*.yaml")}
    assert bundled <= names
    assert {"dashboard/app.py", "dashboard/views/1_Compare.py", "simulation/cli/app.py"} <= names
    assert not any(n.startswith("tests/") for n in names)


def test_the_installed_command_runs_from_the_root_folder(wheel, tmp_path):
    """Installed into a folder of its own (dependencies from this environment), run from ``/``."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "200"}
    env.pop("RESECTSIM_SCENARIOS", None)
    where = subprocess.run(
        [sys.executable, "-c", "import simulation; from simulation import BUNDLED; print(simulation.__file__); print(BUNDLED)"],
        capture_output=True, text=True, cwd="/", env=env, check=True).stdout.split()
    assert where == [str(target / "simulation" / "__init__.py"), str(target / "simulation" / "bundled")]
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "compare", "seed-case", "--reps", "50"],
                          capture_output=True, text=True, cwd="/", env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Single stage, three exposures" in done.stdout and "Traceback" not in done.stderr
