"""The image-classification app ``cnn``: the course's dense, strided and pooled classifiers."""

from __future__ import annotations

from typing import Any

from dl_pipelines.core.config import (
    ConfigurationError,
    require_choice,
    require_fraction,
    require_positive_int,
    require_positive_number,
    resolve_settings,
)
from dl_pipelines.core.training import validate_training
from dl_pipelines.pipelines.cnn.models import ARCHITECTURES
from dl_pipelines.pipelines.cnn.pipeline import create_pipelines

__all__ = ["create_pipelines", "validate_parameters"]


def validate_parameters(params: dict[str, Any]) -> None:
    """Check every ``cnn`` parameter before any work starts; one clear line on the first problem."""
    settings = resolve_settings("cnn", params)
    model, training, split = settings["model"], settings["training"], settings["split"]
    grid = settings["grid_search"]
    require_positive_int("cnn.seed", settings["seed"], allow_zero=True)
    require_fraction("cnn.split.validation_fraction", split["validation_fraction"])
    require_fraction("cnn.split.test_fraction", split["test_fraction"])
    require_choice("cnn.model.architecture", model["architecture"], ARCHITECTURES)
    require_positive_int("cnn.model.units", model["units"])
    require_positive_int("cnn.model.filters", model["filters"])
    require_positive_int("cnn.model.convs_per_block", model["convs_per_block"])
    if not isinstance(model["batch_norm"], bool):
        raise ConfigurationError(f"Parameter cnn.model.batch_norm={model['batch_norm']!r} is invalid; "
                                 "expected true or false.")
    require_positive_number("cnn.model.l2", model["l2"], allow_zero=True)
    if not 0 <= model["dropout"] < 1:
        raise ConfigurationError(f"Parameter cnn.model.dropout={model['dropout']!r} is invalid; "
                                 "expected a fraction in [0, 1).")
    validate_training("cnn", training)
    require_positive_int("cnn.grid_search.epochs", grid["epochs"])
    for name in ("learning_rates", "l2_penalties"):
        values = grid[name]
        if not values:
            raise ConfigurationError(
                f"Parameter cnn.grid_search.{name} is empty; expected a list of numbers.")
        for value in values:
            require_positive_number(f"cnn.grid_search.{name}", value, allow_zero=name == "l2_penalties")
    require_positive_int("cnn.evaluation.misclassified_to_show",
                         settings["evaluation"]["misclassified_to_show"], allow_zero=True)
