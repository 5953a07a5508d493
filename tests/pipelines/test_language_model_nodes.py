"""The language_model app's pieces on tiny data: tokens and vocabularies, the paper's stream
batching, the Kneser-Ney baseline, the schedule, stateful training and its streaming twin,
sampling, the settings and the checks of the user's text."""

import math

import keras
import numpy as np
import pandas as pd
import pytest

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.pipelines.language_model import nodes
from dl_pipelines.pipelines.language_model.baselines import kneser_ney, log_probabilities, ngram_nats
from dl_pipelines.pipelines.language_model.metrics import scores, summed_cross_entropy
from dl_pipelines.pipelines.language_model.models import (
    compile_language_model,
    language_model,
    step_decay,
    streaming_model,
)
from dl_pipelines.pipelines.language_model.served_model import decode, encode, generate
from dl_pipelines.pipelines.language_model.sources import decoded, shortest_text, split_text
from dl_pipelines.pipelines.language_model.transforms import (
    ids_of,
    independent_windows,
    stream_windows,
    tokens_of,
    vocabulary_of,
)
from tests.helpers import app_settings, raw_params

APP = "language_model"


def test_words_end_lines_with_eos_and_the_vocabulary_is_ordered_by_frequency():
    tokens = tokens_of("a b a\nc a b\n", "word")
    assert tokens == ["a", "b", "a", "<eos>", "c", "a", "b", "<eos>"]
    assert vocabulary_of(tokens, "word") == ["a", "<eos>", "b", "c", "<unk>"]
    assert vocabulary_of(tokens, "word", max_size=3) == ["a", "<eos>", "<unk>"]
    assert ids_of(["a", "zebra"], ["a", "<eos>", "<unk>"]).tolist() == [0, 2]
    assert vocabulary_of(list("hello"), "char") == ["e", "h", "l", "o"]


def test_stream_batching_is_the_papers_iterator():
    ids = np.arange(103)
    x, y = stream_windows(ids, batch_size=4, steps=5)  # 4 rows of 25 tokens, 4 windows of 5
    assert x.shape == (16, 5) and y.shape == (16, 5)
    np.testing.assert_array_equal(y, x + 1)
    # Batch after batch, row j continues row j of the batch before (the state carries over).
    np.testing.assert_array_equal(x[:4, 0], [0, 25, 50, 75])
    np.testing.assert_array_equal(x[4:8, 0], x[:4, -1] + 1)
    x, y = independent_windows(ids, steps=10)
    assert x.shape == (10, 10) and x[1, 0] == 10 and y[-1, -1] == 100
    assert stream_windows(np.arange(5), batch_size=4, steps=5)[0].shape == (0, 5)


def test_kneser_ney_is_a_distribution_and_beats_the_uniform_model():
    rng = np.random.default_rng(0)
    train = np.concatenate([np.tile([0, 1, 2, 3], 50), rng.integers(0, 7, 200)])
    for discount in (None, 0.75):
        levels = kneser_ney(train, order=3, vocabulary_size=7, discount=discount)
        for context in ([0, 1], [3, 0], [6, 6], [5, 2]):  # seen, and unseen, contexts
            total = sum(math.exp(log_probabilities(levels, np.array([*context, w]), 7)[-1]) for w in range(7))
            assert total == pytest.approx(1.0, abs=1e-9)
    nats = ngram_nats(train, {"val": np.tile([0, 1, 2, 3], 10)}, order=3, vocabulary_size=7)
    assert nats["val"] < 0.5 < math.log(7)


def test_the_papers_schedule_halves_the_rate_after_epoch_four():
    training = app_settings(APP, dataset="ptb").training
    training = training.model_copy(update={"epochs": 13})
    schedule = step_decay(training, steps_per_epoch=10)
    rates = [float(schedule(epoch * 10 + 5)) for epoch in range(13)]
    assert rates[:4] == [1.0] * 4 and rates[4] == 0.5 and rates[12] == pytest.approx(0.5 ** 9)
    # The paper's loss is summed over the 20 steps of a window: on Keras' mean per token, the same
    # updates are 20 times the rate and a twentieth of the clipping norm.
    model = language_model(5, app_settings(APP, dataset="ptb", model__units=4, model__embedding_size=3).model)
    optimizer = compile_language_model(model, training, train_windows=200, steps=20).optimizer
    assert optimizer.global_clipnorm == pytest.approx(0.25)
    assert float(optimizer.learning_rate) == pytest.approx(20.0)


def test_the_streaming_model_carries_the_state_as_the_stateful_network_does():
    settings = app_settings(APP, dataset="ptb", model__units=8, model__embedding_size=4).model
    keras.utils.set_random_seed(1)
    network = language_model(11, settings, batch_size=2, steps=3, stateful=True)
    windows = np.random.default_rng(0).integers(0, 11, (2, 2, 3)).astype("int32")  # 2 batches of 2 rows
    expected = [network.predict_on_batch(batch) for batch in windows]  # the state flows between calls
    stream = streaming_model(network)
    states = [np.zeros((2, 8), "float32")] * 4
    for batch, logits in zip(windows, expected, strict=True):
        got, *states = stream.predict_on_batch([batch, *states])
        np.testing.assert_allclose(got, logits, rtol=1e-5, atol=1e-6)


