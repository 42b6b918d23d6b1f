# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m automl.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check automl tests benchmarks
	$(BIN)/ruff format --check automl tests benchmarks
	$(BIN)/mypy

benchmarks/.venv-flaml/bin/python:
	bash benchmarks/peers/setup_flaml.sh

bench-quick: $(STAMP) benchmarks/.venv-flaml/bin/python
	$(BIN)/python -m benchmarks.run --suite quick \
		--systems automl,flaml,autogluon,lightgbm,random_forest,constant \
		--budget 60 --seeds 1 --out benchmarks/results/quick-60s
	$(BIN)/python -m benchmarks.report benchmarks/results/quick-60s

clean:
	rm -rf $(VENV) build *.egg-info
