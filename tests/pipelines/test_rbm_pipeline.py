"""The rbm app end to end through a KedroSession, on tiny settings, into a temporary MLflow store."""

import zipfile

import mlflow
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError, UserError
from tests.conftest import SHARED_DATASETS, write_sha256sums
from tests.helpers import (
    assert_recorded,
    execute_notebook,
    images_in,
    run_pipeline,
    same_predictions_from_the_registry,
    served_answer,
    top_run,
)

QUICK = {"synthetic": {"users": 300, "items": 80, "genres": 5, "ratings_per_user": 15},
         "training": {"epochs": 15, "learning_rate": 0.05, "verbose": 0}}
STAGES = ["rbm_ingestion", "rbm_preprocessing", "rbm_training", "rbm_evaluation"]
ARTIFACTS = {"rbm/training.png", "rbm/ranking_metrics.png", "rbm/ranking_metrics_report.csv",
             "rbm/recommendations.parquet", "rbm/user_recommendations.md"}
MOVIELENS_100K = SHARED_DATASETS / "movielens_100k"


def run(project, pipeline, **params):
    run_pipeline(project, pipeline, {"rbm": {**QUICK, **params}})


@pytest.mark.slow
def test_inference_recommends_to_known_users_by_id_and_to_a_new_user_from_ratings(project):
    run(project, "rbm", training={"epochs": 3, "verbose": 0})
    model_input = np.load(project / "data/05_model_input/rbm/model_input.npz")
    users = model_input["user_ids"][[0, 5]]
    folder = project / "data/01_raw/inference/rbm"
    folder.mkdir(parents=True)
    pd.DataFrame({"user_id": users}).to_csv(folder / "a_users.csv", index=False)
    rated = model_input["item_ids"][:4]
    pd.DataFrame({"item_id": rated, "rating": [5, 4, 1, 3]}).to_csv(folder / "b_new_user.csv", index=False)
    run(project, "rbm_inference")
    same_predictions_from_the_registry(project, "rbm", {"rbm": QUICK})

    table = pd.read_csv(project / "data/07_model_output/rbm/predictions.csv")
    assert list(table.columns) == ["file", "user", "rank", "item_id", "title", "genres", "score"]
    known = table[table["file"] == "a_users.csv"]
    served = mlflow.pyfunc.load_model("models:/dl_pipelines.rbm/latest")
    for index, user in zip([0, 5], users, strict=True):
        # Scored from all the user's ratings, held-out ones too, and never one of them again
        # (the evaluation stage scores from the training part only, to measure).
        rated_by_user = np.concatenate([model_input[f"{part}_items"][model_input[f"{part}_users"] == index]
                                        for part in ("train", "test")])
        visible = np.zeros((1, len(model_input["item_ids"])), np.float32)
        visible[0, rated_by_user] = 1
        scores = np.asarray(served.predict(visible))[0]
        scores[rated_by_user] = -np.inf
        got = known[known["user"] == str(user)]["item_id"].tolist()
        assert got == model_input["item_ids"][np.argsort(-scores)[:10]].tolist()
        assert not set(got) & set(model_input["item_ids"][rated_by_user])
    new = table[table["file"] == "b_new_user.csv"]
    assert new["user"].unique().tolist() == ["new"] and new["rank"].tolist() == list(range(1, 11))
    assert not set(new["item_id"]) & set(rated)  # never a movie the user has rated
    assert new["title"].notna().all()

    pd.DataFrame({"user_id": [99999]}).to_csv(folder / "a_users.csv", index=False)
    with pytest.raises(ConfigurationError, match=r"a_users.csv: user 99999 is not among the 300 the model "
                                                 r"was trained on"):
        run(project, "rbm_inference")


@pytest.mark.slow
def test_rbm_pipeline_beats_popularity_and_logs_a_servable_recommender(project):
    run(project, "rbm")
    run_row, metrics = top_run("rbm")
    assert_recorded(run_row, "rbm", "synthetic")
    for name in ("precision", "recall", "ndcg", "map"):
        assert {f"rbm.test_{name}_at_10", f"rbm.baseline_test_{name}_at_10"} <= set(metrics)
    # The planted tastes are learnable: 15 epochs clearly beat the most-popular baseline.
    assert metrics["rbm.test_precision_at_10"] > metrics["rbm.baseline_test_precision_at_10"]
    assert metrics["rbm.test_ndcg_at_10"] > metrics["rbm.baseline_test_ndcg_at_10"]
    # The effective settings: the synthetic preset's model, the run block's strategy; no placeholders.
    assert run_row["params.rbm.model.hidden_units"] == "100" and run_row["params.rbm.training.epochs"] == "15"
    assert run_row["params.rbm.training.strategy"] == "auto"
    client = mlflow.MlflowClient()
    curve = client.get_metric_history(run_row.run_id, "rbm.train_reconstruction_error")
    assert [m.step for m in curve] == list(range(15))
    assert {"rbm.train_free_energy"} <= set(metrics)
    assert ARTIFACTS <= {a.path for a in client.list_artifacts(run_row.run_id, "rbm")}

    recommendations = pd.read_parquet(project / "data/07_model_output/rbm/recommendations.parquet")
    assert len(recommendations) == 300 * 10
    served = mlflow.pyfunc.load_model(f"runs:/{run_row.run_id}/rbm_recommender")
    model_input = np.load(project / "data/05_model_input/rbm/model_input.npz")
    user = model_input["train_users"] == 0
    visible = np.zeros((1, len(model_input["item_ids"])), np.float32)
    visible[0, model_input["train_items"][user]] = 1
    scores = np.asarray(served.predict(visible))[0]
    answer = served_answer("models:/dl_pipelines.rbm/latest", {"inputs": visible.tolist()})
    np.testing.assert_allclose(answer["predictions"][0], scores, rtol=1e-5, atol=1e-7)
    scores[visible[0] > 0] = -np.inf
    top = model_input["item_ids"][np.argsort(-scores)[:10]]
    first_user = recommendations[recommendations["user_id"] == model_input["user_ids"][0]]
    assert top.tolist() == first_user["item_id"].tolist()

    # The notebook, headless, on these outputs.
    outputs = execute_notebook(project, "rbm.ipynb")
    assert images_in(outputs) >= 2  # training curves, ranking metrics
    text = "".join(out.get("text", "") for out in outputs)
    assert "hidden unit" in text and "recommended:" in text


