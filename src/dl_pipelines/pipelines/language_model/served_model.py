"""The served text generator, as MLflow "models from code": MLflow logs this file with the model
and runs it on its own when the model is loaded, so serving needs Keras but not the dl_pipelines
package. It imports nothing from the project, on purpose.

It also holds how text is generated (prompt to token ids, sampling at a temperature, ids back to
text): the evaluation's samples and the inference pipeline use these same functions.
"""

from __future__ import annotations

import json
import math
from typing import Any

import keras
import mlflow
import numpy as np
import pandas as pd

END_OF_SENTENCE, UNKNOWN = "<eos>", "<unk>"


def encode(text: str, index: dict[str, int], level: str) -> list[int]:
    """Token ids of ``text``: words (unknown ones as ``<unk>``) or characters (unknown ones left
    out: a character vocabulary has no ``<unk>``)."""
    if level == "word":
        unknown = index.get(UNKNOWN)
        ids = [index.get(word, unknown) for word in text.replace("\n", f" {END_OF_SENTENCE} ").split()]
        return [i for i in ids if i is not None]
    return [index[char] for char in text if char in index]


def decode(ids: list[int], tokens: list[str], level: str) -> str:
    """Text of token ids: words joined by spaces, ``<eos>`` a line break; characters as they are."""
    if level == "char":
        return "".join(tokens[i] for i in ids)
    words = " ".join(tokens[i] for i in ids)
    return words.replace(f" {END_OF_SENTENCE} ", "\n").replace(END_OF_SENTENCE, "\n")


def generate(network: keras.Model, tokens: list[str], level: str, prompt: str, length: int,
             temperature: float, seed: int) -> str:
    """``prompt`` followed by ``length`` tokens sampled from ``network`` at ``temperature``.

    ``network`` is the streaming model (token ids and the recurrent states in; logits and the new
    states out): the prompt is read once, then each sampled token is fed back with the state, so a
    step costs one token's work. The text starts after a line break (``<eos>`` for words), as
    every line of the training text does.
    """
    index = {token: i for i, token in enumerate(tokens)}
    start = index.get(END_OF_SENTENCE if level == "word" else "\n")
    ids = ([] if start is None else [start]) + encode(prompt, index, level)
    states = [np.zeros((1, int(state.shape[-1])), "float32") for state in network.inputs[1:]]
    rng = np.random.default_rng(seed)
    outputs = network.predict_on_batch([np.array([ids or [0]], "int32"), *states])
    sampled: list[int] = []
    for step in range(length):
        logits, *states = outputs
        scaled = np.asarray(logits[0, -1], "float64") / temperature
        probabilities = np.exp(scaled - scaled.max())
        sampled.append(int(rng.choice(len(probabilities), p=probabilities / probabilities.sum())))
        if step + 1 < length:
            outputs = network.predict_on_batch([np.array([[sampled[-1]]], "int32"), *states])
    separator = " " if level == "word" and prompt and not prompt.endswith(("\n", " ")) else ""
    return prompt + separator + decode(sampled, tokens, level)


def _value(row: dict[str, Any], name: str, default: Any) -> Any:
    value = row.get(name)
    return default if value is None or (isinstance(value, float) and math.isnan(value)) else value


class TextGenerator(mlflow.pyfunc.PythonModel):
    """A table of prompts in (``prompt``; optional ``length``, ``temperature``, ``seed``), one
    generated text per row out (``text``): the streaming network and its vocabulary, loaded
    from the model's artifacts."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.network = keras.saving.load_model(context.artifacts["network"])
        with open(context.artifacts["vocabulary"]) as stream:
            vocabulary = json.load(stream)
        self.tokens, self.level = vocabulary["tokens"], vocabulary["level"]
        self.defaults = vocabulary["defaults"]

    def predict(self, context: mlflow.pyfunc.PythonModelContext, model_input: pd.DataFrame,
                params: dict | None = None) -> pd.DataFrame:
        texts = [generate(self.network, self.tokens, self.level, str(row["prompt"]),
                          int(_value(row, "length", self.defaults["length"])),
                          float(_value(row, "temperature", self.defaults["temperature"])),
                          int(_value(row, "seed", self.defaults["seed"])))
                 for row in model_input.to_dict("records")]
        return pd.DataFrame({"text": texts})


# What MLflow serves when it runs this file; a harmless global where the project imports it.
mlflow.models.set_model(TextGenerator())
