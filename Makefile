# Quick start: `make run` (dashboard on the bundled seed case) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench compare clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dashboard,test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run dashboard/app.py --server.headless true --browser.gatherUsageStats false

compare: $(STAMP)
	$(BIN)/resectsim compare seed-case --reps 2000 --seed 2018

test: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n 2

bench: $(STAMP)
	PYTHONPATH=. $(BIN)/python benchmarks/bench.py
	PYTHONPATH=. $(BIN)/python benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis tests/artifacts
