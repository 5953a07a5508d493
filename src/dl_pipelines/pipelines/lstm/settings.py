"""Typed settings of the lstm app (``conf/base/parameters_lstm.yml``).

What needs no file is checked here, before any work; what needs the user's CSV (its dates,
numbers and length) is checked by the ingestion node, which reads the file anyway.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    DropoutRate,
    Flag,
    Fraction,
    Settings,
    SplitSettings,
    StandardTraining,
    WholeNumber,
)

Architecture = Literal["lstm", "gru", "simple_rnn", "dense"]
GENERATED = ("logistic_map", "noisy_sine")


class GeneratedSettings(Settings):
    length: Count = 1000
    logistic_x0: Fraction = 0.1
    noise_seed: WholeNumber = 0


class CsvSettings(Settings):
    time_column: str | None = "date"
    value_columns: Annotated[list[str], Field(min_length=1)] | None = None
    date_format: str | None = None


class ChronologicalSplit(SplitSettings):
    """Fractions of the whole series, in time order: train | validation | test."""

    @model_validator(mode="after")
    def _leaves_a_training_part(self) -> ChronologicalSplit:
        if self.validation_fraction + self.test_fraction >= 1:
            raise ValueError(f"Parameters lstm.split.validation_fraction={self.validation_fraction!r} and "
                             f"test_fraction={self.test_fraction!r} leave nothing to train on; expected a "
                             "sum below 1")
        return self


Differencing = Literal["none", "first", "seasonal", "both", "auto"]


class PreprocessingSettings(Settings):
    time_steps: Count
    horizon: Count = 1
    scaling: Literal["standard", "minmax", "none"] = "standard"
    gaps: Literal["drop", "ffill", "interpolate"] = "drop"
    season: Count | None = None
    transform: Literal["none", "log", "box_cox"] = "none"
    differencing: Differencing = "none"

    @model_validator(mode="after")
    def _seasonal_differencing_has_a_season(self) -> PreprocessingSettings:
        if self.differencing in ("seasonal", "both") and self.season == 1:
            raise ValueError(f"Parameter lstm.preprocessing.differencing={self.differencing!r} needs a "
                             "season; season=1 says the series has none: set season (e.g. 12) or "
                             "differencing: first")
        return self


class ForecasterSettings(Settings):
    architecture: Architecture
    units: Count
    layers: Count
    dropout: DropoutRate = 0.0
    residual: Literal["auto"] | Flag
    min_train_windows: WholeNumber = 24


class ForecastSettings(Settings):
    extrapolation_steps: Count
    multi_step_horizon: Count | None = None   # null = one season (at least 2 steps)


class LstmSettings(AppSettings):
    dataset: Literal["logistic_map", "noisy_sine", "usd_eur", "csv"]
    generated: GeneratedSettings
    csv: CsvSettings
    split: ChronologicalSplit
    preprocessing: PreprocessingSettings
    model: ForecasterSettings
    training: StandardTraining
    forecast: ForecastSettings

    @model_validator(mode="after")
    def _a_generated_series_is_long_enough(self) -> LstmSettings:
        length = self.generated.length
        season = self.preprocessing.season or 1  # a generated series has no dates to infer it from
        if self.dataset in GENERATED and (problem := length_problem(length, self.split, self.preprocessing,
                                                                     season)):
            raise ValueError(f"Parameter lstm.generated.length={length}: the series {self.dataset!r} "
                             f"{problem}")
        return self


def split_sizes(rows: int, split: SplitSettings) -> tuple[int, int, int]:
    """Rows of the chronological train, validation and test parts (fractions of the series)."""
    test = int(round(rows * split.test_fraction))
    validation = int(round(rows * split.validation_fraction))
    return rows - validation - test, validation, test


def differencing_lags(differencing: str, season: int) -> list[int]:
    """The lags the series is differenced at, in order (``auto`` counts as seasonal here: the most
    it can take)."""
    return {"none": [], "first": [1], "seasonal": [season], "both": [season, 1],
            "auto": [season] if season > 1 else []}[differencing]


def length_problem(rows: int, split: SplitSettings, preprocessing: PreprocessingSettings,
                   season: int = 1) -> str:
    """Why ``rows`` values are too few for the windows of ``time_steps`` (plus the values the
    differencing takes) + ``horizon`` in each part of the split, or for two seasons in the
    training part; ``""`` when they are enough."""
    time_steps, horizon = preprocessing.time_steps, preprocessing.horizon
    window = time_steps + sum(differencing_lags(preprocessing.differencing, season))
    train, validation, test = split_sizes(rows, split)
    if season > 1 and train < 2 * season:
        return (f"has {rows} usable rows: the split leaves {train} for training, fewer than two seasons "
                f"of {season} (lstm.preprocessing.season); use a longer series, a smaller "
                "validation_fraction / test_fraction, or the right season")
    if train >= window + horizon and min(validation, test) >= horizon:
        return ""
    return (f"has {rows} usable rows, too few for lstm.preprocessing.time_steps={time_steps} "
            + (f"(+ {window - time_steps} for the differencing) " if window > time_steps else "")
            + f"+ horizon={horizon}: the split gives {train} train / {validation} validation / {test} "
            f"test rows, and training needs at least {window + horizon}, validation and test at "
            f"least {horizon} each; use a longer series or smaller time_steps / horizon")
