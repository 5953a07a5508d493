# Convenience targets. Each creates the virtual environment .venv on first use, with exactly the
# versions in uv.lock (the environment the tests passed in), installed by uv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# uv itself lives in .tools/, outside .venv, so that .venv holds exactly the lock.
UV := .tools/bin/uv
# ruff too: a linter is not part of the project's environment (the lock).
RUFF_VERSION := 0.17.6
RUFF := .tools/bin/ruff
export KEDRO_DISABLE_TELEMETRY := true
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint install lock viz mlflow-ui benchmark clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(RUFF): | $(UV)
	.tools/bin/python -m pip install --quiet "ruff==$(RUFF_VERSION)"

# Every target installs what it needs (in seconds once uv's cache has it); only `make install` also
# removes what the lock does not list. EXTRAS="notebook s3" adds extras of pyproject.toml.
# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (CI machines, containers) Python caches
# no bytecode, and every process (each `kedro run`, each served model) compiles TensorFlow, Keras and
# MLflow again: 24 s instead of 10 s to import them here. Compiled once at install (~45 s), skipped after.
sync = $(UV) sync --locked --quiet --compile-bytecode $(foreach extra,$(EXTRAS),--extra $(extra))

install: | $(UV) ## install exactly the locked versions into .venv (EXTRAS="gpu notebook s3" adds extras)
	$(sync)

lock: | $(UV) ## refresh uv.lock to the newest versions pyproject.toml allows; then run make test
	$(UV) lock --upgrade

run: | $(UV) ## train and evaluate every app on its embedded offline dataset
	$(sync) --inexact
	$(BIN)/kedro run

test: | $(UV) ## run the whole test suite
	$(sync) --inexact --extra test
	$(BIN)/python -m pytest

lint: | $(RUFF) ## check the code style (ruff, the version pinned here; settings in pyproject.toml)
	$(RUFF) check src tests benchmarks

viz: | $(UV) ## open Kedro-Viz on http://127.0.0.1:4141
	$(sync) --inexact
	$(BIN)/kedro viz run

mlflow-ui: | $(UV) ## open the MLflow UI on http://127.0.0.1:5000
	$(sync) --inexact
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

benchmark: | $(UV) ## every benchmark, on this machine: Markdown tables (about an hour on 2 CPU cores)
	$(sync) --inexact --extra benchmark
	$(BIN)/python benchmarks/run.py

clean: ## delete generated data, MLflow runs and the virtual environment
	rm -rf $(VENV) .tools mlflow.db mlflow.db.lock mlruns mlartifacts
	find data -type f ! -name .gitkeep -delete
