import pytest

from dl_pipelines.core.config import (
    ConfigurationError,
    fill_from_preset,
    require_choice,
    require_fraction,
    require_positive_int,
    require_positive_number,
    resolve_settings,
)

PARAMS = {
    "dataset": "small",
    "training": {"epochs": None, "batch_size": 8},
    "presets": {"small": {"training": {"epochs": 3, "batch_size": 64}, "extra": 1},
                "large": {"training": {"epochs": 30}},
                "small_fast": {"dataset": "small", "training": {"epochs": 1}}},
}


def test_nulls_are_filled_from_the_dataset_preset_and_explicit_values_win():
    settings = resolve_settings("app", PARAMS)
    assert settings["training"] == {"epochs": 3, "batch_size": 8}
    assert settings["extra"] == 1
    assert "presets" not in settings


def test_preset_follows_the_chosen_dataset():
    assert resolve_settings("app", {**PARAMS, "dataset": "large"})["training"]["epochs"] == 30


def test_unknown_dataset_names_the_parameter_and_the_choices():
    with pytest.raises(ConfigurationError, match=r"app.dataset='nope' .* small, large\.$"):
        resolve_settings("app", {**PARAMS, "dataset": "nope"})
    with pytest.raises(ConfigurationError, match=r"app.dataset='small_fast' is not known"):
        resolve_settings("app", {**PARAMS, "dataset": "small_fast"})  # a preset, not a dataset


def test_a_named_preset_replaces_the_dataset_preset():
    settings = resolve_settings("app", {**PARAMS, "preset": "small_fast"})
    assert settings["training"] == {"epochs": 1, "batch_size": 8}
    assert settings["dataset"] == "small"


def test_a_preset_for_another_dataset_says_which_dataset_to_choose():
    with pytest.raises(ConfigurationError, match=r"app.preset='small_fast' is for dataset 'small', "
                                                 r"not 'large'; add app.dataset=small to --params."):
        resolve_settings("app", {**PARAMS, "dataset": "large", "preset": "small_fast"})
    with pytest.raises(ConfigurationError, match=r"app.preset='huge' is not known"):
        resolve_settings("app", {**PARAMS, "preset": "huge"})


def test_fill_from_preset_keeps_non_null_values_and_lists():
    assert fill_from_preset({"a": [1, 2], "b": None}, {"a": [9], "b": {"c": 1}}) == {
        "a": [1, 2], "b": {"c": 1}}


@pytest.mark.parametrize("value", [-1, 1.5, "3", True, None])
def test_require_positive_int_rejects(value):
    with pytest.raises(ConfigurationError, match="Parameter x.epochs="):
        require_positive_int("x.epochs", value)


def test_require_positive_int_accepts_zero_only_when_allowed():
    require_positive_int("x", 0, allow_zero=True)
    with pytest.raises(ConfigurationError):
        require_positive_int("x", 0)


def test_other_validators():
    require_choice("x", "a", ["a", "b"])
    require_fraction("x", 0.2)
    require_positive_number("x", 1e-3)
    for bad in (0, 1, -0.1, "0.5"):
        with pytest.raises(ConfigurationError, match="fraction"):
            require_fraction("x", bad)
    with pytest.raises(ConfigurationError, match="number > 0"):
        require_positive_number("lr", 0)
