"""The hopfield app's rules, recall, scores and settings on tiny arrays."""

import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.hopfield import figures, inference, metrics, models, nodes, sources, transforms
from tests.helpers import app_settings


def random_patterns(p, n, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(p, n))


def test_hebbian_weights_are_symmetric_with_a_zero_diagonal_and_hold_a_pattern_as_a_fixed_point():
    patterns = random_patterns(3, 64)
    weights = models.hebbian_weights(patterns)
    np.testing.assert_allclose(weights, weights.T)
    assert not np.diag(weights).any()
    np.testing.assert_allclose(weights, (patterns.T @ patterns - 3 * np.eye(64)) / 64)
    states, energies = models.recall(weights, patterns, "synchronous", 5, np.random.default_rng(0))
    np.testing.assert_array_equal(states, patterns)
    assert len(energies) == 2  # one step, nothing changed: settled


def test_storkey_weights_follow_the_rule_written_out_unit_by_unit():
    patterns = random_patterns(3, 6, seed=1)
    n, weights = 6, np.zeros((6, 6))
    for xi in patterns:  # Storkey (1997), with h_ij leaving out units i and j
        h = np.array([[sum(weights[i, k] * xi[k] for k in range(n) if k not in (i, j)) for j in range(n)]
                      for i in range(n)])
        weights = weights + (np.outer(xi, xi) - xi[:, None] * h.T - h * xi[None, :]) / n
        np.fill_diagonal(weights, 0)
    np.testing.assert_allclose(models.storkey_weights(patterns), weights, atol=1e-12)


def test_energy_never_increases_under_asynchronous_updates():
    patterns = random_patterns(20, 100, seed=2)  # load 0.2: beyond capacity, so units keep flipping
    for weights in (models.hebbian_weights(patterns), models.storkey_weights(patterns)):
        rng = np.random.default_rng(3)
        _, energies = models.recall(weights, models.corrupt(patterns, 0.3, rng), "asynchronous", 50, rng)
        assert len(energies) > 2
        assert (np.diff(energies, axis=0) <= 1e-9).all()


def test_storkey_recalls_exactly_where_hebbian_fails():
    rng = np.random.default_rng(4)
    patterns = random_patterns(25, 100, seed=4)  # load 0.25: above 0.138
    copies = models.corrupt(patterns, 0.05, rng)
    recalled = {rule: models.recall(weights(patterns), copies, "asynchronous", 30, rng)[0]
                for rule, weights in (("hebbian", models.hebbian_weights),
                                      ("storkey", models.storkey_weights))}
    assert metrics.exact(patterns, recalled["storkey"]).mean() >= 0.9
    assert metrics.exact(patterns, recalled["hebbian"]).mean() <= 0.2


def test_the_modern_network_recalls_many_more_patterns_than_units():
    rng = np.random.default_rng(5)
    patterns = random_patterns(200, 40, seed=5)  # P = 5 N
    recalled = models.softmax_recall(patterns, models.corrupt(patterns, 0.1, rng), beta=1.0, batch=64)
    assert metrics.exact(patterns, recalled).mean() >= 0.95
    # A small beta averages every pattern: no longer the stored one.
    blurred = models.softmax_recall(patterns, patterns, beta=1e-4)
    assert metrics.exact(patterns, blurred).mean() < 0.5


def test_corrupt_flips_exactly_the_fraction_and_overlaps_measure_it():
    patterns = random_patterns(5, 50)
    copies = models.corrupt(patterns, 0.1, np.random.default_rng(0))
    assert ((copies != patterns).sum(axis=1) == 5).all()
    np.testing.assert_allclose(models.overlaps(patterns, copies), 0.8)
    np.testing.assert_array_equal(models.corrupt(patterns, 0.0, np.random.default_rng(0)), patterns)


def test_crossing_interpolates_and_says_at_least_the_largest_load():
    loads = np.array([0.1, 0.2, 0.3])
    assert metrics.crossing(loads, np.array([1.0, 0.95, 0.85])) == pytest.approx(0.25)
    assert metrics.crossing(loads, np.array([1.0, 1.0, 0.95])) == 0.3
    assert metrics.crossing(loads, np.array([0.8, 0.5, 0.1])) == pytest.approx(0.05)


def test_default_letters_are_recalled_exactly_through_the_nodes():
    settings = app_settings("hopfield")
    raw = nodes.ingest_bitmaps(None, "letters", settings.data, settings.seed)
    model_input = nodes.prepare_patterns(raw, "letters")
    assert model_input["patterns"].shape == (8, 100) and list(model_input["shape"]) == [10, 10]
    network = nodes.store_patterns(model_input, settings.model)
    predictions = nodes.recall_patterns(network, model_input, settings.recall, settings.seed)
    scores = nodes.score_recall(predictions, model_input)
    assert scores["test_exact_recall"]["value"] == 1.0
    assert scores["baseline_test_mean_overlap"]["value"] == pytest.approx(0.8)
    assert scores["baseline_test_exact_recall"]["value"] == 0.0
    assert [point["step"] for point in scores["test_energy"]] == list(range(len(predictions["energies"])))
    figures.plot_recall(predictions, model_input, settings.evaluation)
    figures.plot_energy(predictions, model_input, settings.evaluation)


