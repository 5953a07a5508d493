"""Seconds per training step of the language_model app's presets on this machine, and the epoch
and whole-training times they extrapolate to; the formulations of the same model side by side.

    .venv/bin/python benchmarks/language_model_speed.py ptb --steps 200
    .venv/bin/python benchmarks/language_model_speed.py tiny_shakespeare --steps 50 --variants default

Reads ``../shared/datasets`` directly (the text only sets the vocabulary and the windows' ids).
Variants: ``default`` (what the app runs: Keras' LSTM layer, XLA as Keras decides), ``unroll``
(the time loop unrolled), ``jit`` (XLA forced on), ``no_jit`` (forced off).

``--curve-minutes M`` instead trains the (default) model for M minutes on shuffled training
windows and prints the validation loss every ``--eval-every`` steps (on the first 256 validation
windows, whole batches of them for streams, from zero states): the short-run curve behind a preset.
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
from dl_pipelines.pipelines.language_model.models import (
    RECURRENT,
    StreamStates,
    compile_language_model,
    language_model,
)
from dl_pipelines.pipelines.language_model.sources import excerpt
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


def settings(dataset: str, preset: str | None, changes: list[str] = ()):
    """The app's effective settings for ``dataset``, with ``block.key=value`` changes."""
    params = yaml.safe_load((ROOT / "conf/base/parameters_language_model.yml").read_text())["language_model"]
    params.update(dataset=dataset, preset=preset)
    for change in changes:
        path, value = change.split("=", 1)
        block, key = path.split(".")
        params[block] = {**params[block], key: yaml.safe_load(value)}
    return effective_settings("language_model", params, Settings, {})


def windows(dataset: str, config) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], int]:
    """Training and validation windows of ``dataset`` as the app cuts them, and the vocabulary size."""
    level, batch = config.preprocessing.level, config.training.batch_size
    if dataset == "ptb":
        texts = [(SHARED / f"ptb/ptb.{part}.txt").read_text(encoding="utf-8") for part in ("train", "valid")]
    else:
        text = excerpt() if dataset == "shakespeare_excerpt" else (SHARED / FILES[dataset]).read_text("utf-8")
        cut = int(len(text) * (1 - config.preprocessing.validation_fraction))
        texts = [text[:cut], text[cut:]]
    tokens = [tokens_of(text, level) for text in texts]
    vocabulary = vocabulary_of(tokens[0] if level == "word" else tokens_of("".join(texts), level), level,
                               config.preprocessing.max_vocabulary)
    stream = config.preprocessing.batching == "stream"
    cut = [(stream_windows(ids_of(t, vocabulary), batch, config.preprocessing.steps) if stream
            else independent_windows(ids_of(t, vocabulary), config.preprocessing.steps)) for t in tokens]
    return cut[0], cut[1], len(vocabulary)


def measure(dataset: str, preset: str | None, variant: str, steps: int, warmup: int,
            changes: list[str] = ()) -> tuple[float, int, bool]:
    config = settings(dataset, preset, changes)
    batch = config.training.batch_size
    (x, y), _, size = windows(dataset, config)
    stream = config.preprocessing.batching == "stream"
    steps_per_epoch = len(x) // batch
    keras.utils.set_random_seed(0)
    model = language_model(size, config.model, batch_size=batch if stream else None,
                           steps=config.preprocessing.steps, stateful=stream)
    if variant == "unroll":
        for layer in model.layers:
            if isinstance(layer, tuple(RECURRENT.values())):
                layer.unroll = True
    compile_language_model(model, config.training, len(x), config.preprocessing.steps)
    if variant in ("jit", "no_jit"):
        model.jit_compile = variant == "jit"
    model.steps_per_execution = 16
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True)
    model.fit(data.take(warmup), epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(data.skip(warmup).take(steps), epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps, steps_per_epoch, model.jit_compile


def curve(dataset: str, preset: str | None, minutes: float, every: int, changes: list[str] = ()) -> None:
    """Train for ``minutes`` and print the validation loss every ``every`` steps."""
    config = settings(dataset, preset, changes)
    batch, stream = config.training.batch_size, config.preprocessing.batching == "stream"
    (x, y), (xv, yv), size = windows(dataset, config)
    keras.utils.set_random_seed(0)
    model = language_model(size, config.model, batch_size=batch if stream else None,
                           steps=config.preprocessing.steps, stateful=stream)
    compile_language_model(model, config.training, len(x), config.preprocessing.steps)
    order = np.arange(len(x)) if stream else np.random.default_rng(0).permutation(len(x))
    data = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch, drop_remainder=True)
    shown = 256 // batch * batch  # whole batches: a stateful network's batch size is fixed
    xv, yv = xv[:shown], yv[:shown]
    reset = StreamStates()
    reset.set_model(model)
    print(f"| minutes | steps | epochs | train loss | val loss (nats/token) | {len(x) // batch} per epoch |")
    print("|---:|---:|---:|---:|---:|---|")
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < minutes * 60:
        history = model.fit(data.repeat().skip(done % (len(x) // batch)).take(every), epochs=1, verbose=0)
        done += every
        reset.on_test_begin()
        val = model.evaluate(xv, yv, batch_size=batch, verbose=0)
        reset.on_test_end()
        print(f"| {(time.perf_counter() - start) / 60:.1f} | {done} | {done / (len(x) // batch):.2f} | "
              f"{history.history['loss'][-1]:.3f} | {val:.3f} | |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted([*FILES, "shakespeare_excerpt"]))
    parser.add_argument("--preset", default=None, help="a preset of conf/base/parameters_language_model.yml")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument("--variants", default="default,unroll,jit,no_jit")
    parser.add_argument("--set", nargs="*", default=[], help="settings changes, e.g. model.units=256")
    parser.add_argument("--curve-minutes", type=float, default=0)
    parser.add_argument("--eval-every", type=int, default=50)
    args = parser.parse_args(argv)
    if args.curve_minutes:
        curve(args.dataset, args.preset, args.curve_minutes, args.eval_every, args.set)
        return
    epochs = settings(args.dataset, args.preset, args.set).training.epochs
    print(f"{args.dataset} {args.preset or ''} {' '.join(args.set)}")
    print(f"| variant | jit_compile | s/step | steps/epoch | epoch (min) | {epochs} epochs (h) |")
    print("|---|---|---:|---:|---:|---:|")
    for variant in args.variants.split(","):
        seconds, per_epoch, jit = measure(args.dataset, args.preset, variant, args.steps, args.warmup,
                                          args.set)
        print(f"| {variant} | {jit} | {seconds:.3f} | {per_epoch} | {seconds * per_epoch / 60:.1f} | "
              f"{seconds * per_epoch * epochs / 3600:.2f} |", flush=True)


if __name__ == "__main__":
    main()
