"""Each app's pipeline next to a plain Keras script of the same model, data and epochs.

The pipeline side is ``kedro run --pipelines=<app>`` with the app's default (offline) dataset and
preset, a fixed number of epochs and no early stopping, in a throw-away copy of the project with
its own MLflow store: Kedro, the catalog, kedro-mlflow, checkpoints, TensorBoard logs, the
evaluation nodes and their plots all run as a user gets them. The plain side is
``benchmarks/plain/<app>.py``: the script a user would write from the course notebook.

Training throughput is samples per second over the epochs after the first (which traces the
graph), each epoch timed from the end of the previous one so that every callback's cost counts;
the pipeline's comes from its ``<app>.train_epoch_seconds`` curve in MLflow.

    .venv/bin/python benchmarks/pipeline_vs_plain.py                    # every app, 3 runs each
    .venv/bin/python benchmarks/pipeline_vs_plain.py --apps cnn rbm --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass

from common import (
    PROJECT,
    kedro_run,
    machine_line,
    progress,
    project_copy,
    run_measured,
    steady_throughput,
)


@dataclass(frozen=True)
class Case:
    """The fixed dataset and settings both sides of one app train with."""

    dataset: str
    epochs: int
    metric: str
    extra_params: str = ""   # beyond the epochs, for the pipeline (the plain script hard-codes them)

    def params(self, app: str) -> str:
        return ",".join(filter(None, [f"{app}.training.epochs={self.epochs}", self.extra_params]))


CASES = {
    "cnn": Case("digits", 20, "test_accuracy", "cnn.training.early_stopping_patience=0"),
    "regression": Case("diabetes", 100, "test_r2", "regression.training.early_stopping_patience=0"),
    "lstm": Case("logistic_map", 50, "test_mse"),
    "rbm": Case("synthetic", 30, "test_precision_at_10"),
    "autoencoder": Case("digits", 20, "test_mse", "autoencoder.training.early_stopping_patience=0"),
    "gan": Case("digits", 30, "test_inception_score"),
    # xor's test set is its four noise-free points, which any run that learns XOR classifies
    # right (test_accuracy 1.0): iris, whose log loss on 30 test flowers tells two trainings apart.
    "classification": Case("iris", 100, "test_loss",
                           "classification.dataset=iris,classification.training.early_stopping_patience=0"),
    "rbm_features": Case("digits", 30, "test_accuracy"),
    # The excerpt has no test part: the score is on its held-out last 10%.
    "language_model": Case("shakespeare_excerpt", 8, "val_loss_per_char"),
}
# The apps with a plain twin: those of common.APPS, which fixed_cost.py also times, and more.
APPS = list(CASES)


@dataclass
class Side:
    """One run of one side: throughput, wall time, peak memory, the test metric."""

    samples_per_second: float
    seconds: float
    peak_mb: float
    metric: float


def run_pipeline(app: str) -> Side:
    case = CASES[app]
    with project_copy() as root:
        measured, metrics = kedro_run(root, app, case.params(app))
    epoch_seconds = metrics[f"{app}.train_epoch_seconds"]
    samples = metrics[f"{app}.train_samples_per_second"][0] * epoch_seconds[0]
    return Side(steady_throughput(round(samples), epoch_seconds), measured.seconds,
                measured.peak_mb, metrics[f"{app}.{case.metric}"][-1])


def run_plain(app: str) -> Side:
    case = CASES[app]
    script = PROJECT / "benchmarks" / "plain" / f"{app}.py"
    measured = run_measured([sys.executable, str(script), "--epochs", str(case.epochs)], PROJECT)
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    return Side(steady_throughput(result["train_samples"], result["epoch_seconds"]),
                measured.seconds, measured.peak_mb, result["value"])


def median_side(runs: list[Side]) -> Side:
    return Side(*(statistics.median(getattr(run, field) for run in runs)
                  for field in ("samples_per_second", "seconds", "peak_mb", "metric")))


def measure(apps: list[str], repeats: int) -> dict[str, tuple[Side, Side]]:
    """Median pipeline and plain figures per app; the two sides alternate, so that a slow spell
    of the machine does not land on one side only."""
    results = {}
    for app in apps:
        pipeline, plain = [], []
        for repeat in range(repeats):
            progress(f"pipeline vs plain: {app}, run {repeat + 1}/{repeats} ...")
            pipeline.append(run_pipeline(app))
            plain.append(run_plain(app))
        results[app] = (median_side(pipeline), median_side(plain))
    return results


def table(results: dict[str, tuple[Side, Side]], repeats: int) -> str:
    lines = [f"Pipeline vs plain Keras: {machine_line(repeats)}. Throughput: training samples/s "
             "after the first epoch; wall: the whole process; ratio: pipeline / plain.", "",
             "| app | dataset, epochs | samples/s pipeline | samples/s plain | ratio "
             "| wall (s) pipeline | wall (s) plain | peak MB pipeline | peak MB plain "
             "| test metric | pipeline | plain |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for app, (pipeline, plain) in results.items():
        case = CASES[app]
        lines.append(
            f"| {app} | {case.dataset}, {case.epochs} | {pipeline.samples_per_second:,.0f} "
            f"| {plain.samples_per_second:,.0f} "
            f"| {pipeline.samples_per_second / plain.samples_per_second:.2f} "
            f"| {pipeline.seconds:.1f} | {plain.seconds:.1f} | {pipeline.peak_mb:,.0f} "
            f"| {plain.peak_mb:,.0f} | {case.metric} | {pipeline.metric:.4g} | {plain.metric:.4g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="+", default=APPS, choices=APPS)
    parser.add_argument("--repeats", type=int, default=3, help="runs per side; the median is shown")
    args = parser.parse_args(argv)
    print(table(measure(args.apps, args.repeats), args.repeats))


if __name__ == "__main__":
    main()
