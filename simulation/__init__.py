"""ResectSim: discrete-event Monte Carlo model of single- vs multi-stage en bloc spine tumour resection.

A decision-support and education tool, not a validated clinical prediction rule.

Data flows one way, and the folders show it (nothing imports upward):

    scenario/  files -> validated, frozen ``Scenario``; the record contract; errors
    model/     one replication: random streams, plan, sampling, the SimPy ``Operation``, outcomes
    runs/      many replications, summaries, paired differences, precision control
    evidence/  the source or assumption of every number, and PSA widening
    validation/ and sweeps/   the model against published cohorts; parameter sweeps
    present/   one wording for every view;   checks.py: any file -> its kind;   cli/: the command

Uncertainty: ``uncertainty(scenario)`` reads the stored posterior (or a centre's profile, or fixed
parameters) for ``run(..., uncertainty=u.uncertainty, note=u.note)``; ``honest_summary`` and
``honest_differences`` split each interval into Monte Carlo, patient, centre and parameter parts;
``probability_best`` runs parameter draws x patients.

This module names the public API; ``tests/package/test_architecture.py`` pins it.
"""

from importlib.metadata import PackageNotFoundError, version

from .calibration.centre import CentreProfile, load_profile
from .calibration.uncertainty import RunUncertainty
from .calibration.uncertainty import for_run as uncertainty
from .checks import check_file
from .present.formats import MAIN_STRATEGIES
from .runs.analysis import paired_differences, summarise
from .runs.precision import Precision, run_to_precision
from .runs.runner import Results, run, trace
from .runs.uncertainty import honest_differences, honest_summary, probability_best
from .scenario.errors import ScenarioError
from .scenario.loader import BUNDLED, bundled, load_scenario
from .scenario.patient import Patient
from .scenario.procedure import Strategy
from .scenario.records import RESULT_FIELDS
from .scenario.schema import Scenario

try:
    __version__ = version("resectsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "BUNDLED", "MAIN_STRATEGIES", "RESULT_FIELDS", "CentreProfile", "Patient", "Precision", "Results", "RunUncertainty",
    "Scenario", "ScenarioError", "Strategy", "__version__", "bundled", "check_file", "honest_differences",
    "honest_summary", "load_profile", "load_scenario", "paired_differences", "probability_best", "run",
    "run_to_precision", "summarise", "trace", "uncertainty",
]
