"""The gan app: ingestion -> preprocessing -> training -> evaluation, and inference
(conventions: :mod:`dl_pipelines.core.stages`)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from dl_pipelines.core import images
from dl_pipelines.core.stages import stage_pipelines
from dl_pipelines.core.sweep import sweep_pipeline
from dl_pipelines.pipelines.gan import figures, inference, nodes

TRAINING_INPUTS = ["gan.model_input", "params:gan.model", "params:gan.training", "params:gan.sampling",
                   "params:gan.seed"]


def create_pipelines() -> dict[str, Pipeline]:
    """The app pipeline ``gan`` and its four stages ``gan_<stage>``."""
    ingestion, preprocessing = images.image_stages("gan")
    training = Pipeline([
        node(nodes.train_gan, TRAINING_INPUTS,
             ["gan.generator", "gan.discriminator", "gan.training_history", "gan.progress"],
             name="train_gan", namespace="gan.training"),
    ])
    evaluation = Pipeline([
        node(figures.progress_images, "gan.progress", "gan.progress_images",
             name="progress_images", namespace="gan.evaluation"),
        node(figures.progress_animation, ["gan.progress", "params:gan.sampling"], "gan.progress_gif",
             name="progress_animation", namespace="gan.evaluation"),
        node(figures.plot_final_grid, ["gan.progress", "gan.model_input"], "gan.final_grid_plot",
             name="plot_final_grid", namespace="gan.evaluation"),
        node(figures.plot_losses, "gan.training_history", "gan.losses_plot",
             name="plot_losses", namespace="gan.evaluation"),
        node(figures.plot_interpolation, ["gan.generator", "params:gan.evaluation", "params:gan.seed"],
             "gan.interpolation_plot", name="plot_interpolation", namespace="gan.evaluation"),
        node(figures.plot_latent_shifts, ["gan.generator", "params:gan.evaluation", "params:gan.seed"],
             ["gan.latent_means_plot", "gan.latent_spreads_plot"],
             name="plot_latent_shifts", namespace="gan.evaluation"),
        node(nodes.generate_images, ["gan.generator", "gan.model_input", "params:gan.evaluation",
                                     "params:gan.seed"],
             "gan.generated_images", name="generate_images", namespace="gan.evaluation"),
        node(nodes.train_digit_classifier, ["gan.model_input", "params:gan.evaluation",
                                            "params:gan.training", "params:gan.seed"],
             "gan.classifier", name="train_digit_classifier", namespace="gan.evaluation"),
        node(nodes.score_samples, ["gan.classifier", "gan.generated_images", "gan.model_input"],
             "gan.test_metrics", name="score_samples", namespace="gan.evaluation"),
        node(figures.plot_samples, ["gan.generated_images", "gan.classifier", "gan.model_input"],
             "gan.samples_plot", name="plot_samples", namespace="gan.evaluation"),
    ])
    scoring = Pipeline([
        node(inference.generate_samples, ["gan.generator", "params:gan.inference"],
             ["gan.samples", "gan.new_samples_plot"], name="generate_samples", namespace="gan.inference"),
    ])
    return {**stage_pipelines("gan", ingestion, preprocessing, training, evaluation),
            "gan_sweep": sweep_pipeline("gan", nodes.train_gan, TRAINING_INPUTS),
            "gan_inference": scoring}
