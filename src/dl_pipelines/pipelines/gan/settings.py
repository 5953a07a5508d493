"""Typed settings of the gan app (``conf/base/parameters_gan.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from dl_pipelines.core.classifiers import ClassifierSettings
from dl_pipelines.core.images import IMAGE_SHAPES
from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    DropoutRate,
    FractionOrZero,
    PositiveNumber,
    Settings,
    SplitSettings,
    TrainingSettings,
    WholeNumber,
)
from dl_pipelines.pipelines.gan.models import shape_problem

Decay = FractionOrZero  # a moving average's decay: beta_1, generator_ema


class GanModel(Settings):
    noise_size: Count
    generator_filters: Annotated[Count, Field(multiple_of=4)]
    discriminator_filters: Count
    dropout: DropoutRate = 0.3
    label_smoothing: Annotated[float, Field(strict=True, ge=0, lt=0.5)]
    generator_ema: Decay


class GanTraining(TrainingSettings):
    """The two players' Adam optimisers; no early stopping (GAN losses do not measure sample
    quality), so ``early_stopping_patience`` can only be 0."""

    early_stopping_patience: Literal[0] = 0
    generator_learning_rate: PositiveNumber
    discriminator_learning_rate: PositiveNumber
    beta_1: Decay

    @field_validator("precision")
    @classmethod
    def _no_loss_scaling(cls, precision: str) -> str:
        if precision == "mixed_float16":
            raise ValueError("the two-player step has no loss scaling; use mixed_bfloat16 or float32")
        return precision


class SamplingSettings(Settings):
    grid_samples: Count = 16
    gif_frame_ms: Count = 150


class InferenceSettings(Settings):
    """What ``gan_inference`` generates: ``samples`` images from the noise of ``seed``."""

    samples: Count = 64
    seed: WholeNumber = 0


class JudgeSettings(ClassifierSettings):
    """The classifier that scores the samples, and its training (0 epochs: an untrained judge,
    for measuring the pipeline's fixed cost)."""

    epochs: WholeNumber
    batch_size: Count = 64
    learning_rate: PositiveNumber = 0.002
    early_stopping_patience: WholeNumber = 5


class EvaluationSettings(Settings):
    samples: Count | None = None
    interpolation_pairs: Count = 4
    interpolation_steps: Count = 9
    samples_per_row: Count = 10
    latent_means: list[Annotated[float, Field(strict=True)]] = [-2, -1, 0, 1, 2]  # strict: true is no number
    latent_spreads: list[PositiveNumber] = [0.25, 0.5, 1, 2, 4]
    classifier: JudgeSettings


class GanSettings(AppSettings):
    dataset: Literal["digits", "mnist", "fashion_mnist"]
    split: SplitSettings
    model: GanModel
    training: GanTraining
    sampling: SamplingSettings
    evaluation: EvaluationSettings
    inference: InferenceSettings

    @model_validator(mode="after")
    def _dataset_fits_the_dcgan(self) -> GanSettings:
        problem = shape_problem(IMAGE_SHAPES[self.dataset], f"{self.dataset} images")
        if problem:
            raise ValueError(problem.removesuffix("."))
        return self
