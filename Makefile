# Two commands from a bare clone:  make lab   (set up, open the course)   make test   (set up, run every test)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_PORT ?= 8888
# More options for `jupyter lab`, e.g. make lab LAB_ARGS="--ip=127.0.0.1 --IdentityProvider.token=..."
LAB_ARGS ?=
# nbgrader's exchange for one machine: the folder c.Exchange.root names in nbgrader_config.py (keep the two alike).
EXCHANGE := exchange
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab lab-settings exchange test lint setup notebooks release grade hub hub-tools student-bundle bench bench-hub gpu-check sandbox-tools browser-tools postgres-tools check-python clean help

help:
	@echo "make lab    set up .venv and open the course in JupyterLab (nbgrader extension on: formgrader,"
	@echo "            assignment list; port LAB_PORT=8888, more jupyter options in LAB_ARGS=\"...\")"
	@echo "make test   set up .venv and run the whole test suite (make lint first: ruff, and no noqa without a reason)"
	@echo "make hub    JupyterHub for a class on this machine, demo accounts (as root; HUB_PORT=8000)"
	@echo "make notebooks  rebuild source/*/*.ipynb from their percent-format .py (contributors)"
	@echo "make exchange   create $(EXCHANGE)/, the course's nbgrader exchange on this machine (make lab does it;"
	@echo "                needed before nbgrader list/fetch_assignment/submit/collect in a shell)"
	@echo "make release    rebuild the notebooks and regenerate release/ with nbgrader (instructors)"
	@echo "make grade      grade every submission in submitted/ (or FROM=download.zip), JOBS=N in parallel"
	@echo "make student-bundle   write dist/backprop-course-student.zip for students"
	@echo "make bench      speed against peers (own venv with PyTorch); never part of make test"
	@echo "make bench-hub  a deadline rush on a real hub: 200 students' practice feedback in 10 minutes (as root, ~12 min)"
	@echo "make gpu-check  on a machine with an NVIDIA GPU: CuPy into .venv, tests/gpu and benchmarks/gpu.py,"
	@echo "                results in GPU_CHECK_OUT (default reports/gpu); GPU_PYTHON=python3 uses a CUDA image's Python"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: Python 3.11 or newer is needed (found: $(PYTHON)). Install python3.11 and retry, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "error: $(PYTHON) lacks venv/ensurepip; on Debian: apt-get install python3-venv" >&2; exit 1; }

$(STAMP): requirements.txt pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# The venv's bin/ goes first on PATH for the server: nbgrader runs some tools by name (alembic, when
# the formgrader creates gradebook.db), and the server's terminals should find the course's tools.
lab: $(STAMP) exchange lab-settings
	$(BIN)/jupyter labextension list 2>&1 | grep -E "nbgrader|widgets"
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --no-browser --port=$(LAB_PORT) \
	  --ServerApp.root_dir=$(CURDIR) $(ALLOW_ROOT) $(LAB_ARGS)

# JupyterLab's defaults for this course (no news pop-up over the figures): the application
# settings overrides of the venv's JupyterLab; a student's own settings still win.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
lab-settings: $(LAB_OVERRIDES)
$(LAB_OVERRIDES): deploy/jupyterlab/overrides.json $(STAMP)
	mkdir -p $(dir $@) && cp $< $@

# nbgrader wants the exchange to exist and be writable by everyone (mode 0777: what its
# release_assignment sets; list, fetch, submit and collect refuse to run without it).
exchange:
	@mkdir -p $(EXCHANGE) && chmod 0777 $(EXCHANGE)

test: $(STAMP) lint sandbox-tools browser-tools postgres-tools hub-tools
	$(BIN)/python -m pytest -n 2 --dist loadfile

# ruff (pinned in requirements.txt; rules in pyproject.toml), and every noqa says why it is there.
lint: $(STAMP)
	$(BIN)/ruff check --quiet .
	@! grep -rnE --include=*.py "# noqa(: *[A-Z0-9, ]+)? *$$" autograder course tests benchmarks deploy nbgrader_config.py \
	  || { echo "error: a noqa above names no reason: add one after ' - '" >&2; exit 1; }

notebooks: $(STAMP)
	$(BIN)/python -m autograder.authoring build

