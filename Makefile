# Quick start: `make run` (dashboard on the bundled seed case) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench compare calibrate clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dashboard,calibration,test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/resectsim dashboard

compare: $(STAMP)
	$(BIN)/resectsim compare seed-case --reps 2000 --seed 2018

test: lint
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check simulation dashboard tests benchmarks

bench: $(STAMP)
	PYTHONPATH=. $(BIN)/python benchmarks/bench.py
	PYTHONPATH=. $(BIN)/python benchmarks/bench_sweep.py

# The full calibration (at most 30 minutes on 2 cores; resumable): rewrites scenarios/calibration/posterior-v1.parquet
# and the report in results/calibration-report. Re-run whenever the model or the targets change.
calibrate: $(STAMP)
	$(BIN)/resectsim calibrate --workers 2 --report results/calibration-report --sbc 5

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis tests/artifacts

# Nightly-size fuzz run (issue 14): several hundred hostile scenario files through `check`,
# `compare` and the dashboard's upload loader, each under prlimit and a timeout; prints the tally
# (also in tests/artifacts/fuzz/tally.md). FUZZ_FILES, FUZZ_SEED, FUZZ_JOBS, FUZZ_TIMEOUT override.
.PHONY: fuzz
fuzz: $(STAMP)
	FUZZ_FILES=$${FUZZ_FILES:-400} $(BIN)/python -m tests.fuzz.tally