def test_the_capacity_experiment_on_a_small_network():
    settings = app_settings("hopfield", capacity__units=60, capacity__loads=[0.05, 0.1, 0.5],
                            capacity__modern_loads=[1, 2], capacity__trials=1)
    report = nodes.measure_capacity(settings.capacity, 0)
    assert set(report["rule"]) == {"hebbian", "storkey", "modern"}
    assert report.loc[report["rule"] == "modern", "patterns"].tolist() == [60, 120]
    summary = nodes.summarise_capacity(report, settings.capacity)
    assert summary["capacity_hebbian_overlap_load"]["value"] <= 0.5
    assert summary["capacity_theory_hebbian_overlap"]["value"] == 0.138
    figures.plot_capacity(report, settings.capacity)


def test_binarised_digits_and_random_patterns():
    bits, names = sources.binarised_images("digits", None, 12, 0.5)
    assert bits.shape == (12, 8, 8) and set(np.unique(bits)) <= {0, 1}
    assert names[:10] == [str(d) for d in range(10)]
    bits, names = sources.random_bitmaps(500, 3, seed=0)
    assert bits.shape == (3, 20, 25) and names == ["#0", "#1", "#2"]


def test_a_bitmap_that_is_not_binary_stops_in_one_line():
    with pytest.raises(ConfigurationError, match=r"Bitmap 1 of mine is not binary: it holds \[2\]"):
        transforms.to_patterns(np.array([[[0, 1]], [[2, 1]]], dtype=np.uint8), "mine")


@pytest.mark.parametrize(("changes", "message"), [
    ({"recall__corruption": 1.5}, "Parameter hopfield.recall.corruption=1.5 is invalid: Input should be less "
                                  "than or equal to 1."),
    ({"recall__corruption": -0.1}, "Parameter hopfield.recall.corruption=-0.1 is invalid: Input should be "
                                   "greater than or equal to 0."),
    ({"evaluation__patterns_to_show": 30},
     "Parameter hopfield.evaluation.patterns_to_show=30 is more patterns than the recall figure can show; "
     "expected at most 20."),
    ({"data__bitmaps": {"I": ["..##..x..."] + [".........."] * 9}},
     "Parameter hopfield.data.bitmaps.I row 1 ('..##..x...') holds 'x': a bitmap is binary, '#' (on) and "
     "'.' (off) only."),
    ({"data__bitmaps": {"I": ["##"]}}, "Parameter hopfield.data.bitmaps.I is not 10 rows of 10 pixels; "
                                       "expected 10 rows of 10 pixels, as the drawn letters."),
    ({"data__letters": ["Q"]}, "Parameter hopfield.data.letters.0='Q' is invalid"),
    ({"dataset": "random", "data__units": 0}, "Parameter hopfield.data.units=0 is invalid: Input should be "
                                              "greater than or equal to 1."),
    ({"capacity__units": 1}, "Parameter hopfield.capacity.units=1 is invalid"),
    ({"capacity__loads": [0.1, -0.2]}, "Parameter hopfield.capacity.loads.1=-0.2 is invalid"),
    ({"data__letters": []}, "Parameters hopfield.data.letters and hopfield.data.bitmaps are both empty"),
])
def test_bad_settings_stop_in_one_line(changes, message):
    with pytest.raises(ConfigurationError) as raised:
        app_settings("hopfield", **changes)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("dataset", ["letters", "random", "digits", "mnist"])
def test_every_preset_is_valid(dataset):
    assert app_settings("hopfield", dataset=dataset).dataset == dataset


def test_the_capacity_table_has_one_row_per_rule_and_load():
    settings = app_settings("hopfield", capacity__units=20, capacity__loads=[0.1, 0.2],
                            capacity__rules=["hebbian"], capacity__trials=2)
    report = metrics.capacity_experiment(settings.capacity, 1)
    assert isinstance(report, pd.DataFrame)
    assert report[["rule", "load", "patterns"]].values.tolist() == [["hebbian", 0.1, 2], ["hebbian", 0.2, 4]]
    assert report["exact_recall"].between(0, 1).all() and report["mean_overlap"].between(-1, 1).all()


def test_files_are_cut_at_the_stored_threshold_dark_on_for_letters_bright_on_for_digits():
    grey = np.array([[[[40], [100], [160], [220]]]], dtype=np.uint8)  # one 1x4 image
    assert inference.on_pixels(grey, "digits", 0.5).tolist() == [[-1, -1, 1, 1]]
    assert inference.on_pixels(grey, "mnist", 0.3).tolist() == [[-1, 1, 1, 1]]
    assert inference.on_pixels(grey, "letters", 0.5).tolist() == [[1, 1, -1, -1]]
