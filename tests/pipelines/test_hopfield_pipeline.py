"""The hopfield app end to end through a KedroSession, into a temporary MLflow store: the default
run on the drawn letters, the capacity experiment on a small network, bad parameters."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dl_pipelines.core.errors import ConfigurationError
from tests.helpers import assert_recorded, execute_notebook, images_in, run_pipeline, top_run

SMALL_CAPACITY = {"units": 40, "loads": [0.05, 0.1, 0.3], "modern_loads": [1, 2], "trials": 1,
                  "beta": 1.0}


@pytest.mark.slow
def test_letters_are_recalled_exactly_and_the_capacity_experiment_is_logged(project):
    run_pipeline(project, "hopfield", {})
    run_row, metrics = top_run("hopfield")
    assert_recorded(run_row, "hopfield", "letters")
    assert metrics["hopfield.test_exact_recall"] == 1.0
    assert metrics["hopfield.test_mean_overlap"] == 1.0
    assert metrics["hopfield.baseline_test_mean_overlap"] == pytest.approx(0.8)
    # The effective settings: the letters preset's rule, no placeholders, no presets.
    assert run_row["params.hopfield.model.rule"] == "storkey"
    assert run_row["params.hopfield.recall.corruption"] == "0.1"
    client = mlflow.MlflowClient()
    energy = client.get_metric_history(run_row.run_id, "hopfield.test_energy")
    assert [m.step for m in energy] == list(range(len(energy))) and len(energy) >= 2
    assert energy[-1].value < energy[0].value
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "hopfield")}
    assert {"hopfield/recall.png", "hopfield/energy.png", "hopfield/network.npz"} <= artifacts
    network = np.load(project / "data/06_models/hopfield/network.npz")
    assert network["weights"].shape == (100, 100) and str(network["rule"]) == "storkey"

    # Inference: corrupted letters as image files (ink on paper, any size) settle on their letter.
    corrupted = np.load(project / "data/07_model_output/hopfield/test_predictions.npz")["corrupted"]
    names = np.load(project / "data/05_model_input/hopfield/model_input.npz")["names"].astype(str).tolist()
    folder = project / "data/01_raw/inference/hopfield"
    folder.mkdir(parents=True)
    for name, state in zip(names, corrupted, strict=True):
        Image.fromarray(np.where(state.reshape(10, 10) > 0, 0, 255).astype(np.uint8)).resize(
            (40, 40), Image.Resampling.NEAREST).save(folder / f"noisy_{name}.png")
    run_pipeline(project, "hopfield_inference", {})
    table = pd.read_csv(project / "data/07_model_output/hopfield/predictions.csv", keep_default_na=False)
    assert table["file"].tolist() == sorted(f"noisy_{name}.png" for name in names)
    assert table["recalled"].tolist() == sorted(names)
    assert (table["overlap"] == 1.0).all() and (table["pixels_changed"] > 0).all()
    with pytest.raises(ConfigurationError, match="hopfield's trainings are not registered models"):
        run_pipeline(project, "hopfield_inference", {"model_version": "latest"})
    run_row, _ = top_run("hopfield_inference")
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "hopfield/inference")}
    assert {"hopfield/inference/predictions.csv", "hopfield/inference/new_recalls.png"} <= artifacts
    # Another inference takes its dataset from the stored training, not from hopfield.dataset.
    run_pipeline(project, "hopfield_inference", {"hopfield": {"dataset": "digits"}})
    runs = mlflow.search_runs(experiment_names=["dl_pipelines"], order_by=["attributes.start_time DESC"])
    latest = runs.iloc[0]
    assert latest["tags.dataset"] == "letters" and latest["params.hopfield.dataset"] == "letters"

    run_pipeline(project, "hopfield_capacity", {"hopfield": {"capacity": SMALL_CAPACITY}})
    run_row, metrics = top_run("hopfield_capacity")
    assert run_row["params.hopfield.capacity.units"] == "40"
    for rule in ("hebbian", "storkey", "modern"):
        exact, overlap = (metrics[f"hopfield.capacity_{rule}_{kind}"] for kind in ("exact", "overlap_load"))
        assert 0 < exact <= overlap
    assert metrics["hopfield.capacity_modern_exact"] == 2.0  # never below 0.9: the largest load tried
    artifacts = {a.path for a in client.list_artifacts(run_row.run_id, "hopfield")}
    assert {"hopfield/capacity.png", "hopfield/capacity_report.csv"} <= artifacts

    outputs = execute_notebook(project, "hopfield.ipynb")
    assert images_in(outputs) >= 4  # recall, energy, weights, capacity


# The other bad settings are the node tests' (each run here costs a session).
@pytest.mark.parametrize(("params", "message"), [
    ({"recall": {"corruption": 1.2}}, "Parameter hopfield.recall.corruption=1.2 is invalid"),
])
def test_bad_parameters_stop_before_any_node_runs(project, params, message):
    with pytest.raises(ConfigurationError, match=message):
        run_pipeline(project, "hopfield", {"hopfield": params})
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty
