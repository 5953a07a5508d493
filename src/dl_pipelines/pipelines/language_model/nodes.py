"""Nodes of the language_model app, stage by stage. Pure functions: texts, arrays, models and typed
settings in, the same out; the catalog does the I/O and kedro-mlflow owns the MLflow run.

The model input is a dict of arrays: ``x_<part>`` / ``y_<part>`` (windows of token ids and the
same one token later) and ``ids_<part>`` (the whole id stream) for ``train``, ``val`` and, with a
published test split, ``test``; the ``vocabulary``; its ``level``, ``batching``, the
``stream_batch`` (stream batching's parallel streams) and the ``dataset``.
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from fsspec.core import OpenFile

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.stages import check_made_from
from dl_pipelines.core.training import train_model
from dl_pipelines.pipelines.language_model.baselines import ngram_nats
from dl_pipelines.pipelines.language_model.metrics import PARTS, summed_cross_entropy, with_derived_curves
from dl_pipelines.pipelines.language_model.models import (
    StreamStates,
    compile_language_model,
    language_model,
    streaming_model,
)
from dl_pipelines.pipelines.language_model.served_model import generate
from dl_pipelines.pipelines.language_model.serving import TrainedGenerator
from dl_pipelines.pipelines.language_model.settings import (
    BaselineSettings,
    GenerationSettings,
    LanguageModelTraining,
    NetworkSettings,
    PreprocessingSettings,
)
from dl_pipelines.pipelines.language_model.sources import (
    PTB_FILES,
    SHAKESPEARE_FILE,
    excerpt,
    read_local,
    read_user_text,
    shortest_text,
    split_text,
)
from dl_pipelines.pipelines.language_model.transforms import (
    ids_of,
    independent_windows,
    stream_windows,
    tokens_of,
    vocabulary_of,
)

logger = logging.getLogger(__name__)


# --- ingestion ---------------------------------------------------------------------------------


def ingest_text(raw_files: RawFiles, user_text: OpenFile | None, dataset: str,
                preprocessing: PreprocessingSettings) -> pd.DataFrame:
    """The text ``language_model.dataset`` names, in its parts: ptb's published train /
    validation / test files; for the others the first part to train on and the last
    ``validation_fraction`` to validate on. The user's file is checked here, the first node: a
    file that is missing, not UTF-8, empty or shorter than a window each side stops the run.

    Returns:
        One row per part: ``dataset``, ``part``, ``text``.
    """
    if dataset == "ptb":
        paths = raw_files.fetch("ptb", list(PTB_FILES.values()))
        texts = [read_local(paths[name]) for name in PTB_FILES.values()]
        parts = pd.DataFrame({"part": list(PTB_FILES), "text": texts})
    else:
        if dataset == "text":
            text, name = read_user_text(user_text)
        elif dataset == "tiny_shakespeare":
            text, name = read_local(raw_files.fetch(dataset, [SHAKESPEARE_FILE])[SHAKESPEARE_FILE]), dataset
        else:
            text, name = excerpt(), dataset
        needed = shortest_text(preprocessing.steps, preprocessing.validation_fraction)
        if len(tokens_of(text, preprocessing.level)) < needed:
            unit = "characters" if preprocessing.level == "char" else "words"
            raise ConfigurationError(
                f"{name} has {len(tokens_of(text, preprocessing.level))} {unit}, shorter than one training "
                f"window in each part: language_model.preprocessing.steps={preprocessing.steps} with "
                f"validation_fraction={preprocessing.validation_fraction} needs at least {needed}; use a "
                "longer text or fewer steps.")
        parts = split_text(text, preprocessing.validation_fraction)
    logger.info("%s: %s characters", dataset, " / ".join(f"{part} {len(text):,}" for part, text in
                                                          zip(parts["part"], parts["text"], strict=True)))
    return parts.assign(dataset=dataset)


# --- preprocessing -----------------------------------------------------------------------------


def encode_text(raw_text: pd.DataFrame, dataset: str, preprocessing: PreprocessingSettings,
                batch_size: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Tokenise, build the vocabulary (words: from the training part; characters: from the whole
    text, as char-rnn and nanoGPT do) and cut the id streams into windows: ``stream`` batching
    as the paper's iterator (``batch_size`` streams), ``windows`` independent.

    Returns:
        The model input (see the module docstring) and the vocabulary as JSON (``level``,
        ``tokens``), which inference and the served model read.
    """
    check_made_from(str(raw_text["dataset"].iloc[0]), "language_model.raw_table", dataset,
                    "language_model_ingestion")
    level = preprocessing.level
    texts = dict(zip(raw_text["part"], raw_text["text"], strict=True))
    tokens = {part: tokens_of(text, level) for part, text in texts.items()}
    source = tokens["train"] if level == "word" else tokens_of("".join(texts.values()), level)
    vocabulary = vocabulary_of(source, level, preprocessing.max_vocabulary)
    tokens = {part: part_tokens[:preprocessing.max_tokens] for part, part_tokens in tokens.items()}
    output = {"vocabulary": np.array(vocabulary), "level": np.array(level), "dataset": np.array(dataset),
              "batching": np.array(preprocessing.batching), "stream_batch": np.array(batch_size)}
    for part, key in (("train", "train"), ("validation", "val"), ("test", "test")):
        ids = ids_of(tokens.get(part, []), vocabulary)
        windows = (stream_windows(ids, batch_size, preprocessing.steps) if preprocessing.batching == "stream"
                   else independent_windows(ids, preprocessing.steps))
        output.update({f"ids_{key}": ids, f"x_{key}": windows[0], f"y_{key}": windows[1]})
    logger.info("Vocabulary: %d %s; windows of %d: %d train, %d validation, %d test", len(vocabulary),
                "words" if level == "word" else "characters", preprocessing.steps, len(output["x_train"]),
                len(output["x_val"]), len(output["x_test"]))
    return output, {"level": level, "tokens": vocabulary}