def test_generation_is_seeded_and_decodes_words_and_lines():
    tokens = ["the", "<eos>", "cat", "<unk>"]
    assert encode("the dog\ncat", {t: i for i, t in enumerate(tokens)}, "word") == [0, 3, 1, 2]
    assert decode([0, 2, 1, 0], tokens, "word") == "the cat\nthe"
    model = app_settings(APP, model__units=4, model__embedding_size=3).model
    stream = streaming_model(language_model(len(tokens), model))
    first = generate(stream, tokens, "word", "the cat", 12, 0.8, seed=3)
    assert first == generate(stream, tokens, "word", "the cat", 12, 0.8, seed=3)
    index = {token: i for i, token in enumerate(tokens)}
    assert first.startswith("the cat ") and len(encode(first, index, "word")) == 14


def test_scores_name_perplexity_for_words_and_bits_for_characters():
    assert scores({"test": math.log(100)}, "word") == {"test_perplexity": pytest.approx(100),
                                                       "test_loss_per_word": pytest.approx(math.log(100))}
    assert scores({"val": math.log(2)}, "char", "baseline_")["baseline_val_bits_per_char"] == pytest.approx(1)
    logits = np.log(np.array([[[0.5, 0.25, 0.25]]]))
    assert summed_cross_entropy(logits, np.array([[0]])) == pytest.approx(math.log(2))


def test_every_preset_is_valid_and_ptb_is_the_papers_small_model():
    for dataset in ("shakespeare_excerpt", "tiny_shakespeare", "ptb", "text"):
        app_settings(APP, dataset=dataset)
    ptb = app_settings(APP, dataset="ptb")
    training = raw_params(APP)["presets"]["ptb"]["training"]
    network = ptb.model
    assert (network.layers, network.units, network.embedding_size, network.init_scale) == (2, 200, 200, 0.1)
    assert (ptb.preprocessing.steps, training["batch_size"], training["epochs"]) == (20, 20, 13)
    assert (ptb.training.optimizer, ptb.training.learning_rate, ptb.training.decay_after_epochs,
            ptb.training.decay_factor, ptb.training.clip_norm) == ("sgd", 1.0, 4, 0.5, 5.0)
    medium = app_settings(APP, dataset="ptb", preset="ptb_medium")
    assert (medium.model.units, medium.model.dropout, raw_params(APP)["presets"]["ptb_medium"]["training"]
            ["epochs"]) == (650, 0.5, 39)


@pytest.mark.parametrize("changes, message", [
    ({"dataset": "wikitext"}, "Parameter language_model.dataset='wikitext' is not known"),
    ({"preset": "ptb_medium"}, "is for dataset 'ptb', not 'shakespeare_excerpt'"),
    ({"model__cell": "transformer"}, "Parameter language_model.model.cell='transformer' is invalid"),
    ({"generation__temperatures": []}, "language_model.generation.temperatures"),
])
def test_bad_settings_stop_in_one_line(changes, message):
    with pytest.raises(ConfigurationError, match=message) as error:
        app_settings(APP, **changes)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("data, message", [
    (b"", "notes.txt is empty; expected UTF-8 text"),
    (b" \n\n", "notes.txt is empty"),
    ("café".encode("latin-1"), r"notes.txt is not UTF-8 text \(byte 0xe9 at offset 3\)"),
])
def test_a_text_that_is_empty_or_not_utf8_stops_in_one_line(data, message):
    with pytest.raises(ConfigurationError, match=message):
        decoded(data, "notes.txt")


def test_a_text_shorter_than_a_window_each_side_stops_at_ingestion(tmp_path):
    import fsspec

    path = tmp_path / "short.txt"
    path.write_text("To be, or not to be: that is the question.\n" * 5)  # 215 characters
    preprocessing = app_settings(APP, dataset="text").preprocessing   # 100 steps, the last 10%
    assert shortest_text(100, 0.1) == 1010
    with pytest.raises(ConfigurationError, match=r"short.txt has 215 characters, shorter than one training "
                                                 r"window .* needs at least 1010"):
        nodes.ingest_text(None, fsspec.open(str(path), "rb"), "text", preprocessing)
    parts = split_text("abcdefghij", 0.1)
    assert parts["text"].tolist() == ["abcdefghi", "j"]


def test_encode_text_keeps_the_vocabulary_with_the_windows():
    raw = pd.DataFrame({"part": ["train", "validation", "test"], "dataset": "ptb",
                        "text": ["a b c a b\n" * 30, "a b z\n" * 10, "c a\n" * 10]})
    preprocessing = app_settings(APP, dataset="ptb", preprocessing__steps=4).preprocessing
    model_input, vocabulary = nodes.encode_text(raw, "ptb", preprocessing, batch_size=2)
    assert vocabulary == {"level": "word", "tokens": ["a", "b", "<eos>", "c", "<unk>"]}
    assert model_input["x_train"].shape == (2 * 22, 4)  # 180 tokens: 2 streams of 90, 22 windows
    assert model_input["ids_val"][2] == 4  # z: <unk>
    assert len(model_input["ids_test"]) == 30 and str(model_input["batching"]) == "stream"
    made_from = "language_model.raw_table was made from 'ptb', but language_model.dataset is 'text': run "
    with pytest.raises(ConfigurationError, match=made_from):
        nodes.encode_text(raw, "text", preprocessing, batch_size=2)
