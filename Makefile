# The two commands of the README, plus the one that produces the notebooks' stored outputs.
#   make book       build the rendered book into _build/html (from the stored outputs)
#   make test       unit tests + nbval re-execution of every notebook, then the book build and the
#                   browser checks of every built page (make browser-test)
#   make browser-test  build the book, then open every page of _toc.yml in headless Chromium
#                   (needs: apt-get install -y chromium chromium-driver); screenshots in _build/screenshots
#   make notebooks  re-run every chapter top to bottom with its real settings, storing the outputs
#                   (or some: make notebooks NOTEBOOKS="notebooks/04-rnn-scratch.ipynb")
#   make benchmarks speed, memory and quality benchmarks into benchmarks/results (~25 min on a 2-core CPU;
#                   a smoke run: make benchmarks BENCH_ARGS=--quick; all options: python -m benchmarks --help)
# Each target creates .venv from requirements.txt first if needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Use the checked copies of the corpora in ../shared/data when they are there (as in CI);
# otherwise d2lmini downloads them into its cache on first use.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/SHA1SUMS),)
export D2LMINI_DATA ?= $(SHARED_DATA)
endif

NOTEBOOKS ?= $(wildcard notebooks/*.ipynb)

.PHONY: venv book test browser-test notebooks benchmarks clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert (3, 9) <= sys.version_info[:2] <= (3, 11), "Python 3.9-3.11 is needed (mxnet 1.9.1); set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $@

book: venv
	rm -rf _build/html
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html: open $(CURDIR)/_build/html/index.html"

# nbval cuts training to D2LMINI_MAX_EPOCHS epochs (set in conftest.py, default 1); every cell still runs.
# The browser checks need the built book, so they are left out of the first run and come last.
# Three runs, so that each prints its own wall time: unit tests, notebooks, rendered pages.
test: venv
	$(BIN)/python -m pytest tests --ignore=tests/browser --durations=5
	$(BIN)/python -m pytest notebooks --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval-sanitize.cfg --nbval-cell-timeout=900 --durations=10
	$(MAKE) browser-test

# Every page of _toc.yml in headless Chromium: title, typeset math, images, notebook cells and
# outputs, internal links, nothing fetched from the network. Full-page screenshots: _build/screenshots/.
browser-test: book
	$(BIN)/python -m pytest tests/browser

# Runs each notebook in a fresh kernel with training at full length, stores the outputs, and records
# when, how long and on which device in the notebook (shown on the book's execution status page).
notebooks: venv
	$(BIN)/python book/_ext/run_notebooks.py $(NOTEBOOKS)

benchmarks: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf _build .pytest_cache
