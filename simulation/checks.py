"""Any scenario file -> its kind, or the issues that make it unusable (``resectsim check``)."""

from __future__ import annotations

from pathlib import Path

from .scenario.errors import Issue, ScenarioError
from .scenario.loader import (
    BUNDLED,
    load_library,
    load_parameters,
    load_references,
    patient_from,
    read_yaml,
    strategy_from,
)


def check_file(path: str | Path, root: Path = BUNDLED) -> str:
    """Validate any scenario file; returns what it is. Raises ScenarioError."""
    path = Path(path)
    data = read_yaml(path)
    references = load_references(root)
    if path.name == "references.yaml":
        load_references(path.parent)
        return "references"
    if path.name == "parameters.yaml":
        load_parameters(path.parent, load_references(path.parent))
        return "parameters"
    if path.name == "plausibility.yaml":
        from .scenario.plausibility import load_plausibility

        load_plausibility(path.parent)
        return "plausibility bands"
    if path.name == "phases.yaml":
        load_library(path.parent)
        return "phase library"
    if isinstance(data, dict) and ("stages" in data or "extends" in data):
        strategy_from(data, str(path), load_library(root), references, root)
        return "strategy"
    if isinstance(data, dict) and "age_years" in data:
        patient_from(data, str(path), references)
        return "patient"
    if isinstance(data, dict) and "design" in data:
        from .sweeps.spec import (
            load_plan,  # here: `import simulation` need not load the sweep planner
        )

        load_plan(path, root)
        return "sweep"
    if isinstance(data, dict) and "figures" in data:
        from .validation.cohorts import (
            load_cohort,  # here: `import simulation` need not load validation
        )

        load_cohort(path, root)
        return "validation cohort"
    raise ScenarioError([Issue(str(path), "", "not a patient (age_years, ...), strategy (stages, ...), sweep "
                                              "(design, ...) or validation cohort (figures, ...) file")])
