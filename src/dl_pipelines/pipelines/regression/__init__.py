"""The regression app ``regression``: the course's linear and deep regression, with a least-squares
baseline and a linear fit written out by hand with ``tf.GradientTape``."""

from __future__ import annotations

from pathlib import Path
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
from dl_pipelines.pipelines.regression.models import ARCHITECTURES
from dl_pipelines.pipelines.regression.pipeline import create_pipelines

__all__ = ["create_pipelines", "validate_parameters"]


def _require_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"Parameter {name}={value!r} is invalid; expected true or false.")


def _require_columns(name: str, value: Any) -> None:
    """A list of column names, or null."""
    if value is None:
        return
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) and c for c in value):
        raise ConfigurationError(
            f"Parameter {name}={value!r} is invalid; expected a list of column names or null.")


def _validate_data(dataset: str, data: dict[str, Any]) -> None:
    if dataset == "csv":
        path = data.get("filepath")
        if not path:
            raise ConfigurationError(
                "Parameter regression.data.filepath is not set; regression.dataset=csv needs the "
                "path of a CSV file (--params regression.data.filepath=data/01_raw/my.csv).")
        if not Path(path).is_file():
            raise ConfigurationError(
                f"Parameter regression.data.filepath={path!r}: no such file; expected the path of a "
                "CSV file (relative to the project root).")
    if not isinstance(data.get("target"), str) or not data["target"]:
        raise ConfigurationError(
            f"Parameter regression.data.target={data.get('target')!r} is invalid; expected the "
            "name of the column to predict (--params regression.data.target=<column>).")
    _require_columns("regression.data.features", data.get("features"))
    _require_columns("regression.data.categorical", data.get("categorical"))


def validate_parameters(params: dict[str, Any]) -> None:
    """Check every ``regression`` parameter before any work starts; one clear line on the first
    problem."""
    settings = resolve_settings("regression", params)
    model, training, split = settings["model"], settings["training"], settings["split"]
    require_positive_int("regression.seed", settings["seed"], allow_zero=True)
    _validate_data(settings["dataset"], settings["data"])
    fraction = split["validation_fraction"]
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction < 1:
        raise ConfigurationError(
            f"Parameter regression.split.validation_fraction={fraction!r} is invalid; expected a "
            "fraction in [0, 1) (0: no validation set).")
    require_fraction("regression.split.test_fraction", split["test_fraction"])
    _require_flag("regression.preprocessing.scale", settings["preprocessing"]["scale"])
    require_choice("regression.model.architecture", model["architecture"], ARCHITECTURES)
    units = model["units"]
    if not isinstance(units, list | tuple) or not units:
        raise ConfigurationError(f"Parameter regression.model.units={units!r} is invalid; expected "
                                 "a list of layer widths such as [100, 100].")
    for width in units:
        require_positive_int("regression.model.units", width)
    require_positive_number("regression.model.l2", model["l2"], allow_zero=True)
    dropout = model["dropout"]
    if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise ConfigurationError(f"Parameter regression.model.dropout={dropout!r} is invalid; "
                                 "expected a fraction in [0, 1).")
    _require_flag("regression.model.batch_norm", model["batch_norm"])
    validate_training("regression", training)
    tape = settings["gradient_tape"]
    require_positive_int("regression.gradient_tape.epochs", tape["epochs"], allow_zero=True)
    require_positive_number("regression.gradient_tape.learning_rate", tape["learning_rate"])
