# litlab: `make help` lists the targets. PYTHON defaults to the project's .venv.
PYTHON ?= .venv/bin/python
VENV_PYTHON ?= python3
# A PyTorch wheel index to take torch and torchvision from, e.g. the CPU-only builds:
# make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.DEFAULT_GOAL := help
.PHONY: help install train test test-fast test-lowest lint format typecheck bench results clean-logs

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install:  ## create .venv (if absent) and install litlab with its dev tools
	@test -x $(PYTHON) || $(VENV_PYTHON) -m venv .venv
	$(PYTHON) -m pip install --upgrade pip
	$(if $(TORCH_INDEX),$(PYTHON) -m pip install torch torchvision --index-url $(TORCH_INDEX))
	$(PYTHON) -m pip install -e ".[dev]"

train:  ## train the default model (MNIST, MLP); pass ARGS="data=digits ..." for overrides
	$(PYTHON) src/train.py $(ARGS)

test:  ## ruff (lint and format), mypy, then the whole offline test suite (one worker per core, at most 4)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest -n auto --maxprocesses 4 --dist worksteal --durations=10

test-fast:  ## the test suite without tests marked slow
	$(PYTHON) -m pytest -m "not slow" -n auto --maxprocesses 4 --dist worksteal

test-lowest:  ## the fast tests on the lowest versions pyproject.toml allows (.venv-lowest)
	bash .ci/lowest

lint:  ## ruff lint and format check, and the pre-commit hooks (the venv's own tools)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	PATH="$(abspath $(dir $(PYTHON))):$$PATH" $(PYTHON) -m pre_commit run --all-files

format:  ## format and auto-fix with ruff
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

bench:  ## litlab vs a hand-written loop: samples/s, start-up, memory (ARGS="--data-dir ../shared/data")
	$(PYTHON) -m bench.bench $(ARGS)

results:  ## rerun docs/results.md's experiments on DATA=<data root> and rewrite it (ONLY="boston_mlp ...", THREADS=1, ARGS=...)
	@test -n "$(DATA)" || { echo 'make results needs DATA=<data root>, e.g. make results DATA=../shared/data'; exit 2; }
	$(PYTHON) tools/results.py --data "$(DATA)" $(if $(ONLY),--only $(ONLY)) $(if $(THREADS),--threads $(THREADS)) $(if $(ARGS),--args "$(ARGS)")

typecheck:  ## mypy over the package
	$(PYTHON) -m mypy

clean-logs:  ## delete every run under logs/
	find logs -mindepth 1 -not -name .gitkeep -delete
