"""The image-generation app ``gan``: the course's DCGAN, its training progress, its latent space,
and its samples scored by a digit classifier against real images."""

from __future__ import annotations

from typing import Any

from dl_pipelines.core.config import (
    ConfigurationError,
    require_below,
    require_choice,
    require_fraction,
    require_positive_int,
    require_positive_number,
    resolve_settings,
)
from dl_pipelines.core.training import validate_training
CLASSIFIERS = ("dense", "strided_cnn", "pooled_cnn")  # TODO(settings): typed
from dl_pipelines.pipelines.gan.models import shape_problem
from dl_pipelines.pipelines.gan.pipeline import create_pipelines

__all__ = ["create_pipelines", "validate_parameters"]

# Image shapes of the datasets, known before ingestion, so a dataset the DCGAN cannot take stops
# before any download (training checks the real shape again).
IMAGE_SHAPES = {"digits": (8, 8, 1), "mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1)}


def validate_parameters(params: dict[str, Any]) -> None:
    """Check every ``gan`` parameter before any work starts; one clear line on the first problem."""
    settings = resolve_settings("gan", params)
    model, training, split = settings["model"], settings["training"], settings["split"]
    sampling, evaluation = settings["sampling"], settings["evaluation"]
    require_positive_int("gan.seed", settings["seed"], allow_zero=True)
    require_fraction("gan.split.validation_fraction", split["validation_fraction"])
    require_fraction("gan.split.test_fraction", split["test_fraction"])
    require_positive_int("gan.model.noise_size", model["noise_size"])
    require_positive_int("gan.model.generator_filters", model["generator_filters"])
    if model["generator_filters"] % 4:
        raise ConfigurationError(
            f"Parameter gan.model.generator_filters={model['generator_filters']!r} is invalid; "
            "expected a multiple of 4 (the generator's blocks have filters, 1/2 and 1/4 of it).")
    require_positive_int("gan.model.discriminator_filters", model["discriminator_filters"])
    require_below("gan.model.dropout", model["dropout"], 1)
    require_below("gan.model.label_smoothing", model["label_smoothing"], 0.5)
    require_below("gan.model.generator_ema", model["generator_ema"], 1)
    validate_training("gan", {**training, "early_stopping_patience": 0})
    if training.get("precision") == "mixed_float16":
        raise ConfigurationError(
            "Parameter gan.training.precision='mixed_float16' is not supported: the two-player step "
            "has no loss scaling; use mixed_bfloat16 (or float32).")
    for name in ("generator_learning_rate", "discriminator_learning_rate"):
        require_positive_number(f"gan.training.{name}", training[name])
    require_below("gan.training.beta_1", training["beta_1"], 1)
    require_positive_int("gan.sampling.grid_samples", sampling["grid_samples"])
    require_positive_int("gan.sampling.gif_frame_ms", sampling["gif_frame_ms"])
    if evaluation["samples"] is not None:
        require_positive_int("gan.evaluation.samples", evaluation["samples"])
    require_positive_int("gan.evaluation.interpolation_pairs", evaluation["interpolation_pairs"])
    require_positive_int("gan.evaluation.interpolation_steps", evaluation["interpolation_steps"])
    require_positive_int("gan.evaluation.samples_per_row", evaluation["samples_per_row"])
    for value in evaluation["latent_spreads"]:
        require_positive_number("gan.evaluation.latent_spreads", value)
    for value in evaluation["latent_means"]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(
                f"Parameter gan.evaluation.latent_means contains {value!r}; expected numbers.")
    classifier = evaluation["classifier"]
    require_choice("gan.evaluation.classifier.architecture", classifier["architecture"], CLASSIFIERS)
    for name in ("units", "filters", "epochs", "batch_size"):
        # 0 epochs: an untrained judge, for measuring the pipeline's fixed cost.
        require_positive_int(f"gan.evaluation.classifier.{name}", classifier[name],
                             allow_zero=name == "epochs")
    require_positive_number("gan.evaluation.classifier.learning_rate", classifier["learning_rate"])
    require_positive_int("gan.evaluation.classifier.early_stopping_patience",
                         classifier["early_stopping_patience"], allow_zero=True)
    shape = IMAGE_SHAPES.get(settings["dataset"])
    problem = shape and shape_problem(shape, f"{settings['dataset']} images")
    if problem:
        raise ConfigurationError(problem)
