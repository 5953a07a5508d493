"""Typed settings of the rbm app (``conf/base/parameters_rbm.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    Fraction,
    FractionOrZero,
    NonNegativeNumber,
    PositiveNumber,
    Settings,
    TrainingSettings,
    WholeNumber,
)

Momentum = FractionOrZero


class SyntheticSettings(Settings):
    """The generated ratings of ``rbm.dataset: synthetic``, with planted genre tastes."""

    users: Count = 1000
    items: Annotated[int, Field(strict=True, ge=10)] = 500
    genres: Count = 10
    ratings_per_user: Count = 40
    taste_concentration: PositiveNumber = 0.3


class RbmSplitSettings(Settings):
    """The per-user random split (the app has no validation part)."""

    test_fraction: Fraction = 0.25


class PreprocessingSettings(Settings):
    visible: Literal["implicit", "rating"]


class RbmModelSettings(Settings):
    hidden_units: Count
    cd_steps: Count


class RbmTraining(TrainingSettings):
    """Contrastive divergence with SGD and momentum (Hinton's update rule): no optimiser to choose."""

    learning_rate: PositiveNumber
    learning_rate_decay: Literal["none", "cosine"] = "none"
    momentum: Momentum
    weight_decay: NonNegativeNumber
    early_stopping_patience: Literal[0] = 0  # off: CD training has no validation loss to watch

    @field_validator("precision")
    @classmethod
    def _float32_only(cls, precision: str) -> str:
        # CD statistics are small differences of large sums, which half precision would swallow.
        if precision != "float32":
            raise ValueError("the RBM always trains in float32; set rbm.training.precision=float32")
        return precision


class RecommendationSettings(Settings):
    top_n: Count = 10
    user_id: WholeNumber | None = None


class EvaluationSettings(Settings):
    k: Count = 10


class RbmSettings(AppSettings):
    dataset: Literal["synthetic", "ml-100k", "ml-1m"]
    synthetic: SyntheticSettings
    split: RbmSplitSettings
    preprocessing: PreprocessingSettings
    model: RbmModelSettings
    training: RbmTraining
    recommendations: RecommendationSettings
    evaluation: EvaluationSettings
