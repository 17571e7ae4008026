# The README's two commands: `make demo` and `make test`. Each creates .venv and installs the
# project into it first, so a fresh machine needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test figures bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The main job: the heed-rate-vs-rivalry sweep, its statistics and its figures.
demo: $(STAMP)
	$(BIN)/warnsim sweep experiments/rivalry_heed.toml
	$(BIN)/warnsim analyze results/rivalry_heed
	$(BIN)/warnsim plot results/rivalry_heed

# Every paper experiment: sweep (resuming), analyze, plot. SWEEP_FLAGS=--force starts over.
figures: $(STAMP)
	WARNSIM=$(BIN)/warnsim bash scripts/figures.sh $(SWEEP_FLAGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q -rs -n 2 tests

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_sweep.py

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/python -m pip install --quiet mypy
	$(BIN)/mypy sim --ignore-missing-imports

clean:
	rm -rf $(VENV) build *.egg-info
