"""The pipeline registry: every app, its four stages as pipelines of their own, and the default."""

import json
import subprocess
import sys

import pytest

from dl_pipelines.core.stages import STAGES
from dl_pipelines.pipeline_registry import APPS, register_pipelines


@pytest.mark.parametrize("app", list(APPS))
def test_registry_names_the_app_and_its_stages(app):
    pipelines = register_pipelines()
    stages = [f"{app}_{stage}" for stage in STAGES]
    assert {app, *stages} <= set(pipelines)
    assert set(pipelines[app].nodes) == set().union(*(pipelines[name].nodes for name in stages))
    assert set(pipelines[app].nodes) <= set(pipelines["__default__"].nodes)
    for stage in STAGES:
        # The namespace groups the stage in Kedro-Viz and names the app for parameter validation.
        assert {node.namespace for node in pipelines[f"{app}_{stage}"].nodes} == {f"{app}.{stage}"}


def test_the_default_pipeline_is_every_app_and_nothing_else():
    pipelines = register_pipelines()
    assert set(APPS) == {"cnn", "regression", "lstm", "rbm", "autoencoder", "gan", "classification",
                         "hopfield", "rbm_features", "language_model"}
    assert set(pipelines["__default__"].nodes) == set().union(*(pipelines[app].nodes for app in APPS))
    # Registered, but not part of the default run: the sweeps and every inference pipeline.
    extras = {name for name in pipelines if name.endswith(("_grid_search", "_sweep", "_inference"))}
    assert {"cnn_grid_search", "classification_sweep", "cnn_inference", "regression_inference",
            "lstm_inference", "classification_inference", "language_model_inference"} <= extras
    for extra in extras:
        assert not set(pipelines[extra].nodes) & set(pipelines["__default__"].nodes)


def test_every_app_shows_in_kedro_registry_and_kedro_viz(project):
    """One `kedro registry list` and one `kedro viz build` for every app (each costs a process
    that imports the whole stack)."""
    kedro = [sys.executable, "-m", "kedro"]
    listed = subprocess.run([*kedro, "registry", "list"], cwd=project, capture_output=True,
                            text=True, timeout=300, check=True).stdout
    subprocess.run([*kedro, "viz", "build"], cwd=project, capture_output=True, timeout=300, check=True)
    main = json.loads((project / "build" / "api" / "main").read_text())
    groups = {node["name"] for node in main["nodes"] if node["type"] == "modularPipeline"}
    for app in APPS:
        stages = [f"{app}_{stage}" for stage in STAGES]
        assert all(f"- {name}" in listed for name in [app, *stages])
        assert {app, *stages} <= {pipeline["id"] for pipeline in main["pipelines"]}
        assert {f"{app}.{stage}" for stage in STAGES} <= groups
    assert "- cnn_grid_search" in listed and "- cnn_inference" in listed
    layers = {node.get("layer") for node in main["nodes"] if node["type"] == "data"}
    assert {"raw", "intermediate", "model_input", "models", "model_output", "reporting"} <= layers
