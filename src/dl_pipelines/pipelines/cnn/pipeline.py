"""The cnn app: ingestion -> preprocessing -> training -> evaluation, plus the grid search and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core import class_reports, images
from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.cnn import nodes

TRAINING_INPUTS = ["cnn.model_input", "params:cnn.model", "params:cnn.training", "params:cnn.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``cnn``, its four stages ``cnn_<stage>``, and ``cnn_grid_search``."""
    ingestion, preprocessing = images.image_stages("cnn")
    training = Pipeline([
        node(nodes.train_classifier, TRAINING_INPUTS,
             ["cnn.model", "cnn.training_history"], name="train_classifier",
             namespace="cnn.training"),
        node(class_reports.describe_classes, "cnn.model_input", "cnn.class_names", name="describe_classes",
             namespace="cnn.training"),
    ])
    evaluation = Pipeline([
        node(nodes.evaluate_classifier, ["cnn.model", "cnn.model_input"],
             ["cnn.test_metrics", "cnn.classification_report", "cnn.test_predictions"],
             name="evaluate_classifier",
             namespace="cnn.evaluation"),
        node(nodes.plot_learning_curves, "cnn.training_history", "cnn.learning_curves_plot",
             name="plot_learning_curves",
             namespace="cnn.evaluation"),
        node(class_reports.plot_confusion_matrix, ["cnn.test_predictions", "cnn.model_input"],
             "cnn.confusion_matrix_plot", name="plot_confusion_matrix",
             namespace="cnn.evaluation"),
        node(nodes.plot_misclassified, ["cnn.test_predictions", "cnn.model_input", "params:cnn.evaluation"],
             "cnn.misclassified_plot", name="plot_misclassified",
             namespace="cnn.evaluation"),
    ])
    # The course's learning rate x L2 grid search: a sweep like any other.
    grid_search = sweep_pipeline("cnn", nodes.train_classifier, TRAINING_INPUTS, name="grid_search")
    scoring = Pipeline([
        node(class_reports.classify_images_node("cnn"), ["cnn.new_inputs", "cnn.model", "cnn.class_names"],
             "cnn.predictions", name="classify_images", namespace="cnn.inference"),
    ])
    return {
        **stage_pipelines("cnn", ingestion, preprocessing, training, evaluation),
        "cnn_grid_search": grid_search,
        "cnn_inference": scoring,
    }