# --- training ----------------------------------------------------------------------------------


def train_language_model(model_input: dict[str, np.ndarray], model: NetworkSettings,
                         training: LanguageModelTraining, seed: int
                         ) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train the network on the windows: stateful on streams (never shuffled, the states reset
    at every epoch and validation), or on shuffled independent windows.

    Returns:
        The trained network (token ids in, next-token logits out) and its per-epoch history, with
        the loss also as perplexity (words) or bits per character.
    """
    x, y = model_input["x_train"], model_input["y_train"]
    validation = (model_input["x_val"], model_input["y_val"])
    stream, level = str(model_input["batching"]) == "stream", str(model_input["level"])
    if stream and int(model_input["stream_batch"]) != training.batch_size:
        raise ConfigurationError(
            f"Parameter language_model.training.batch_size={training.batch_size}, but the streams were cut "
            f"for {int(model_input['stream_batch'])}: run the preprocessing stage again with this batch "
            "size.")
    steps, vocabulary_size = x.shape[1], len(model_input["vocabulary"])

    def build() -> keras.Model:
        network = language_model(vocabulary_size, model, stateful=stream,
                                 batch_size=training.batch_size if stream else None,
                                 steps=steps if stream or model.unroll else None)
        return compile_language_model(network, training, len(x), steps)

    def batches(data: tuple[np.ndarray, np.ndarray], batch_size: int) -> tf.data.Dataset:
        # Stream order: the rows of a batch continue those of the batch before.
        return tf.data.Dataset.from_tensor_slices(data).batch(batch_size, drop_remainder=True)

    logger.info("Training a %d-layer %s of %d units on %s (%d windows of %d tokens, vocabulary %d) for "
                "%d epochs", model.layers, model.cell.upper(), model.units, model_input["dataset"], len(x),
                steps, vocabulary_size, training.epochs)
    network, history = train_model(
        build, (lambda batch_size: batches((x, y), batch_size)) if stream else (x, y),
        batches(validation, training.batch_size) if stream else validation,
        app="language_model", seed=seed, training=training, samples=len(x),
        callbacks=[StreamStates()] if stream else None)
    return network, with_derived_curves(history, level)


def served_generator(model: keras.Model, vocabulary: dict[str, Any],
                     generation: GenerationSettings) -> TrainedGenerator:
    """The served model: the streaming network, its vocabulary, and the generation settings as
    the defaults of a row that gives only a prompt."""
    defaults = {"prompt": generation.prompt, "length": generation.length,
                "temperature": generation.temperatures[0], "seed": generation.seed}
    return TrainedGenerator(streaming_model(model), vocabulary, defaults)


# --- evaluation --------------------------------------------------------------------------------


def score_network(model: keras.Model, model_input: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean cross-entropy (nats per token) of the network on the validation and test windows.
    Streams are read as in training: ``stream_batch`` rows at a time, the state carried from
    each window to the next (from zero at the start of each part)."""
    stream = streaming_model(model)
    batch = int(model_input["stream_batch"]) if str(model_input["batching"]) == "stream" else 256
    carried = str(model_input["batching"]) == "stream"
    nats = {}
    for part in PARTS:
        x, y = model_input[f"x_{part}"], model_input[f"y_{part}"]
        if not len(x):
            continue
        total = 0.0
        for start in range(0, len(x), batch):
            rows = x[start:start + batch]
            if not carried or start == 0:
                states = [np.zeros((len(rows), int(s.shape[-1])), "float32") for s in stream.inputs[1:]]
            logits, *states = stream.predict_on_batch([rows, *states])
            total += summed_cross_entropy(logits, y[start:start + batch])
        nats[part] = float(total / y.size)
    return nats


def score_baseline(model_input: dict[str, np.ndarray], baseline: BaselineSettings) -> dict[str, float]:
    """Mean cross-entropy (nats per token) of the Kneser-Ney n-gram model of the training ids on
    the validation and test ids."""
    parts = {part: model_input[f"ids_{part}"] for part in PARTS}
    return ngram_nats(model_input["ids_train"], parts, baseline.order, len(model_input["vocabulary"]),
                      baseline.discount)


def write_samples(model: keras.Model, vocabulary: dict[str, Any], generation: GenerationSettings) -> str:
    """Text generated from ``generation.prompt`` at each temperature, as a readable document."""
    stream = streaming_model(model)
    unit = "words" if vocabulary["level"] == "word" else "characters"
    parts = [f"Samples of {generation.length} {unit} from the prompt {generation.prompt!r} (seed "
             f"{generation.seed})\n"]
    for temperature in generation.temperatures:
        text = generate(stream, vocabulary["tokens"], vocabulary["level"], generation.prompt,
                        generation.length, temperature, generation.seed)
        parts.append(f"--- temperature {temperature} ---\n{text}\n")
    return "\n".join(parts)
