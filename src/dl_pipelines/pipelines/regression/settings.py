"""Typed settings of the regression app (``conf/base/parameters_regression.yml``).

What needs the data itself (does the CSV file exist, has it the target, feature and categorical
columns, are its numbers numbers) is checked by the ingestion node, which reads the file anyway.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    DropoutRate,
    Flag,
    Fraction,
    FractionOrZero,
    NonNegativeNumber,
    PositiveNumber,
    Settings,
    StandardTraining,
    WholeNumber,
)
from dl_pipelines.core.tables import TableColumns


class DataSettings(TableColumns):
    APP = "regression"


class RegressionSplit(Settings):
    """The shared split, but the validation set may be left out."""

    validation_fraction: FractionOrZero  # 0: no validation set
    test_fraction: Fraction = 0.2


class PreprocessingSettings(Settings):
    scale: Flag


class RegressionModelSettings(Settings):
    architecture: Literal["linear", "deep"]
    units: Annotated[list[Count], Field(min_length=1)] = [100, 100]
    l2: NonNegativeNumber
    dropout: DropoutRate = 0.0
    batch_norm: Flag = False
    # Train on the target standardised with the training rows' mean and std; the model's output
    # is rescaled back, so it predicts in the target's units (a target in the 100,000s: csv).
    standardize_target: Flag = False


class GradientTapeSettings(Settings):
    epochs: WholeNumber
    learning_rate: PositiveNumber


class RegressionSettings(AppSettings):
    dataset: Literal["diabetes", "linear_toy", "boston_housing", "fuel_consumption", "csv"]
    data: DataSettings
    split: RegressionSplit
    preprocessing: PreprocessingSettings
    model: RegressionModelSettings
    training: StandardTraining
    gradient_tape: GradientTapeSettings