# release/ is committed: regenerate it from source/ whenever a notebook changes (a test checks).
release: notebooks
	rm -rf release
	for dir in source/*/; do name=$$(basename $$dir); \
	  $(BIN)/nbgrader generate_assignment $$name --no-db --force --log-level=WARN || exit 1; done

# The grader's sandbox needs bubblewrap (and util-linux's prlimit, setpriv, unshare); install them when missing.
sandbox-tools:
	@command -v bwrap >/dev/null && command -v prlimit >/dev/null && command -v setpriv >/dev/null && command -v unshare >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap util-linux >/dev/null; \
	  else echo "error: bubblewrap is missing; install it (Debian: sudo apt-get install bubblewrap)" >&2; exit 1; fi; }

# The browser tests (tests/browser) drive Debian's Chromium with Playwright; never a downloaded browser.
# Install it when missing; where that is impossible, say so: those tests then skip, saying why.
CHROMIUM ?= /usr/bin/chromium
browser-tools:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	    echo "warning: could not install chromium with apt-get; the browser tests will be skipped" >&2; \
	  else echo "warning: $(CHROMIUM) is missing; the browser tests will be skipped (Debian: sudo apt-get install chromium)" >&2; fi; }

# The PostgreSQL gradebook tests start a throw-away cluster of Debian's postgresql; install it when
# missing. Where that is impossible, say so: those tests then skip, saying why (CI fails instead).
postgres-tools:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || \
	    echo "warning: could not install postgresql with apt-get; the PostgreSQL tests will be skipped" >&2; \
	  else echo "warning: PostgreSQL is missing; the PostgreSQL tests will be skipped (Debian: sudo apt-get install postgresql)" >&2; fi; }

# The hub's proxy, configurable-http-proxy, comes from npm at the version deploy/jupyterhub/package-lock.json
# pins; Node.js comes from Debian when missing. Where that is impossible, say so: the hub tests then skip
# (CI fails instead).
HUB_PROXY := deploy/jupyterhub/node_modules/.bin/configurable-http-proxy
HUB_PORT ?= 8000
hub-tools:
	@test -x $(HUB_PROXY) || { \
	  command -v npm >/dev/null || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; fi; }; \
	  { command -v npm >/dev/null && (cd deploy/jupyterhub && npm ci --no-audit --no-fund --loglevel=error); } || \
	  echo "warning: could not install configurable-http-proxy (needs Node.js and npm: Debian apt-get install nodejs npm); the hub tests will be skipped" >&2; }

# A class on this machine: JupyterHub in demo mode with an instructor and two students (run as root).
hub: $(STAMP) sandbox-tools hub-tools
	$(BIN)/python deploy/jupyterhub/demo.py --port $(HUB_PORT)

grade: $(STAMP) sandbox-tools
	$(BIN)/python -m autograder grade $(if $(FROM),--from $(FROM)) $(if $(JOBS),--jobs $(JOBS)) $(ASSIGNMENTS)

student-bundle: $(STAMP)
	$(BIN)/python -m autograder bundle

# Benchmarks get their own venv: PyTorch is a peer to measure against, not a course dependency.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: requirements.txt benchmarks/requirements.txt pyproject.toml | check-python
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade "pip==25.3"
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements.txt -r benchmarks/requirements.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for old OpenBLAS builds; they slow current
# NumPy's matmul (about 1.7x here), so the NumPy timings run without them, as on a user's machine.
# In this command only: never in tests or CI.
BENCH_BLAS_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
bench: $(BENCH_VENV)/.installed sandbox-tools
	$(BENCH_BLAS_ENV) $(BENCH_VENV)/bin/python benchmarks/vectorization.py
	$(BENCH_BLAS_ENV) $(BENCH_VENV)/bin/python benchmarks/training.py
	$(BENCH_VENV)/bin/python benchmarks/widgets.py
	$(BENCH_VENV)/bin/python benchmarks/grading.py
	$(BENCH_VENV)/bin/python benchmarks/hung_cells.py
	$(BENCH_BLAS_ENV) $(BENCH_VENV)/bin/python benchmarks/capstone_bars.py
	$(BENCH_VENV)/bin/python benchmarks/similarity.py
	$(BENCH_VENV)/bin/python benchmarks/gpu.py

# A deadline rush on a real hub (benchmarks/practice_rush.py): the hub, its proxy, the exchange and the practice
# grading service on loopback, as `make hub` runs them (as root); about 12 minutes. STUDENTS=20 MINUTES=1: quick.
STUDENTS ?= 200
MINUTES ?= 10
bench-hub: $(STAMP) sandbox-tools hub-tools
	$(BIN)/python benchmarks/practice_rush.py --students $(STUDENTS) --minutes $(MINUTES)

# One go on a GPU machine: the reference and the GPU cells of notebooks 04 and 08 on CuPy against
# NumPy (tests/gpu; they skip, with the reason, where no GPU is usable), then the GPU benchmark.
# GPU_PYTHON names an interpreter that already holds CuPy and the course's needs (a CUDA image)
# instead of .venv plus requirements-gpu.txt.
GPU_CHECK_OUT ?= reports/gpu
GPU_PYTHON ?=
gpu-check: $(if $(GPU_PYTHON),,$(STAMP))
	@mkdir -p $(GPU_CHECK_OUT)
	$(if $(GPU_PYTHON),,$(BIN)/python -m pip install --quiet -r requirements-gpu.txt)
	@set -o pipefail; PY="$(or $(GPU_PYTHON),$(BIN)/python)"; export PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}"; \
	  $$PY -c 'from course import backend; print(backend.gpu_status())' | tee $(GPU_CHECK_OUT)/status.txt && \
	  $$PY -m pytest tests/gpu -p no:cacheprovider -q -rs -s --junitxml=$(GPU_CHECK_OUT)/tests.xml 2>&1 \
	    | tee $(GPU_CHECK_OUT)/tests.log && \
	  $$PY benchmarks/gpu.py 2>&1 | tee $(GPU_CHECK_OUT)/benchmark.log
	@echo "GPU check: results in $(GPU_CHECK_OUT)/"

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache deploy/jupyterhub/node_modules
