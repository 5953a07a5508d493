"""Settings resolution: presets fill nulls, run settings fill training, one-line errors."""

from typing import Literal

import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.settings import (
    AppSettings,
    Settings,
    StandardTraining,
    effective_settings,
    fill_nulls,
    flatten,
)


class Model(Settings):
    width: int = 4
    kind: Literal["a", "b"] = "a"


class App(AppSettings):
    dataset: Literal["small", "large"]
    model: Model
    training: StandardTraining


PARAMS = {
    "dataset": "small",
    "model": {"width": None},
    "training": {"epochs": None, "batch_size": 8, "learning_rate": 0.01},
    "presets": {"small": {"training": {"epochs": 3, "batch_size": 64}, "model": {"width": 16}},
                "large": {"training": {"epochs": 30}, "model": {"width": 64}},
                "small_fast": {"dataset": "small", "training": {"epochs": 1}, "model": {"width": 2}}},
}
RUN = {"strategy": "auto", "verbose": 0, "checkpoint_dir": None}


def resolve(run=RUN, **changes):
    return effective_settings("app", {**PARAMS, **changes}, App, run)


def test_nulls_are_filled_from_the_dataset_preset_and_explicit_values_win():
    settings = resolve()
    assert settings.training.epochs == 3 and settings.training.batch_size == 8
    assert settings.model.width == 16
    assert "presets" not in settings.model_dump()


def test_preset_follows_the_chosen_dataset():
    assert resolve(dataset="large").training.epochs == 30


def test_run_settings_fill_training_and_an_app_value_wins():
    assert resolve().training.checkpoint_dir is None and resolve().training.verbose == 0
    overridden = resolve(training={**PARAMS["training"], "strategy": "cpu"})
    assert overridden.training.strategy == "cpu"


def test_unknown_dataset_names_the_parameter_and_the_choices():
    with pytest.raises(ConfigurationError, match=r"app.dataset='nope' .* small, large\.$"):
        resolve(dataset="nope")
    with pytest.raises(ConfigurationError, match=r"app.dataset='small_fast' is not known"):
        resolve(dataset="small_fast")  # a preset, not a dataset


def test_a_named_preset_replaces_the_dataset_preset():
    settings = resolve(preset="small_fast")
    assert settings.training.epochs == 1 and settings.model.width == 2 and settings.dataset == "small"


def test_a_preset_for_another_dataset_says_which_dataset_to_choose():
    with pytest.raises(ConfigurationError, match=r"app.preset='small_fast' is for dataset 'small', "
                                                 r"not 'large'; add app.dataset=small to --params."):
        resolve(dataset="large", preset="small_fast")
    with pytest.raises(ConfigurationError, match=r"app.preset='huge' is not known"):
        resolve(preset="huge")


@pytest.mark.parametrize("changes, message", [
    ({"model": {"kind": "c"}}, "Parameter app.model.kind='c' is invalid: Input should be 'a' or 'b'."),
    ({"model": {"widht": 3}}, "Parameter app.model.widht is not a known setting; expected one of: "
                              "width, kind."),
    ({"training": {"epochs": 2.5, "batch_size": 8, "learning_rate": 0.1}},
     "Parameter app.training.epochs=2.5 is invalid: Input should be a valid integer"),
    ({"training": {"epochs": True, "batch_size": 8, "learning_rate": 0.1}},
     "Parameter app.training.epochs=True is invalid"),
    ({"training": {"epochs": 2, "batch_size": 8, "learning_rate": 0.1, "steps_per_execution": 0}},
     "Parameter app.training.steps_per_execution=0 is invalid"),
    ({"training": {"epochs": 2, "batch_size": 8, "learning_rate": 0.1, "checkpoint_every": "often"}},
     "Parameter app.training.checkpoint_every='often' is invalid"),
    ({"training": {"epochs": 2, "batch_size": 8, "learning_rate": 0.1, "learning_rate_decay": "cosine",
                   "reduce_lr_patience": 2}}, "Parameters of app.training are invalid: "
                                              "reduce_lr_patience and learning_rate_decay"),
])
def test_a_bad_value_is_named_in_one_line(changes, message):
    with pytest.raises(ConfigurationError) as error:
        resolve(**changes)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_missing_setting_says_where_to_set_it():
    with pytest.raises(ConfigurationError, match=r"app.training.learning_rate is missing; set it in "
                                                 r"conf/base/parameters_app.yml"):
        resolve(training={"epochs": 1, "batch_size": 2})


def test_fill_nulls_keeps_non_null_values_and_lists():
    assert fill_nulls({"a": [1, 2], "b": None}, {"a": [9], "b": {"c": 1}}) == {"a": [1, 2], "b": {"c": 1}}


def test_flatten_leaves_out_nones_and_names_every_leaf():
    assert dict(flatten(resolve().model, "app.model")) == {"app.model.width": 16, "app.model.kind": "a"}
    assert dict(flatten(7, "app.seed")) == {"app.seed": 7}
    assert "app.training.checkpoint_dir" not in dict(flatten(resolve().training, "app.training"))
