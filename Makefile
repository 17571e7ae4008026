# The README's two commands: `make demo` and `make test`. Each creates .venv and installs the
# project into it first, so a fresh machine needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test figures validate bench lint clean chromium view screenshot docs

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

# The validation report for the defaults (results/validation/: report.md, report.html,
# validation.json, figures), resuming its studies; QUICK=1 for the quick report, which goes to
# results/validation-quick/ and never replaces the committed full one.
validate: $(STAMP)
	$(BIN)/warnsim validate $(if $(QUICK),--quick)

# The browser test drives Debian's chromium (Playwright with executable_path): install it
# when it is missing and we may (root with apt-get), as .ci/run does.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
	  || echo "make: chromium is not installed; the browser test will say so"

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -rs -n 2 tests

# The README's picture of the view: the browser test, saving its screenshot there.
screenshot: $(STAMP) chromium
	WARNSIM_SCREENSHOT=results/view/view.png $(BIN)/python -m pytest -q tests/test_view_browser.py -k real_browser

# The interactive view of one run in the browser (http://127.0.0.1:8765).
view: $(STAMP)
	$(BIN)/warnsim view

# The documentation site: built offline into site/ (strict: a broken link or a stale generated
# page fails), then served on http://127.0.0.1:$(DOCS_PORT) until Ctrl-C.
DOCS_PORT ?= 8000
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "serving site/ on http://127.0.0.1:$(DOCS_PORT) (Ctrl-C stops)"
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory site $(DOCS_PORT)

# BASELINE: the commit the model benchmark times side by side (3a2bfb7: the commit before the
# compiled engine); `make bench BASELINE=` skips the side-by-side part.
BASELINE ?= 3a2bfb7
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py $(if $(BASELINE),--baseline $(BASELINE))
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_view.py

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/python -m pip install --quiet mypy
	$(BIN)/mypy sim --ignore-missing-imports

clean:
	rm -rf $(VENV) build site *.egg-info
