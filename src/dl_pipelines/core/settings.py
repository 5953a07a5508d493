"""Typed settings: the pieces every app's parameters are built from, and their resolution.

Each app keeps its parameters under one key of ``conf/base/parameters_<app>.yml``. Before any
work, :class:`dl_pipelines.hooks.SettingsHook` turns them into the **effective** settings, once:

1. a setting left at ``null`` takes the value of the chosen preset (``<app>.presets.<name>``,
   named after the dataset unless ``<app>.preset`` says otherwise), so ``--params
   cnn.dataset=mnist`` alone gives the documented MNIST settings;
2. a run setting (strategy, precision, checkpoints, ...) missing from ``<app>.training`` takes the
   project-wide value of ``run`` (``conf/base/parameters.yml``);
3. the result is validated by the app's settings model: a bad value stops the run in one line
   naming the parameter, the value and what is expected.

Explicit values (the YAML's, ``--params``) always win. Nodes then receive the narrow blocks they
use (``params:cnn.model``, ``params:cnn.training``) as these typed objects; Kedro builds them from
the node's type hints.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dl_pipelines.core.errors import ConfigurationError

# Number types of the settings, strict: `epochs: 2.5`, `true` or "0.5" is a mistake, not a value
# to convert (a whole number is still a valid real number).
Count = Annotated[int, Field(strict=True, ge=1)]
WholeNumber = Annotated[int, Field(strict=True, ge=0)]
PositiveNumber = Annotated[float, Field(strict=True, gt=0)]
NonNegativeNumber = Annotated[float, Field(strict=True, ge=0)]
Fraction = Annotated[float, Field(strict=True, gt=0, lt=1)]
FractionOrZero = Annotated[float, Field(strict=True, ge=0, lt=1)]
DropoutRate = FractionOrZero
Flag = Annotated[bool, Field(strict=True)]  # true or false; not "yes", not 1

Optimizer = Literal["sgd", "momentum", "adagrad", "rmsprop", "adam"]
Strategy = Literal["auto", "cpu", "one_device", "mirrored", "multi_worker"]
Precision = Literal["float32", "mixed_float16", "mixed_bfloat16"]


class Settings(BaseModel):
    """Base of every settings block: unknown keys are errors (a typo must not pass silently),
    and a block is read-only once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSettings(Settings):
    """How and where a training runs; none of these changes the trained model. Written once in
    ``run`` (``conf/base/parameters.yml``); an app may override any of them in its ``training``."""

    strategy: Strategy = "auto"
    precision: Precision = "float32"
    jit_compile: Literal["auto"] | Flag = "auto"
    steps_per_execution: Literal["auto"] | Count = "auto"
    verbose: Literal["auto", 0, 1, 2] = "auto"
    checkpoint_dir: str | None = "data/06_models/checkpoints"
    checkpoint_every: Literal["auto"] | Count = "auto"
    tensorboard_dir: str | None = "data/08_reporting/tensorboard"
    deterministic: Flag = False

    # The fields above: left out of the resume fingerprint (see core.training).
    RUN_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"strategy", "jit_compile", "steps_per_execution", "verbose", "checkpoint_dir",
         "checkpoint_every", "tensorboard_dir", "deterministic"})


class TrainingSettings(RunSettings):
    """What every app's ``fit()`` is given: the run settings, the length and early stopping."""

    epochs: WholeNumber
    batch_size: Count
    early_stopping_patience: WholeNumber = 0


class StandardTraining(TrainingSettings):
    """Training with one of the course's optimisers, its learning rate and schedule (every app
    but the two with their own update rules, gan and rbm)."""

    optimizer: Optimizer = "adam"
    learning_rate: PositiveNumber
    learning_rate_decay: Literal["none", "cosine"] = "none"
    reduce_lr_patience: WholeNumber = 0

    @model_validator(mode="after")
    def _plateau_or_schedule(self) -> StandardTraining:
        # Keras cannot lower on a plateau a learning rate that a schedule sets on every step.
        if self.reduce_lr_patience and self.learning_rate_decay != "none":
            raise ValueError("reduce_lr_patience and learning_rate_decay: cosine cannot be combined; "
                             "set learning_rate_decay: none to reduce on plateaus, or reduce_lr_patience: 0")
        return self


class SplitSettings(Settings):
    """A seeded hold-out split: validation out of the training part, test where a dataset has no
    published test split."""

    validation_fraction: Fraction = 0.1
    test_fraction: Fraction = 0.2


class SweepSettings(Settings):
    """``grid``: setting path -> values to try; ``epochs`` per combination (None: the training
    block's); ``monitor``: the history key the combinations are ranked by (its lowest value for a
    loss, else its highest)."""

    grid: Annotated[dict[str, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)]
    epochs: Count | None = None
    monitor: str = "val_loss"


