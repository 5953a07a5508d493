"""The autoencoder app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core import images
from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.autoencoder import inference, nodes

TRAINING_INPUTS = ["autoencoder.model_input", "params:autoencoder.model", "params:autoencoder.training",
                   "params:autoencoder.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``autoencoder`` and its four stages ``autoencoder_<stage>``."""
    ingestion, preprocessing = images.image_stages("autoencoder")
    training = Pipeline([
        node(nodes.train_autoencoder,
             TRAINING_INPUTS,
             ["autoencoder.model", "autoencoder.encoder", "autoencoder.decoder",
              "autoencoder.training_history"],
             name="train_autoencoder", namespace="autoencoder.training"),
    ])
    evaluation = Pipeline([
        node(nodes.encode_test_images,
             ["autoencoder.encoder", "autoencoder.decoder", "autoencoder.model_input"],
             "autoencoder.test_outputs", name="encode_test_images",
             namespace="autoencoder.evaluation"),
        node(nodes.pca_baseline, ["autoencoder.model_input", "params:autoencoder.model"],
             "autoencoder.pca_outputs", name="pca_baseline", namespace="autoencoder.evaluation"),
        node(nodes.score_reconstructions,
             ["autoencoder.test_outputs", "autoencoder.pca_outputs", "autoencoder.model_input"],
             "autoencoder.test_metrics", name="score_reconstructions",
             namespace="autoencoder.evaluation"),
        node(nodes.codes_table, ["autoencoder.test_outputs", "autoencoder.model_input"],
             "autoencoder.test_codes", name="codes_table", namespace="autoencoder.evaluation"),
        node(nodes.plot_learning_curves, "autoencoder.training_history",
             "autoencoder.learning_curves_plot", name="plot_learning_curves",
             namespace="autoencoder.evaluation"),
        node(nodes.plot_reconstructions,
             ["autoencoder.test_outputs", "autoencoder.pca_outputs", "autoencoder.model_input",
              "params:autoencoder.model", "params:autoencoder.evaluation", "params:autoencoder.dataset"],
             "autoencoder.reconstructions_plot", name="plot_reconstructions",
             namespace="autoencoder.evaluation"),
        node(nodes.plot_codes,
             ["autoencoder.test_outputs", "autoencoder.pca_outputs", "autoencoder.model_input"],
             "autoencoder.codes_plot", name="plot_codes", namespace="autoencoder.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.encode_images,
             ["autoencoder.new_inputs", "autoencoder.encoder", "autoencoder.decoder"],
             ["autoencoder.predictions", "autoencoder.new_reconstructions_plot"],
             name="encode_images", namespace="autoencoder.inference"),
    ])
    return {**stage_pipelines("autoencoder", ingestion, preprocessing, training, evaluation),
            "autoencoder_sweep": sweep_pipeline("autoencoder", nodes.train_autoencoder, TRAINING_INPUTS),
            "autoencoder_inference": scoring}
