"""The rbm app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.rbm import figures, inference, nodes

TRAINING_INPUTS = ["rbm.model_input", "params:rbm.preprocessing", "params:rbm.model",
                   "params:rbm.training", "params:rbm.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``rbm`` and its four stages ``rbm_<stage>``."""
    ingestion = Pipeline([
        node(nodes.ingest_ratings,
             ["raw_files", "params:rbm.dataset", "params:rbm.synthetic", "params:rbm.seed"],
             ["rbm.ratings", "rbm.movies"], name="ingest_ratings", namespace="rbm.ingestion"),
    ])
    preprocessing = Pipeline([
        node(nodes.split_ratings,
             ["rbm.ratings", "params:rbm.dataset", "params:rbm.split", "params:rbm.recommendations",
              "params:rbm.evaluation", "params:rbm.seed"], "rbm.model_input",
             name="split_ratings", namespace="rbm.preprocessing"),
    ])
    training = Pipeline([
        node(nodes.train_rbm,
             TRAINING_INPUTS, ["rbm.model", "rbm.training_history"],
             name="train_rbm", namespace="rbm.training"),
    ])
    evaluation = Pipeline([
        node(nodes.recommend, ["rbm.model", "rbm.model_input", "rbm.movies", "params:rbm.preprocessing",
                              "params:rbm.recommendations"],
             "rbm.recommendations", name="recommend", namespace="rbm.evaluation"),
        node(nodes.user_report, ["rbm.recommendations", "rbm.model_input", "rbm.movies",
                                "params:rbm.recommendations", "params:rbm.dataset"],
             "rbm.user_report", name="user_report", namespace="rbm.evaluation"),
        node(nodes.evaluate_recommendations,
             ["rbm.model", "rbm.model_input", "params:rbm.preprocessing", "params:rbm.evaluation"],
             ["rbm.test_metrics", "rbm.ranking_metrics_report"], name="evaluate_recommendations",
             namespace="rbm.evaluation"),
        node(figures.plot_training, "rbm.training_history", "rbm.training_plot",
             name="plot_training", namespace="rbm.evaluation"),
        node(figures.plot_ranking_metrics, "rbm.ranking_metrics_report", "rbm.ranking_metrics_plot",
             name="plot_ranking_metrics", namespace="rbm.evaluation"),
        node(nodes.package_recommender, "rbm.model", "rbm.mlflow_model",
             name="log_model", namespace="rbm.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.recommend_for_inputs,
             ["rbm.new_inputs", "rbm.model", "rbm.model_input", "rbm.movies", "params:rbm.preprocessing",
              "params:rbm.recommendations"],
             "rbm.predictions", name="recommend_for_inputs", namespace="rbm.inference"),
    ])
    return {**stage_pipelines("rbm", ingestion, preprocessing, training, evaluation),
            "rbm_sweep": sweep_pipeline("rbm", nodes.train_rbm, TRAINING_INPUTS),
            "rbm_inference": scoring}
