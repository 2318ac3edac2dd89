"""ResectSim: discrete-event Monte Carlo model of single- vs multi-stage en bloc spine tumour resection.

A decision-support and education tool, not a validated clinical prediction rule.

Data flows one way: scenario files -> ``Scenario`` -> SimPy ``Operation`` per (strategy,
replication) -> per-replication records -> summaries -> views.
"""

from importlib.metadata import PackageNotFoundError, version

from .loader import BUNDLED, MAIN_STRATEGIES, ScenarioError, bundled, check_file, load_scenario
from .outcomes import RESULT_FIELDS
from .runner import Results, run, trace
from .scenario import Patient, Scenario, Strategy

try:
    __version__ = version("resectsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "BUNDLED", "MAIN_STRATEGIES", "RESULT_FIELDS", "Patient", "Results", "Scenario", "ScenarioError", "Strategy",
    "bundled", "check_file", "load_scenario", "run", "trace", "__version__",
]
