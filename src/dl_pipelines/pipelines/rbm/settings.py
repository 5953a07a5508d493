"""Typed settings of the rbm app (``conf/base/parameters_rbm.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dl_pipelines.core.rbm import RbmModelSettings, RbmTraining
from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    Fraction,
    PositiveNumber,
    Settings,
    WholeNumber,
)


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
