"""The fixed cost of the pipeline machinery: ``kedro run`` of each app with zero training epochs.

What remains is Kedro (session, catalog, hooks), kedro-mlflow (one MLflow run, parameters,
artifacts), TensorFlow's start-up, data loading and the evaluation nodes on the app's embedded
dataset (the gan app's judge classifier gets zero epochs too). Each run is a fresh process in a
throw-away copy of the project with its own MLflow store, so nothing is written into the
project's data/ or mlflow.db.

    .venv/bin/python benchmarks/fixed_cost.py                 # every app, 3 runs each
    .venv/bin/python benchmarks/fixed_cost.py --apps cnn rbm --repeats 5

Prints one Markdown table: the median wall time and peak memory per app.
"""

from __future__ import annotations

import argparse
import statistics

from common import APPS, Measured, kedro_run, machine_line, progress, project_copy


def zero_epoch_run(app: str) -> Measured:
    """One ``kedro run --pipelines=<app>`` with 0 training epochs."""
    params = f"{app}.training.epochs=0" + (",gan.evaluation.classifier.epochs=0" if app == "gan" else "")
    with project_copy() as root:
        measured, _ = kedro_run(root, app, params)
    return measured


def measure(apps: list[str], repeats: int) -> dict[str, list[Measured]]:
    runs = {}
    for app in apps:
        runs[app] = []
        for repeat in range(repeats):
            progress(f"fixed cost: {app}, run {repeat + 1}/{repeats} ...")
            runs[app].append(zero_epoch_run(app))
    return runs


def table(runs: dict[str, list[Measured]], repeats: int) -> str:
    lines = [f"Fixed cost of `kedro run --pipelines=<app> --params <app>.training.epochs=0`: "
             f"{machine_line(repeats)}", "",
             "| app | wall time (s), median | fastest (s) | peak memory (MB) |", "|---|---:|---:|---:|"]
    for app, measured in runs.items():
        lines.append(f"| {app} | {statistics.median(m.seconds for m in measured):.1f} "
                     f"| {min(m.seconds for m in measured):.1f} "
                     f"| {statistics.median(m.peak_mb for m in measured):,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="+", default=APPS, choices=APPS)
    parser.add_argument("--repeats", type=int, default=3, help="runs per app; the median is shown")
    args = parser.parse_args(argv)
    print(table(measure(args.apps, args.repeats), args.repeats))


if __name__ == "__main__":
    main()
