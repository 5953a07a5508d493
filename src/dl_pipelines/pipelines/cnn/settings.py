"""Typed settings of the cnn app (``conf/base/parameters_cnn.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dl_pipelines.core.classifiers import ClassifierSettings
from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    NonNegativeNumber,
    PositiveNumber,
    Settings,
    SplitSettings,
    StandardTraining,
    WholeNumber,
)


class EvaluationSettings(Settings):
    misclassified_to_show: WholeNumber = 32


class GridSearchSettings(Settings):
    """The course's grid search: one model per learning rate x L2 penalty."""

    learning_rates: Annotated[list[PositiveNumber], Field(min_length=1)]
    l2_penalties: Annotated[list[NonNegativeNumber], Field(min_length=1)]
    epochs: Count


class CnnSettings(AppSettings):
    dataset: Literal["digits", "mnist", "fashion_mnist", "cifar10"]
    split: SplitSettings
    model: ClassifierSettings
    training: StandardTraining
    evaluation: EvaluationSettings
    grid_search: GridSearchSettings
