"""Typed settings of the rbm_features app (``conf/base/parameters_rbm_features.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dl_pipelines.core.rbm import RbmModelSettings, RbmTraining
from dl_pipelines.core.settings import AppSettings, Count, PositiveNumber, Settings, SplitSettings

# More than this many images or filters in one figure are too small to see.
FIGURE_LIMIT = 400


class ClassifierSettings(Settings):
    """The logistic regressions (scikit-learn) on the hidden units and on the raw pixels."""

    inverse_regularization: PositiveNumber  # scikit-learn's C: larger, weaker L2 penalty
    max_iter: Count = 500


class EvaluationSettings(Settings):
    images_to_show: Annotated[int, Field(strict=True, ge=1, le=40)] = 10
    filters_to_show: Annotated[int, Field(strict=True, ge=1, le=FIGURE_LIMIT)] = 100
    gibbs_steps: Annotated[list[Count], Field(min_length=1, max_length=8)] = [1, 10, 100, 1000]


class RbmFeaturesSettings(AppSettings):
    dataset: Literal["digits", "mnist"]
    split: SplitSettings
    model: RbmModelSettings
    training: RbmTraining
    classifier: ClassifierSettings
    evaluation: EvaluationSettings

    @model_validator(mode="after")
    def _chains_grow(self) -> RbmFeaturesSettings:
        if self.evaluation.gibbs_steps != sorted(set(self.evaluation.gibbs_steps)):
            raise ValueError(f"Parameter rbm_features.evaluation.gibbs_steps={self.evaluation.gibbs_steps} "
                             "must be increasing, e.g. [1, 10, 100, 1000]")
        return self
