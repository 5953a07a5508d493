"""The rbm_features app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core import class_reports, images
from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.rbm_features import nodes

TRAINING_INPUTS = ["rbm_features.model_input", "params:rbm_features.model", "params:rbm_features.training",
                   "params:rbm_features.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``rbm_features``, its four stages, ``rbm_features_sweep`` and inference."""
    ingestion, preprocessing = images.image_stages("rbm_features")
    app, training_stage, evaluation_stage = "rbm_features", "rbm_features.training", "rbm_features.evaluation"
    training = Pipeline([
        node(nodes.train_rbm, TRAINING_INPUTS, [f"{app}.model", f"{app}.training_history"],
             name="train_rbm", namespace=training_stage),
        node(nodes.fit_classifiers, [f"{app}.model", f"{app}.model_input", f"params:{app}.classifier"],
             [f"{app}.classifier", f"{app}.pixel_classifier"], name="fit_classifiers",
             namespace=training_stage),
        node(class_reports.describe_classes, f"{app}.model_input", f"{app}.class_names",
             name="describe_classes", namespace=training_stage),
    ])
    model_and_images = [f"{app}.model", f"{app}.model_input", f"params:{app}.evaluation"]
    evaluation = Pipeline([
        node(nodes.evaluate_classifiers,
             [f"{app}.classifier", f"{app}.pixel_classifier", f"{app}.model_input"],
             [f"{app}.test_metrics", f"{app}.classification_report", f"{app}.test_predictions"],
             name="evaluate_classifiers", namespace=evaluation_stage),
        node(nodes.score_rbm, [f"{app}.model", f"{app}.model_input", f"params:{app}.seed"],
             f"{app}.rbm_metrics", name="score_rbm", namespace=evaluation_stage),
        node(nodes.plot_learning_curves, f"{app}.training_history", f"{app}.learning_curves_plot",
             name="plot_learning_curves", namespace=evaluation_stage),
        node(class_reports.plot_confusion_matrix, [f"{app}.test_predictions", f"{app}.model_input"],
             f"{app}.confusion_matrix_plot", name="plot_confusion_matrix", namespace=evaluation_stage),
        node(nodes.plot_filters, model_and_images, f"{app}.filters_plot", name="plot_filters",
             namespace=evaluation_stage),
        node(nodes.plot_reconstructions, model_and_images, f"{app}.reconstructions_plot",
             name="plot_reconstructions", namespace=evaluation_stage),
        node(nodes.plot_gibbs_samples, model_and_images, f"{app}.gibbs_samples_plot",
             name="plot_gibbs_samples", namespace=evaluation_stage),
    ])
    scoring = Pipeline([
        node(class_reports.classify_images_node("rbm_features"),
             ["rbm_features.new_inputs", "rbm_features.classifier", "rbm_features.class_names"],
             "rbm_features.predictions", name="classify_images", namespace="rbm_features.inference"),
    ])
    return {**stage_pipelines("rbm_features", ingestion, preprocessing, training, evaluation),
            "rbm_features_sweep": sweep_pipeline("rbm_features", nodes.train_rbm, TRAINING_INPUTS),
            "rbm_features_inference": scoring}
