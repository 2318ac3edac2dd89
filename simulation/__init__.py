"""ResectSim: discrete-event Monte Carlo model of single- vs multi-stage en bloc spine tumour resection.

A decision-support and education tool, not a validated clinical prediction rule.

Data flows one way: scenario files -> ``Scenario`` -> SimPy ``Operation`` per (strategy,
replication) -> per-replication records -> summaries -> views.
"""

from importlib.metadata import PackageNotFoundError, version

from .checks import check_file
from .present.formats import MAIN_STRATEGIES
from .runs.runner import Results, run, trace
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
    "BUNDLED", "MAIN_STRATEGIES", "RESULT_FIELDS", "Patient", "Results", "Scenario", "ScenarioError", "Strategy",
    "bundled", "check_file", "load_scenario", "run", "trace", "__version__",
]
