"""The classification app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core import class_reports
from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.classification import figures, inference, nodes

TRAINING_INPUTS = ["classification.model_input", "params:classification.model",
                   "params:classification.training", "params:classification.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``classification``, its four stages ``classification_<stage>``,
    ``classification_sweep`` and ``classification_inference``."""
    ingestion = Pipeline([
        node(nodes.ingest_table, ["raw_files", "user_csv", "params:classification.dataset",
                                  "params:classification.data"],
             "classification.raw_table", name="ingest_table", namespace="classification.ingestion"),
    ])
    preprocessing = Pipeline([
        node(nodes.split_table, ["classification.raw_table", "params:classification.dataset",
                                 "params:classification.data", "params:classification.split",
                                 "params:classification.preprocessing", "params:classification.seed"],
             ["classification.model_input", "classification.transform", "classification.test_rows"],
             name="split_table", namespace="classification.preprocessing"),
    ])
    training = Pipeline([
        node(nodes.train_classifier, TRAINING_INPUTS,
             ["classification.model", "classification.training_history"], name="train_classifier",
             namespace="classification.training"),
        node(class_reports.describe_classes, "classification.model_input", "classification.class_names",
             name="describe_classes", namespace="classification.training"),
    ])
    evaluation = Pipeline([
        node(nodes.cross_validate,
             ["classification.raw_table", "params:classification.data", "params:classification.preprocessing",
              "params:classification.model", "params:classification.training", "params:classification.split",
              "params:classification.cross_validation", "params:classification.seed"],
             "classification.cross_validation_report", name="cross_validate",
             namespace="classification.evaluation"),
        node(nodes.summarise_folds, "classification.cross_validation_report", "classification.cv_metrics",
             name="summarise_folds", namespace="classification.evaluation"),
        node(nodes.evaluate_classifier, ["classification.model", "classification.model_input"],
             ["classification.test_metrics", "classification.classification_report",
              "classification.test_predictions"], name="evaluate_classifier",
             namespace="classification.evaluation"),
        node(figures.plot_learning_curves, "classification.training_history",
             "classification.learning_curves_plot", name="plot_learning_curves",
             namespace="classification.evaluation"),
        node(class_reports.plot_confusion_matrix,
             ["classification.test_predictions", "classification.model_input"],
             "classification.confusion_matrix_plot", name="plot_confusion_matrix",
             namespace="classification.evaluation"),
        node(figures.plot_decision_boundary,
             ["classification.model", "classification.transform", "classification.test_rows",
              "classification.model_input", "params:classification.data"],
             "classification.decision_boundary_plot", name="plot_decision_boundary",
             namespace="classification.evaluation"),
        node(figures.plot_cross_validation, "classification.cross_validation_report",
             "classification.cross_validation_plot", name="plot_cross_validation",
             namespace="classification.evaluation"),
        node(nodes.package_model,
             ["classification.model", "classification.transform", "classification.test_rows",
              "classification.model_input", "params:classification.data"],
             "classification.mlflow_model", name="log_model", namespace="classification.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.classify_new_rows,
             ["classification.new_inputs", "classification.model", "classification.transform",
              "classification.class_names"],
             "classification.predictions", name="classify_new_rows", namespace="classification.inference"),
    ])
    return {**stage_pipelines("classification", ingestion, preprocessing, training, evaluation),
            "classification_sweep": sweep_pipeline("classification", nodes.train_classifier, TRAINING_INPUTS),
            "classification_inference": scoring}
