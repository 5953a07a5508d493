"""The forecasting app ``lstm``: recurrent networks (and a dense baseline) for time series."""

from __future__ import annotations

from typing import Any

from dl_pipelines.core.config import (
    ConfigurationError,
    require_choice,
    require_fraction,
    require_positive_int,
    resolve_settings,
)
from dl_pipelines.core.training import validate_training
from dl_pipelines.pipelines.lstm.models import ARCHITECTURES
from dl_pipelines.pipelines.lstm.nodes import check_length, fill_gaps, read_csv_series
from dl_pipelines.pipelines.lstm.pipeline import create_pipelines

__all__ = ["create_pipelines", "validate_parameters"]

GAPS = ("drop", "ffill", "interpolate")
SCALINGS = ("standard", "minmax", "none")


def validate_parameters(params: dict[str, Any]) -> None:
    """Check every ``lstm`` parameter before any work starts; one clear line on the first problem.

    For ``lstm.dataset=csv`` the file itself is read and checked too (dates, numbers, length), so a
    bad CSV stops the run before anything is written.
    """
    settings = resolve_settings("lstm", params)
    split, prep, model = settings["split"], settings["preprocessing"], settings["model"]
    generated = settings["generated"]
    require_positive_int("lstm.seed", settings["seed"], allow_zero=True)
    require_positive_int("lstm.generated.length", generated["length"])
    require_positive_int("lstm.generated.noise_seed", generated["noise_seed"], allow_zero=True)
    x0 = generated["logistic_x0"]
    if isinstance(x0, bool) or not isinstance(x0, int | float) or not 0 < x0 < 1:
        raise ConfigurationError(f"Parameter lstm.generated.logistic_x0={x0!r} is invalid; expected a "
                                 "number strictly between 0 and 1.")
    require_fraction("lstm.split.validation_fraction", split["validation_fraction"])
    require_fraction("lstm.split.test_fraction", split["test_fraction"])
    if split["validation_fraction"] + split["test_fraction"] >= 1:
        raise ConfigurationError(
            f"Parameters lstm.split.validation_fraction={split['validation_fraction']!r} and "
            f"test_fraction={split['test_fraction']!r} leave nothing to train on; expected a sum below 1.")
    require_positive_int("lstm.preprocessing.time_steps", prep["time_steps"])
    require_positive_int("lstm.preprocessing.horizon", prep["horizon"])
    require_choice("lstm.preprocessing.scaling", prep["scaling"], SCALINGS)
    require_choice("lstm.preprocessing.gaps", prep["gaps"], GAPS)
    require_choice("lstm.model.architecture", model["architecture"], ARCHITECTURES)
    require_positive_int("lstm.model.units", model["units"])
    require_positive_int("lstm.model.layers", model["layers"])
    if isinstance(model["dropout"], bool) or not isinstance(model["dropout"], int | float) \
            or not 0 <= model["dropout"] < 1:
        raise ConfigurationError(f"Parameter lstm.model.dropout={model['dropout']!r} is invalid; "
                                 "expected a fraction in [0, 1).")
    if not isinstance(model["residual"], bool):
        raise ConfigurationError(f"Parameter lstm.model.residual={model['residual']!r} is invalid; "
                                 "expected true or false.")
    validate_training("lstm", settings["training"])
    require_positive_int("lstm.forecast.extrapolation_steps",
                         settings["forecast"]["extrapolation_steps"])
    if settings["dataset"] in ("logistic_map", "noisy_sine"):
        check_length(generated["length"], settings, f"lstm.generated.length={generated['length']}:"
                                                    f" the series {settings['dataset']!r}")
    if settings["dataset"] == "csv":
        _validate_csv(settings)


def _validate_csv(settings: dict[str, Any]) -> None:
    """Read the user's CSV once up front: a wrong date, a word among numbers or a series too short
    for the windows is reported before any stage runs."""
    csv = settings["csv"]
    if not csv["path"]:
        raise ConfigurationError("Parameter lstm.csv.path is not set; expected the path of your CSV "
                                 "file, e.g. --params lstm.dataset=csv,lstm.csv.path=data/01_raw/my.csv.")
    columns = csv["value_columns"]
    if columns is not None and (not isinstance(columns, list) or not columns
                                or not all(isinstance(c, str) for c in columns)):
        raise ConfigurationError(f"Parameter lstm.csv.value_columns={columns!r} is invalid; expected "
                                 "a list of column names, or null for every column but the date.")
    series = read_csv_series(csv["path"], csv["time_column"], columns, csv["date_format"])
    values, _ = fill_gaps(series["values"], settings["preprocessing"]["gaps"])
    check_length(len(values), settings, str(csv["path"]))
