"""Typed settings of the autoencoder app (``conf/base/parameters_autoencoder.yml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from dl_pipelines.core.images import IMAGE_SHAPES
from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    NonNegativeNumber,
    Settings,
    SplitSettings,
    StandardTraining,
)
from dl_pipelines.pipelines.autoencoder.models import shape_problem


class AutoencoderModelSettings(Settings):
    """Which autoencoder, and its size."""

    architecture: Literal["dense", "deep", "conv"]
    code_size: Count
    units: Count = 256
    filters: Count = 32
    noise_stddev: NonNegativeNumber = 0.0


class AutoencoderTraining(StandardTraining):
    loss: Literal["mse", "binary_crossentropy"]
    learning_rate_decay: Literal["none", "cosine"] = "cosine"


class EvaluationSettings(Settings):
    images_to_show: Count = 12


class AutoencoderSettings(AppSettings):
    dataset: Literal["digits", "mnist", "fashion_mnist"]
    split: SplitSettings
    model: AutoencoderModelSettings
    training: AutoencoderTraining
    evaluation: EvaluationSettings

    @model_validator(mode="after")
    def _model_fits_the_images(self) -> AutoencoderSettings:
        problem = shape_problem(self.model.architecture, IMAGE_SHAPES[self.dataset], self.model.code_size,
                                f"{self.dataset} images")
        if problem:
            raise ValueError(problem.removesuffix("."))  # one_line ends the sentence
        return self