@pytest.mark.slow
def test_each_stage_runs_alone_once_its_inputs_exist(project):
    for stage in STAGES:
        run(project, stage, training={"epochs": 1, "verbose": 0})
    assert (project / "data/08_reporting/rbm/user_recommendations.md").is_file()


def test_an_unknown_user_stops_the_run_before_training(project):
    with pytest.raises(UserError, match="rbm.recommendations.user_id=5000 is not a user of synthetic"):
        run(project, "rbm", recommendations={"user_id": 5000})
    assert not (project / "data/06_models/rbm").exists()


@pytest.mark.parametrize("params", [
    {"training": {"precision": "mixed_float16"}},
    {"synthetic": {"items": 5}},
])
def test_bad_parameters_stop_before_any_node_runs(project, params):
    with pytest.raises(ConfigurationError):
        run(project, "rbm", **params)
    assert not any(p.is_file() for p in (project / "data").rglob("*"))
    assert mlflow.search_runs(search_all_experiments=True).empty


def ml_100k_mirror(folder, ratings_lines=None):
    """A mirror holding ml-100k.zip built from the shared files (or from given rating lines): not
    the publisher's bytes, so the tests trust the mirror's checksums (DL_PIPELINES_TRUST_MIRROR_CHECKSUMS)."""
    (folder / "ml-100k").mkdir()
    with zipfile.ZipFile(folder / "ml-100k/ml-100k.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        if ratings_lines is None:
            archive.write(MOVIELENS_100K / "u.data", "ml-100k/u.data")
        else:
            archive.writestr("ml-100k/u.data", "\n".join(ratings_lines) + "\n")
        archive.write(MOVIELENS_100K / "u.item", "ml-100k/u.item")
    write_sha256sums(folder / "ml-100k")


needs_movielens = pytest.mark.skipif(not (MOVIELENS_100K / "u.data").is_file(),
                                     reason="../shared/datasets/movielens_100k is not available")


@needs_movielens
@pytest.mark.slow
def test_ml_100k_through_a_local_mirror(project, http_mirror, monkeypatch):
    url, folder = http_mirror
    ml_100k_mirror(folder)
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", url)
    monkeypatch.setenv("DL_PIPELINES_TRUST_MIRROR_CHECKSUMS", "1")
    run(project, "rbm", dataset="ml-100k", training={"epochs": 2, "verbose": 0},
        recommendations={"user_id": 196})
    _, metrics = top_run("rbm")
    # The most-popular baseline on this split is a known figure (about 0.23 / 0.25).
    assert metrics["rbm.baseline_test_precision_at_10"] == pytest.approx(0.23, abs=0.015)
    assert metrics["rbm.baseline_test_ndcg_at_10"] == pytest.approx(0.25, abs=0.015)
    assert (project / "data/01_raw/ml-100k/ml-100k.zip").is_file()
    report = (project / "data/08_reporting/rbm/user_recommendations.md").read_text()
    assert report.startswith("# Recommendations for user 196 (ml-100k)")
    # User 196 rated 39 movies: round(0.75 * 39) = 29 of them are kept for training.
    assert "## What user 196 rated (29 training ratings)" in report


@needs_movielens
@pytest.mark.parametrize(("line", "message"), [
    ("196\t242\t3", r"ml-100k.zip: ml-100k/u.data line 2 has 3 field\(s\)"),
    ("196\t242\t9\t881250949", r"ml-100k.zip: ml-100k/u.data line 2: rating 9 is outside the scale"),
])
def test_a_bad_ratings_file_stops_with_one_line(project, http_mirror, monkeypatch, line, message):
    url, folder = http_mirror
    ml_100k_mirror(folder, ["186\t302\t3\t891717742", line])
    monkeypatch.setenv("DL_PIPELINES_DATA_MIRROR", url)
    monkeypatch.setenv("DL_PIPELINES_TRUST_MIRROR_CHECKSUMS", "1")
    with pytest.raises(UserError, match=message):
        run(project, "rbm", dataset="ml-100k")
