# The two commands of the README, plus the one that produces the notebooks' stored outputs.
#   make book       build the rendered book into _build/html (from the stored outputs)
#   make diagrams   redraw the book's diagrams (book/figures/*.svg) from tools/diagrams.py
#   make git-nbdiff let git diff show notebooks as cells and outputs (nbdime; done by make venv too)
#   make test       unit tests + nbval re-execution of every notebook, then the book build and the
#                   browser checks of every built page (make browser-test)
#   make browser-test  build the book, then open every page of _toc.yml in headless Chromium;
#                   screenshots in _build/screenshots
#   make notebooks  re-run every chapter top to bottom with its real settings, storing the outputs
#                   (or some: make notebooks NOTEBOOKS="notebooks/04-rnn-scratch.ipynb")
#   make benchmarks speed, memory and quality benchmarks into benchmarks/results (~25 min on a 2-core CPU;
#                   a smoke run: make benchmarks BENCH_ARGS=--quick; all options: python -m benchmarks --help)
#   make platform-check  do the pinned requirements (and .binder's) resolve to wheels for Python 3.11 on
#                   linux x86_64, linux aarch64 and macOS x86_64? (needs the package index, ~20 s)
#   make binder-check  replay Binder's build of .binder/ in a fresh environment and run a chapter
#                   in it (needs the package index; ~10 min, ~1.3 GB in _build/binder-check)
#   make gpu-check  on an NVIDIA GPU box: unit tests, nbval of every notebook and a short GPU benchmark
#                   with a CUDA build of MXNet, in under 10 minutes; report in _build/gpu-check/report.md
#
# Set-up is part of every target (tools/bootstrap.sh): the first run creates .venv from requirements.txt;
# a missing system package (python3.11-venv, libgomp1, Chromium, ...) is installed with apt-get as root or
# with passwordless sudo, or make stops at once with one line naming the command (SYSTEM_INSTALL=no: never
# install, only say). Variables:
#   PYTHON=/path/to/python3.11   the Python for .venv (default: python3.11, 3.10, 3.9, then the
#                   distribution's python3.11, then uv with a managed Python 3.11)
#   MXNET=mxnet-cu117            a CUDA build of MXNet instead of the CPU one (remembered in .venv/.mxnet;
#                   MXNET=mxnet switches back); the CUDA 11 libraries come from NVIDIA's pip wheels

PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
INSTALLED_MXNET := $(shell cat $(VENV)/.mxnet 2>/dev/null)
MXNET ?= $(or $(INSTALLED_MXNET),mxnet)
export PYTHON MXNET VENV SYSTEM_INSTALL
# On Ampere and later GPUs cuBLAS/cuDNN (MXNet's fused RNN) may compute FP32 products in TF32;
# every kernel started by make computes in full FP32. (No effect on a CPU.)
export NVIDIA_TF32_OVERRIDE ?= 0
# Use the checked copies of the corpora in ../shared/data when they are there (as in CI);
# otherwise d2lmini downloads them into its cache on first use. This is the one place that knows
# the folder: the tests, the benchmarks and .ci/run read D2LMINI_DATA from the environment.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/SHA1SUMS),)
export D2LMINI_DATA ?= $(SHARED_DATA)
endif
# Ubuntu's Chromium is a snap; tests/browser finds it through these variables.
ifeq ($(wildcard /usr/bin/chromium),)
ifneq ($(wildcard /snap/bin/chromium.chromedriver),)
export CHROMIUM ?= /snap/bin/chromium
export CHROMEDRIVER ?= /snap/bin/chromium.chromedriver
endif
endif

NOTEBOOKS ?= $(wildcard notebooks/*.ipynb)
# make test runs this many test processes; MXNet uses one core per process on a 2-core machine.
TEST_WORKERS ?= 2
# make gpu-check uses the CUDA build given by MXNET, or mxnet-cu117 (the newest CUDA 11 build of 1.9.1).
GPU_MXNET := $(if $(filter mxnet,$(MXNET)),mxnet-cu117,$(MXNET))

.PHONY: venv git-nbdiff book diagrams test browser-test system-deps browser-deps notebooks benchmarks platform-check binder-check gpu-check clean FORCE

venv: $(VENV)/.installed

# .venv is (re)installed when requirements.txt or pyproject.toml changed, or MXNET names another build.
ifneq ($(MXNET),$(or $(INSTALLED_MXNET),mxnet))
$(VENV)/.installed: FORCE
endif
$(VENV)/.installed: requirements.txt pyproject.toml
	@tools/bootstrap.sh venv
	@$(MAKE) --no-print-directory git-nbdiff

# In a git clone: nbdime (from requirements.txt) as git's diff driver for *.ipynb, which .gitattributes
# names, so that git diff and git log -p show a notebook's cells and outputs rather than its JSON
# (git diff --no-ext-diff shows the JSON). Written into this clone's .git/config only.
git-nbdiff:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	    git config diff.jupyternotebook.command "$(abspath $(BIN))/git-nbdiffdriver diff"; fi

# What make test needs from the system (Python and its venv module, mxnet's libraries, Chromium and
# its driver), checked (or installed) before anything long runs; all that is missing in one line.
system-deps:
	@tools/bootstrap.sh system

browser-deps:
	@tools/bootstrap.sh browser

book: venv
	rm -rf _build/html
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html: open $(CURDIR)/_build/html/index.html"

# nbval cuts training to D2LMINI_MAX_EPOCHS epochs of at most D2LMINI_MAX_BATCHES minibatches (conftest.py:
# 1 and 10); every cell still runs.
# The browser checks need the built book, so they are left out of the first run and come last.
# Three runs, so that each prints its own wall time: unit tests, notebooks, rendered pages.
# TEST_WORKERS processes (pytest-xdist) share the work; a notebook stays in one process (loadfile).
test: system-deps venv
	$(BIN)/python -m pytest tests --ignore=tests/browser --durations=5 -n $(TEST_WORKERS)
	$(BIN)/python -m pytest notebooks --nbval --nbval-current-env -n $(TEST_WORKERS) --dist loadfile \
	    --nbval-sanitize-with tests/nbval-sanitize.cfg --nbval-cell-timeout=900 --durations=10
	$(MAKE) browser-test

# Every page of _toc.yml in headless Chromium: title, typeset math, images, notebook cells and
# outputs, internal links, nothing fetched from the network. Full-page screenshots: _build/screenshots/.
browser-test: browser-deps book
	$(BIN)/python -m pytest tests/browser

# Runs each notebook in a fresh kernel with training at full length, stores the outputs, and records
# when, how long and on which device in the notebook (shown on the book's execution status page).
notebooks: venv
	$(BIN)/python -m tools.run_notebooks $(NOTEBOOKS)

# The diagrams of the chapters are drawn by code (matplotlib), the same bytes on every run;
# tests/test_diagrams.py checks that book/figures holds exactly what the script draws.
diagrams: venv
	$(BIN)/python tools/diagrams.py

benchmarks: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

platform-check: venv
	$(BIN)/python tools/check_platforms.py $(PLATFORM_ARGS)

# The corpora come from D2LMINI_DATA (exported above) when ../shared/data is there, else the network.
binder-check:
	tools/check_binder.sh $(CURDIR)/_build/binder-check $(or $(PYTHON),python3.11)

gpu-check:
	$(MAKE) venv MXNET=$(GPU_MXNET)
	$(BIN)/python tools/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf _build .pytest_cache

FORCE:
