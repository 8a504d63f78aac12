# The two commands of the README, plus the one that produces the notebooks' stored outputs.
#   make book       build the rendered book into _build/html (from the stored outputs)
#   make test       unit tests + nbval re-execution of every notebook
#   make notebooks  re-run every chapter top to bottom with its real settings, storing the outputs
#                   (or some: make notebooks NOTEBOOKS="notebooks/02-rnn-scratch.ipynb")
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

.PHONY: venv book test notebooks clean

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
test: venv
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval-sanitize.cfg --nbval-cell-timeout=900 --durations=10

notebooks: venv
	@for nb in $(NOTEBOOKS); do \
	    start=$$(date +%s); \
	    env -u D2LMINI_MAX_EPOCHS $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	        --ExecutePreprocessor.timeout=3600 "$$nb" || exit 1; \
	    echo "$$nb: $$(( $$(date +%s) - start )) s"; \
	done

clean:
	rm -rf _build .pytest_cache