class AppSettings(Settings):
    """An app's parameters: the dataset, the preset and the seed, then the app's own blocks, and
    the grid of ``kedro run --pipelines=<app>_sweep`` (:mod:`dl_pipelines.core.sweep`)."""

    dataset: str
    preset: str | None = None
    seed: WholeNumber = 42
    sweep: SweepSettings | None = None


def fill_nulls(explicit: Any, defaults: Any) -> Any:
    """``explicit`` with every ``None`` (or missing key) taken from the same place in ``defaults``."""
    if explicit is None:
        return copy.deepcopy(defaults)
    if isinstance(explicit, Mapping):
        defaults = defaults if isinstance(defaults, Mapping) else {}
        merged = {key: fill_nulls(value, defaults.get(key)) for key, value in explicit.items()}
        for key, value in defaults.items():
            merged.setdefault(key, copy.deepcopy(value))
        return merged
    return explicit


def effective_settings(app: str, params: Mapping[str, Any], model: type[AppSettings],
                       run: Mapping[str, Any] | None = None) -> AppSettings:
    """An app's effective settings: presets and run settings filled in, then validated.

    Args:
        app: The app's name, the first part of every parameter name in error messages.
        params: The app's raw parameters (``params:<app>``), ``presets`` included.
        model: The app's settings model.
        run: The project-wide run settings (``params:run``), the defaults of ``<app>.training``.

    Raises:
        ConfigurationError: One line naming the first bad parameter, its value and what is expected.
    """
    presets = params.get("presets") or {}
    dataset = params.get("dataset")
    # A preset named after a dataset is that dataset's; any other says which dataset it is for.
    datasets = [name for name, preset in presets.items() if "dataset" not in preset]
    if presets and dataset not in datasets:
        raise ConfigurationError(f"Parameter {app}.dataset={dataset!r} is not known; "
                                 f"expected one of: {', '.join(datasets)}.")
    name = params.get("preset") or dataset
    preset: Mapping[str, Any] = {}
    if presets:
        if name not in presets:
            raise ConfigurationError(f"Parameter {app}.preset={name!r} is not known; "
                                     f"expected one of: {', '.join(presets)}.")
        preset = {key: value for key, value in presets[name].items() if key != "dataset"}
        if presets[name].get("dataset", dataset) != dataset:
            raise ConfigurationError(
                f"Parameter {app}.preset={name!r} is for dataset {presets[name]['dataset']!r}, not "
                f"{dataset!r}; add {app}.dataset={presets[name]['dataset']} to --params.")
    raw = fill_nulls({key: value for key, value in params.items() if key != "presets"}, preset)
    if run is not None and isinstance(raw.get("training"), Mapping):
        raw["training"] = fill_nulls(raw["training"], run)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise ConfigurationError(one_line(app, error, raw, model)) from None


def one_line(prefix: str, error: ValidationError, raw: Mapping[str, Any], model: type[BaseModel]) -> str:
    """The first problem of a pydantic ``ValidationError`` as the project's one-line message."""
    problem = error.errors()[0]
    # Union members add their own name to the location (`int`, `literal['auto']`): not parameters.
    location = [str(part) for part in problem["loc"] if not _is_type_tag(part)]
    name = ".".join([prefix, *location])
    if problem["type"] == "extra_forbidden":
        for part in location[:-1]:
            annotation = model.model_fields[part].annotation if part in model.model_fields else None
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                model = annotation
        return f"Parameter {name} is not a known setting; expected one of: {', '.join(model.model_fields)}."
    if problem["type"] == "missing":
        return f"Parameter {name} is missing; set it in conf/base/parameters_{prefix}.yml or with --params."
    message = problem["msg"].removeprefix("Value error, ")
    if message.startswith("Parameter"):  # a validator's message already names its parameters
        return message if message.endswith(".") else f"{message}."
    value = _at(raw, location)
    if not location or isinstance(value, Mapping):  # a rule between several settings of a block
        return f"Parameters of {name} are invalid: {message}."
    return f"Parameter {name}={value!r} is invalid: {message}."


def _is_type_tag(part: Any) -> bool:
    text = str(part)
    return text in ("int", "float", "bool", "str", "none") or text.startswith(("literal[", "constrained-"))


def _at(raw: Any, path: list[str]) -> Any:
    for key in path:
        if isinstance(raw, Mapping):
            raw = raw.get(key)
        elif isinstance(raw, list) and key.isdigit() and int(key) < len(raw):
            raw = raw[int(key)]
        else:
            return None
    return raw


def flatten(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    """``(name.key.sub, leaf)`` for every leaf of a settings block that has a value (``None`` is
    left out); a single value gives ``(name, value)``."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from flatten(item, f"{name}.{key}")
    elif value is not None:
        yield name, value
