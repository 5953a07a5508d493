"""The autoencoder app ``autoencoder``: learned compression (dense, deep, convolutional, optionally
denoising autoencoders) measured against PCA with as many components."""

from __future__ import annotations

from typing import Any

from dl_pipelines.core.config import (
    ConfigurationError,
    require_choice,
    require_fraction,
    require_positive_int,
    require_positive_number,
    resolve_settings,
)
from dl_pipelines.core.training import validate_training
from dl_pipelines.pipelines.autoencoder.models import ARCHITECTURES, shape_problem
from dl_pipelines.pipelines.autoencoder.pipeline import create_pipelines

__all__ = ["create_pipelines", "validate_parameters"]

LOSSES = ("mse", "binary_crossentropy")

# Image shapes of the datasets, known before ingestion, so a code size or architecture that
# cannot take them stops before any download or training (training checks the real shape again).
IMAGE_SHAPES = {"digits": (8, 8, 1), "mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1)}


def validate_parameters(params: dict[str, Any]) -> None:
    """Check every ``autoencoder`` parameter before any work starts; one clear line on the first
    problem."""
    settings = resolve_settings("autoencoder", params)
    model, training, split = settings["model"], settings["training"], settings["split"]
    require_positive_int("autoencoder.seed", settings["seed"], allow_zero=True)
    require_fraction("autoencoder.split.validation_fraction", split["validation_fraction"])
    require_fraction("autoencoder.split.test_fraction", split["test_fraction"])
    require_choice("autoencoder.model.architecture", model["architecture"], ARCHITECTURES)
    require_positive_int("autoencoder.model.code_size", model["code_size"])
    require_positive_int("autoencoder.model.units", model["units"])
    require_positive_int("autoencoder.model.filters", model["filters"])
    require_positive_number("autoencoder.model.noise_stddev", model["noise_stddev"], allow_zero=True)
    require_choice("autoencoder.training.loss", training["loss"], LOSSES)
    validate_training("autoencoder", training)
    require_positive_int("autoencoder.evaluation.images_to_show",
                         settings["evaluation"]["images_to_show"])
    shape = IMAGE_SHAPES.get(settings["dataset"])
    problem = shape and shape_problem(model["architecture"], shape, model["code_size"],
                                      f"{settings['dataset']} images")
    if problem:
        raise ConfigurationError(problem)
