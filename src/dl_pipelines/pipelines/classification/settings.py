"""Typed settings of the classification app (``conf/base/parameters_classification.yml``).

What needs the data itself (has the CSV file the columns, are its numbers numbers, has its target
two classes or more, enough rows of each for the folds) is checked by the nodes that read it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    DropoutRate,
    Flag,
    NonNegativeNumber,
    Settings,
    SplitSettings,
    StandardTraining,
)
from dl_pipelines.core.sweep import SweepSettings, check_grid
from dl_pipelines.core.tables import TableColumns


class DataSettings(TableColumns):
    APP = "classification"
    TARGET = "the column of class labels"


class PreprocessingSettings(Settings):
    scale: Flag


class ClassifierModelSettings(Settings):
    architecture: Literal["logistic", "dense"]
    units: Annotated[list[Count], Field(min_length=1)] = [16]
    activation: Literal["relu", "tanh", "sigmoid"] = "relu"
    l2: NonNegativeNumber = 0.0
    dropout: DropoutRate = 0.0


class CrossValidationSettings(Settings):
    folds: Annotated[int, Field(strict=True, ge=2)]  # k of the stratified k-fold


class ClassificationSettings(AppSettings):
    dataset: Literal["xor", "iris", "ionosphere", "csv"]
    data: DataSettings
    split: SplitSettings
    preprocessing: PreprocessingSettings
    model: ClassifierModelSettings
    training: StandardTraining
    cross_validation: CrossValidationSettings
    sweep: SweepSettings  # kedro run --pipelines=classification_sweep

    @model_validator(mode="after")
    def _the_sweep_names_valid_settings(self) -> ClassificationSettings:
        check_grid(self.sweep.grid, {"model": self.model, "training": self.training}, "classification.sweep")
        return self
