"""Typed settings of the cnn app (``conf/base/parameters_cnn.yml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from dl_pipelines.core.classifiers import ClassifierSettings
from dl_pipelines.core.settings import AppSettings, Settings, SplitSettings, StandardTraining, WholeNumber
from dl_pipelines.core.sweep import SweepSettings, check_grid


class EvaluationSettings(Settings):
    misclassified_to_show: WholeNumber = 32


class CnnSettings(AppSettings):
    dataset: Literal["digits", "mnist", "fashion_mnist", "cifar10"]
    split: SplitSettings
    model: ClassifierSettings
    training: StandardTraining
    evaluation: EvaluationSettings
    grid_search: SweepSettings  # the course's learning rate x L2 grid, a sweep like any other

    @model_validator(mode="after")
    def _the_grid_names_valid_settings(self) -> CnnSettings:
        check_grid(self.grid_search.grid, {"model": self.model, "training": self.training}, "cnn.grid_search")
        return self
