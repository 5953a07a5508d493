"""The fixed cost of the pipeline machinery: ``kedro run`` of each app with zero training epochs.

What remains is Kedro (session, catalog, hooks), kedro-mlflow (one MLflow run, parameters,
artifacts), TensorFlow's start-up, data loading and the evaluation nodes on the app's embedded
dataset (the gan app's judge classifier gets zero epochs too). Each run is a fresh process in a
throw-away copy of the project with its own MLflow store, so nothing is written into the
project's data/ or mlflow.db.

    .venv/bin/python benchmarks/fixed_cost.py                 # every app, 3 runs each
    .venv/bin/python benchmarks/fixed_cost.py --apps cnn rbm --repeats 5

Prints one Markdown table: the median wall time and peak memory per app, and next to it what
every Keras script pays before its first line of work, a process importing Keras (TensorFlow), and
the difference: the machinery's own cost. Each app's runs alternate with such imports, so both
see the machine at the same speed (a shared VM's speed can change by a third within minutes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from common import APPS, Measured, kedro_run, machine_line, progress, project_copy, run_measured


def zero_epoch_run(app: str) -> Measured:
    """One ``kedro run --pipelines=<app>`` with 0 training epochs."""
    params = f"{app}.training.epochs=0" + (",gan.evaluation.classifier.epochs=0" if app == "gan" else "")
    with project_copy() as root:
        measured, _ = kedro_run(root, app, params)
    return measured


def keras_import() -> Measured:
    """A Python process that imports Keras on TensorFlow and ends: what any Keras script pays."""
    with tempfile.TemporaryDirectory() as folder:
        return run_measured([sys.executable, "-c", "import keras"], Path(folder))


def measure(apps: list[str], repeats: int) -> dict[str, list[tuple[Measured, Measured]]]:
    """Per app, ``repeats`` pairs of (zero-epoch run, Keras import) taken one after the other."""
    runs = {}
    for app in apps:
        runs[app] = []
        for repeat in range(repeats):
            progress(f"fixed cost: {app}, run {repeat + 1}/{repeats} ...")
            runs[app].append((zero_epoch_run(app), keras_import()))
    return runs


def table(runs: dict[str, list[tuple[Measured, Measured]]], repeats: int) -> str:
    lines = [f"Fixed cost of `kedro run --pipelines=<app> --params <app>.training.epochs=0`: "
             f"{machine_line(repeats)}. Keras import: `python -c \"import keras\"`, run after each "
             "`kedro run`; machinery: the difference, per pair.", "",
             "| app | wall time (s), median | fastest (s) | Keras import (s) | machinery (s) "
             "| peak memory (MB) |", "|---|---:|---:|---:|---:|---:|"]
    for app, pairs in runs.items():
        seconds = [run.seconds for run, _ in pairs]
        imports = [keras.seconds for _, keras in pairs]
        lines.append(f"| {app} | {statistics.median(seconds):.1f} | {min(seconds):.1f} "
                     f"| {statistics.median(imports):.1f} "
                     f"| {statistics.median(s - i for s, i in zip(seconds, imports, strict=True)):.1f} "
                     f"| {statistics.median(run.peak_mb for run, _ in pairs):,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="+", default=APPS, choices=APPS)
    parser.add_argument("--repeats", type=int, default=3, help="runs per app; the median is shown")
    args = parser.parse_args(argv)
    print(table(measure(args.apps, args.repeats), args.repeats))


if __name__ == "__main__":
    main()
