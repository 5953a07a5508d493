"""Parameter resolution and validation shared by every app.

Each app keeps its parameters under one key (``cnn``, ``regression``...). Settings left at
``null`` take the value of the chosen dataset's preset (``<app>.presets.<dataset>``), so that
``--params cnn.dataset=mnist`` alone gives the documented MNIST settings while an explicit
``--params cnn.training.epochs=3`` still wins. An app may offer more presets than datasets
(``cnn.presets.mnist_fast``), chosen with ``<app>.preset``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from dl_pipelines.core.errors import ConfigurationError

__all__ = ["ConfigurationError", "fill_from_preset", "resolve_settings", "require_choice",
           "require_positive_int", "require_positive_number", "require_fraction", "require_below"]


def fill_from_preset(base: Any, preset: Any) -> Any:
    """Return ``base`` with every ``None`` replaced by the value at the same place in ``preset``."""
    if base is None:
        return copy.deepcopy(preset)
    if isinstance(base, Mapping):
        preset = preset if isinstance(preset, Mapping) else {}
        merged = {key: fill_from_preset(value, preset.get(key)) for key, value in base.items()}
        for key, value in preset.items():
            merged.setdefault(key, copy.deepcopy(value))
        return merged
    return base


def resolve_settings(app: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve an app's parameters: check the dataset name, then fill nulls from its preset.

    Args:
        app: The app name, used in error messages (``cnn``).
        params: The app's parameter dict, holding ``dataset``, ``presets`` and optionally
            ``preset`` (null or absent: the preset named like the dataset).

    Returns:
        The parameters without ``presets``, every ``null`` filled from the chosen preset.
    """
    presets = params.get("presets") or {}
    dataset = params.get("dataset")
    # A preset named after a dataset is that dataset's; any other says which dataset it is for.
    require_choice(f"{app}.dataset", dataset, [name for name in presets if "dataset" not in presets[name]])
    preset = params.get("preset") or dataset
    require_choice(f"{app}.preset", preset, presets)
    if presets[preset].get("dataset", dataset) != dataset:
        raise ConfigurationError(
            f"Parameter {app}.preset={preset!r} is for dataset {presets[preset]['dataset']!r}, not "
            f"{dataset!r}; add {app}.dataset={presets[preset]['dataset']} to --params.")
    settings = {key: value for key, value in params.items() if key != "presets"}
    return fill_from_preset(settings, presets[preset])


def require_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    """Stop with one line when ``value`` is not one of ``choices``."""
    choices = list(choices)
    if value not in choices:
        raise ConfigurationError(
            f"Parameter {name}={value!r} is not known; expected one of: {', '.join(map(str, choices))}."
        )


def require_positive_int(name: str, value: Any, *, allow_zero: bool = False) -> None:
    """Stop with one line when ``value`` is not a positive (or, if allowed, zero) integer."""
    lowest = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        expected = "a whole number >= 0" if allow_zero else "a whole number >= 1"
        raise ConfigurationError(f"Parameter {name}={value!r} is invalid; expected {expected}.")


def require_positive_number(name: str, value: Any, *, allow_zero: bool = False) -> None:
    """Stop with one line when ``value`` is not a positive (or, if allowed, zero) number."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        expected = "a number >= 0" if allow_zero else "a number > 0"
        raise ConfigurationError(f"Parameter {name}={value!r} is invalid; expected {expected}.")


def require_fraction(name: str, value: Any) -> None:
    """Stop with one line when ``value`` is not a fraction strictly between 0 and 1."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 < value < 1:
        raise ConfigurationError(
            f"Parameter {name}={value!r} is invalid; expected a fraction between 0 and 1."
        )


def require_below(name: str, value: Any, upper: float) -> None:
    """Stop with one line when ``value`` is not a number in [0, ``upper``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 <= value < upper:
        raise ConfigurationError(f"Parameter {name}={value!r} is invalid; expected a number in [0, {upper}).")
