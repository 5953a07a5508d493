"""The recommendation app ``rbm``: a Restricted Boltzmann Machine trained by contrastive divergence
on movie ratings, recommending each user the movies they have not rated."""

from __future__ import annotations

from typing import Any

from dl_pipelines.core.config import (
    ConfigurationError,
    require_below,
    require_choice,
    require_fraction,
    require_positive_int,
    require_positive_number,
    resolve_settings,
)
from dl_pipelines.core.training import validate_training
from dl_pipelines.pipelines.rbm.pipeline import create_pipelines
from dl_pipelines.pipelines.rbm.ratings import VISIBLE_MODES

__all__ = ["create_pipelines", "validate_parameters"]


def validate_parameters(params: dict[str, Any]) -> None:
    """Check every ``rbm`` parameter before any work starts; one clear line on the first problem.

    Whether ``rbm.recommendations.user_id`` is a user of the dataset is checked once the ratings
    are read, still before training.
    """
    settings = resolve_settings("rbm", params)
    synthetic, model, training = settings["synthetic"], settings["model"], settings["training"]
    require_positive_int("rbm.seed", settings["seed"], allow_zero=True)
    for name in ("users", "items", "genres", "ratings_per_user"):
        require_positive_int(f"rbm.synthetic.{name}", synthetic[name])
    if synthetic["items"] < 10:
        raise ConfigurationError(f"Parameter rbm.synthetic.items={synthetic['items']!r} is invalid; "
                                 "expected at least 10 movies.")
    require_positive_number("rbm.synthetic.taste_concentration", synthetic["taste_concentration"])
    require_fraction("rbm.split.test_fraction", settings["split"]["test_fraction"])
    require_choice("rbm.preprocessing.visible", settings["preprocessing"]["visible"], VISIBLE_MODES)
    require_positive_int("rbm.model.hidden_units", model["hidden_units"])
    require_positive_int("rbm.model.cd_steps", model["cd_steps"])
    validate_training("rbm", {**training, "early_stopping_patience": 0})
    require_below("rbm.training.momentum", training["momentum"], 1)
    require_positive_number("rbm.training.weight_decay", training["weight_decay"], allow_zero=True)
    recommendations = settings["recommendations"]
    require_positive_int("rbm.recommendations.top_n", recommendations["top_n"])
    user_id = recommendations["user_id"]
    if user_id is not None:
        require_positive_int("rbm.recommendations.user_id", user_id, allow_zero=True)
    require_positive_int("rbm.evaluation.k", settings["evaluation"]["k"])
