"""The shared sweep (core/sweep.py): combinations, validated changes, ranking and figures."""


import mlflow
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import StandardTraining
from dl_pipelines.core.sweep import (
    SweepSettings,
    best,
    combinations,
    plot_sweep,
    run_sweep,
    sweep_pipeline,
    with_changes,
)
from dl_pipelines.pipelines.autoencoder import create_pipelines
from tests.helpers import run_pipeline, top_run

TRAINING = StandardTraining(epochs=5, batch_size=8, learning_rate=0.01, learning_rate_decay="none",
                            optimizer="adam", early_stopping_patience=0)


def test_every_combination_once_the_first_setting_slowest():
    grid = {"training.learning_rate": [0.1, 0.01], "training.optimizer": ["sgd", "adam"]}
    assert combinations(grid) == [
        {"training.learning_rate": 0.1, "training.optimizer": "sgd"},
        {"training.learning_rate": 0.1, "training.optimizer": "adam"},
        {"training.learning_rate": 0.01, "training.optimizer": "sgd"},
        {"training.learning_rate": 0.01, "training.optimizer": "adam"}]


@pytest.mark.parametrize("changes, culprit", [
    ({"training.optimiser": "sgd"}, "grid names 'training.optimiser', not a setting a sweep can change"),
    ({"model.units": 3}, "grid names 'model.units'"),
    ({"training.optimizer": "adamw2"}, "app.sweep.grid.training.optimizer holds 'adamw2'"),
    ({"training.learning_rate": -1}, "app.sweep.grid.training.learning_rate holds -1"),
])
def test_a_change_a_setting_refuses_stops_in_one_line(changes, culprit):
    with pytest.raises(ConfigurationError) as raised:
        with_changes({"training": TRAINING}, changes, "app.sweep")
    assert culprit in str(raised.value) and "\n" not in str(raised.value)


def test_each_combination_trains_with_its_settings_and_is_ranked_by_its_best_value():
    seen = []

    def train(training):
        seen.append((training.optimizer, training.epochs))
        losses = {"sgd": [1.0, 0.8], "adam": [0.9, 0.2]}[training.optimizer]
        return {"loss": losses, "val_loss": [value + 0.1 for value in losses]}

    sweep = SweepSettings(grid={"training.optimizer": ["sgd", "adam"]}, epochs=2)
    table, histories = run_sweep(sweep, {"training": TRAINING}, train, "app.sweep")
    assert seen == [("sgd", 2), ("adam", 2)]  # the sweep's epochs, not the training's
    assert table["best_val_loss"].round(6).tolist() == [0.9, 0.3] and list(table["epochs"]) == [2, 2]
    assert list(histories) == ["training.optimizer=sgd", "training.optimizer=adam"]
    assert best([0.5, np.nan, 0.7], "val_accuracy") == 0.7 and best([0.5, 0.2], "val_loss") == 0.2
    assert best([0.03, 0.01], "reconstruction_error") == 0.01  # an error is a loss too
    figure = plot_sweep(table, histories)
    assert len(figure.axes[0].lines) == 4  # training and validation loss of each optimizer


def _trains_without_a_history(training: StandardTraining) -> tuple[int, dict[str, float]]:
    return 0, {}


def test_a_training_node_without_a_history_output_cannot_be_swept():
    # The history is found by its type hint, as every app's training node declares it; a node
    # whose outputs moved (rbm_features once kept an index 3 of two) is caught when registering.
    with pytest.raises(TypeError, match="must return one dict"):
        sweep_pipeline("app", _trains_without_a_history, ["params:app.training"])


def test_two_settings_make_a_heatmap():
    sweep = SweepSettings(grid={"training.learning_rate": [0.1, 0.01], "model.l2": [0.0, 0.1]})
    table = pd.DataFrame([{**combo, "best_val_loss": i, "epochs": 1}
                          for i, combo in enumerate(combinations(sweep.grid))])
    figure = plot_sweep(table, {})
    assert figure.axes[0].images  # imshow of the 2 x 2 grid


@pytest.mark.slow
def test_any_app_sweeps_its_own_training_one_nested_run_per_value(project):
    # The autoencoder's training node returns its history fourth: the sweep finds it by its type.
    params = {"autoencoder": {"training": {"epochs": 1, "verbose": 0},
                              "sweep": {"grid": {"training.learning_rate": [0.001, 0.003]}, "epochs": 1}}}
    for pipeline in ("autoencoder_ingestion", "autoencoder_preprocessing", "autoencoder_sweep"):
        run_pipeline(project, pipeline, params)
    parent, _ = top_run("autoencoder_sweep")
    children = mlflow.search_runs(experiment_names=["dl_pipelines"],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent.run_id}'")
    names = sorted(children["tags.mlflow.runName"])
    assert names == [f"training.learning_rate={lr}" for lr in (0.001, 0.003)]
    report = pd.read_csv(project / "data/08_reporting/autoencoder/sweep_report.csv")
    assert report["best_val_loss"].gt(0).all() and (report["epochs"] == 1).all()
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(parent.run_id, "autoencoder")}
    assert {"autoencoder/sweep.png", "autoencoder/sweep_report.csv"} <= artifacts


def test_a_sweep_without_a_grid_says_where_to_put_one():
    sweep_training, _ = create_pipelines()["autoencoder_sweep"].nodes
    with pytest.raises(ConfigurationError, match="Parameter autoencoder.sweep is not set; add a sweep block"):
        sweep_training.func({}, {}, {}, 0, None)
