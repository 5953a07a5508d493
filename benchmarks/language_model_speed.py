"""Seconds per training step of the language_model app's presets on this machine, and the epoch
and whole-training times they extrapolate to; the formulations of the same model side by side.

    .venv/bin/python benchmarks/language_model_speed.py ptb --steps 200
    .venv/bin/python benchmarks/language_model_speed.py tiny_shakespeare --steps 50 --variants default

Reads ``../shared/datasets`` directly (the text only sets the vocabulary and the windows' ids).
Variants: ``default`` (what the app runs: Keras' LSTM layer, XLA as Keras decides), ``unroll``
(the time loop unrolled), ``jit`` (XLA forced on), ``no_jit`` (forced off).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

from dl_pipelines.core.settings import effective_settings
from dl_pipelines.pipelines.language_model import Settings
from dl_pipelines.pipelines.language_model.models import RECURRENT, compile_language_model, language_model
from dl_pipelines.pipelines.language_model.transforms import (
    ids_of,
    independent_windows,
    stream_windows,
    tokens_of,
    vocabulary_of,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
FILES = {"ptb": "ptb/ptb.train.txt", "tiny_shakespeare": "tiny_shakespeare/input.txt"}


def settings(dataset: str, preset: str | None):
    params = yaml.safe_load((ROOT / "conf/base/parameters_language_model.yml").read_text())["language_model"]
    params.update(dataset=dataset, preset=preset)
    return effective_settings("language_model", params, Settings, {})


def measure(dataset: str, preset: str | None, variant: str, steps: int, warmup: int) -> tuple[float, int]:
    config = settings(dataset, preset)
    text = (SHARED / FILES[dataset]).read_text(encoding="utf-8")
    if dataset == "tiny_shakespeare":
        text = text[:int(len(text) * (1 - config.preprocessing.validation_fraction))]
    level, batch = config.preprocessing.level, config.training.batch_size
    tokens = tokens_of(text, level)
    vocabulary = vocabulary_of(tokens, level, config.preprocessing.max_vocabulary)
    ids = ids_of(tokens, vocabulary)
    stream = config.preprocessing.batching == "stream"
    x, y = (stream_windows(ids, batch, config.preprocessing.steps) if stream
            else independent_windows(ids, config.preprocessing.steps))
    steps_per_epoch = len(x) // batch
    keras.utils.set_random_seed(0)
    model = language_model(len(vocabulary), config.model, batch_size=batch if stream else None,
                           steps=config.preprocessing.steps, stateful=stream)
    if variant == "unroll":
        for layer in model.layers:
            if isinstance(layer, tuple(RECURRENT.values())):
                layer.unroll = True
    compile_language_model(model, config.training, len(x))
    if variant in ("jit", "no_jit"):
        model.jit_compile = variant == "jit"
    model.steps_per_execution = 16
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True)
    model.fit(data.take(warmup), epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(data.skip(warmup).take(steps), epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps, steps_per_epoch, model.jit_compile


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(FILES))
    parser.add_argument("--preset", default=None, help="a preset of conf/base/parameters_language_model.yml")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument("--variants", default="default,unroll,jit,no_jit")
    args = parser.parse_args(argv)
    epochs = settings(args.dataset, args.preset).training.epochs
    print(f"| variant | jit_compile | s/step | steps/epoch | epoch (min) | {epochs} epochs (h) |")
    print("|---|---|---:|---:|---:|---:|")
    for variant in args.variants.split(","):
        seconds, per_epoch, jit = measure(args.dataset, args.preset, variant, args.steps, args.warmup)
        print(f"| {variant} | {jit} | {seconds:.3f} | {per_epoch} | {seconds * per_epoch / 60:.1f} | "
              f"{seconds * per_epoch * epochs / 3600:.2f} |", flush=True)
    np.set_printoptions()


if __name__ == "__main__":
    main()
