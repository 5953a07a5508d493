"""The regression app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.regression import figures, inference, nodes

TRAINING_INPUTS = ["regression.model_input", "params:regression.model", "params:regression.training",
                   "params:regression.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``regression`` and its four stages ``regression_<stage>``."""
    ingestion = Pipeline([
        node(nodes.ingest_table, ["raw_files", "user_csv", "params:regression.dataset",
                                  "params:regression.data"],
             "regression.raw_table", name="ingest_table", namespace="regression.ingestion"),
    ])
    preprocessing = Pipeline([
        node(nodes.split_table, ["regression.raw_table", "params:regression.dataset",
                                "params:regression.data", "params:regression.split",
                                "params:regression.preprocessing", "params:regression.seed"],
             ["regression.model_input", "regression.transform", "regression.test_rows"],
             name="split_table", namespace="regression.preprocessing"),
    ])
    training = Pipeline([
        node(nodes.train_regressor, TRAINING_INPUTS,
             ["regression.model", "regression.training_history"], name="train_regressor",
             namespace="regression.training"),
        node(nodes.fit_by_gradient_tape, ["regression.model_input", "params:regression.gradient_tape"],
             "regression.gradient_tape_fit", name="fit_by_gradient_tape",
             namespace="regression.training"),
    ])
    evaluation = Pipeline([
        node(nodes.evaluate_regressor,
             ["regression.model", "regression.model_input", "regression.gradient_tape_fit"],
             ["regression.test_metrics", "regression.test_predictions"],
             name="evaluate_regressor", namespace="regression.evaluation"),
        node(figures.plot_learning_curves, "regression.training_history",
             "regression.learning_curves_plot", name="plot_learning_curves",
             namespace="regression.evaluation"),
        node(figures.plot_predicted_vs_actual, "regression.test_predictions",
             "regression.predicted_vs_actual_plot", name="plot_predicted_vs_actual",
             namespace="regression.evaluation"),
        node(figures.plot_residuals, "regression.test_predictions", "regression.residuals_plot",
             name="plot_residuals", namespace="regression.evaluation"),
        node(figures.plot_weight_paths,
             ["regression.gradient_tape_fit", "regression.training_history",
              "regression.model_input"],
             "regression.weight_paths_plot", name="plot_weight_paths",
             namespace="regression.evaluation"),
        node(nodes.package_model,
             ["regression.model", "regression.transform", "regression.test_rows",
              "params:regression.data"],
             "regression.mlflow_model", name="log_model", namespace="regression.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.predict_new_rows,
             ["regression.new_inputs", "regression.model", "regression.transform"],
             "regression.predictions", name="predict_new_rows", namespace="regression.inference"),
    ])
    return {**stage_pipelines("regression", ingestion, preprocessing, training, evaluation),
            "regression_sweep": sweep_pipeline("regression", nodes.train_regressor, TRAINING_INPUTS),
            "regression_inference": scoring}
