"""Whether TensorFlow still stalls when a training epoch's input pipeline ends, the reason for the
work-around in ``dl_pipelines/core/compat.py``: a plain Keras CNN fitted on MNIST-shaped arrays
as Keras leaves it, then inside ``keras_array_inputs_without_autotuning`` (what ``train_model``
does), alternated, each run in a fresh process.

    .venv/bin/python benchmarks/autotune_stall.py --repeats 3

The stall is the main thread waiting in an ended iterator's destructor for tf.data's autotuning
thread to wake: it lengthens ``fit()``, most plainly in the time outside its epochs (the training
iterator ends there; the validation iterator ends inside an epoch). The thread's sleep grows with
the iterator's life, so epochs here last several seconds, and a stall comes in some runs, not all.
When the two rows agree on a new TensorFlow, slowest runs included, the work-around can go.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time

from common import PROJECT, machine_line, progress, run_measured

EPOCHS = 4
WAYS = {"keras": "Keras' own array pipeline (autotuning on)",
        "without_autotuning": "inside `keras_array_inputs_without_autotuning` (the project's `fit()`)"}


def fit_once(way: str, epochs: int) -> dict[str, float]:
    """Fit the CNN in this process; the seconds of the whole ``fit()`` and of its epochs."""
    import keras
    import numpy as np

    from dl_pipelines.core.compat import keras_array_inputs_without_autotuning

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((60_000, 28, 28, 1), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, 60_000)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    epoch_seconds = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: epoch_seconds.append(-time.perf_counter()),
        on_epoch_end=lambda epoch, logs: epoch_seconds.append(epoch_seconds.pop() + time.perf_counter()))
    ours = way == "without_autotuning"
    start = time.perf_counter()
    with keras_array_inputs_without_autotuning() if ours else contextlib.nullcontext():
        model.fit(x, y, batch_size=128, epochs=epochs, validation_data=(x[:10_000], y[:10_000]),
                  callbacks=[timer], verbose=0)
    fit_seconds, in_epochs = time.perf_counter() - start, sum(epoch_seconds)
    return {"fit_s": fit_seconds, "epochs_s": in_epochs, "outside_s": fit_seconds - in_epochs}


def run_child(way: str, epochs: int) -> dict[str, float]:
    measured = run_measured([sys.executable, __file__, "--child", way, "--epochs", str(epochs)], PROJECT)
    return json.loads(measured.stdout.strip().splitlines()[-1])


def measure(repeats: int, epochs: int) -> dict[str, list[dict[str, float]]]:
    """``repeats`` fresh-process runs each way, the two ways alternated."""
    runs = {way: [] for way in WAYS}
    for repeat in range(repeats):
        for way in WAYS:
            progress(f"autotune stall: {way}, run {repeat + 1}/{repeats} ...")
            runs[way].append(run_child(way, epochs))
    return runs


def table(runs: dict[str, list[dict[str, float]]], repeats: int, epochs: int) -> str:
    """The median and the slowest run: a stall comes in some runs, not in every one."""
    lines = [f"A CNN fitted for {epochs} epochs on 60,000 random 28x28 images (batches of 128, "
             f"10,000 validation images): {machine_line(repeats)}; the slowest run after the median.", "",
             "| input pipeline | fit (s) | slowest | in its epochs (s) | slowest | outside its epochs (s) "
             "| slowest |", "|---|---:|---:|---:|---:|---:|---:|"]
    for way, ways_runs in runs.items():
        cells = [f"{statistics.median(run[key] for run in ways_runs):.1f} | "
                 f"{max(run[key] for run in ways_runs):.1f}" for key in ("fit_s", "epochs_s", "outside_s")]
        lines.append(f"| {WAYS[way]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs each way; the median is shown")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(fit_once(args.child, args.epochs)))
        return
    print(table(measure(args.repeats, args.epochs), args.repeats, args.epochs))


if __name__ == "__main__":
    main()
