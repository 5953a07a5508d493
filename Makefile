# Convenience targets. Each creates the virtual environment .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export KEDRO_DISABLE_TELEMETRY := true

.PHONY: run test install viz mlflow-ui benchmark clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed ## create .venv and install the project

run: install ## train and evaluate every app on its embedded offline dataset
	$(BIN)/kedro run

test: $(VENV)/.installed-test ## run the whole test suite
	$(BIN)/python -m pytest

viz: install ## open Kedro-Viz on http://127.0.0.1:4141
	$(BIN)/kedro viz run

mlflow-ui: install ## open the MLflow UI on http://127.0.0.1:5000
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

benchmark: install ## every benchmark, on this machine: Markdown tables (about 40 minutes on 2 CPU cores)
	$(BIN)/python benchmarks/run.py

clean: ## delete generated data, MLflow runs and the virtual environment
	rm -rf $(VENV) mlflow.db mlruns mlartifacts
	find data -type f ! -name .gitkeep -delete
