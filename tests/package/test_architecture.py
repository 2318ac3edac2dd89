"""The house stays as built: no import circles, no import that runs back up a layer, a small top
level, and a pinned public API. Module-level and function-level imports both count."""

from __future__ import annotations

import ast
from pathlib import Path

import simulation

PACKAGE = Path(simulation.__file__).parent
# Lower layers first; a module may import its own folder and any folder before it, never one after.
LAYERS = ("scenario", "present", "model", "runs", "evidence", "validation", "sweeps", "calibration", "checks", "cli")
PUBLIC_API = {
    "BUNDLED", "MAIN_STRATEGIES", "RESULT_FIELDS", "CentreProfile", "Patient", "Precision", "Results", "RunUncertainty",
    "Scenario", "ScenarioError", "Strategy", "__version__", "bundled", "check_file", "honest_differences",
    "honest_summary", "load_profile", "load_scenario", "paired_differences", "probability_best", "run",
    "run_to_precision", "summarise", "trace", "uncertainty",
}


def _modules() -> dict[str, Path]:
    found = {}
    for f in PACKAGE.rglob("*.py"):
        name = ".".join(("simulation", *f.relative_to(PACKAGE).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = f
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its body (``ast``, no import executed)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for m, f in modules.items():
        package = m.split(".") if f.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join((package[: len(package) - node.level + 1] if node.level else []) + [node.module or ""]).rstrip(".")
                names = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            graph[m] |= {t for t in names if t in modules and t != m and not m.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge found by a depth-first walk, as the cycle it closes."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(v: str, path: list[str]) -> None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                found.append(path[path.index(w):] + [w])
            elif w not in state:
                visit(w, path)
        path.pop()
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            visit(v, [])
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the public API module itself


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return [(m, t) for m, targets in graph.items() for t in targets
            if _layer(m) and _layer(t) and LAYERS.index(_layer(t)) > LAYERS.index(_layer(m))]


def test_the_graph_sees_function_level_imports():
    graph = import_graph()
    assert "simulation.sweeps.spec" in graph["simulation.checks"]  # imported inside check_file
    assert "simulation.runs.analysis" in graph["simulation.cli.compare"]  # `from ..runs import analysis`


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_no_import_runs_back_up_a_layer():
    assert upward_imports(import_graph()) == []
    assert upward_imports({"simulation.model.plan": {"simulation.runs.runner"}}) == [
        ("simulation.model.plan", "simulation.runs.runner")]


def test_every_folder_is_a_known_layer_and_the_top_level_is_small():
    top = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert {p.removesuffix(".py") for p in top} == {"__init__", *LAYERS}
    assert len(top) <= 11  # ten layers and __init__.py


def test_public_api_is_pinned():
    assert set(simulation.__all__) == PUBLIC_API
    assert all(hasattr(simulation, name) for name in PUBLIC_API)
