# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-timing wheel-test lint docs-images bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m automl.demo

# Everything: the tests that do not assert on wall-clock time in parallel
# processes (pytest-xdist, a file's tests in one process so that its fitted
# fixtures are fitted once), then the timing tier alone on an otherwise idle machine.
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not timing" -n auto --maxprocesses 4 --dist loadfile
	$(BIN)/python -m pytest -q -m timing

# The edit-test loop: everything not marked slow, in under 3 minutes.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# The tests that assert on wall-clock time, apart (on an idle machine).
test-timing: $(STAMP)
	$(BIN)/python -m pytest -q -m timing

# Build the sdist and wheel, install the wheel in a fresh environment of every
# Python 3.10-3.13 on the machine, and use it there (tests/wheel/).
wheel-test: $(STAMP)
	$(BIN)/python -m tests.wheel

# The README's leaderboard head and plots, from one real fit.
docs-images: $(STAMP)
	$(BIN)/python docs/make_images.py

lint: $(STAMP)
	$(BIN)/ruff check automl tests benchmarks docs
	$(BIN)/ruff format --check automl tests benchmarks docs
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

benchmarks/.venv-flaml/bin/python:
	bash benchmarks/peers/setup_flaml.sh

bench-quick: $(STAMP) benchmarks/.venv-flaml/bin/python
	$(BIN)/python -m benchmarks.run --suite quick \
		--systems automl,flaml,autogluon,lightgbm,random_forest,constant \
		--budget 60 --seeds 1 --out benchmarks/results/quick-60s
	$(BIN)/python -m benchmarks.report benchmarks/results/quick-60s

clean:
	rm -rf $(VENV) build *.egg-info
