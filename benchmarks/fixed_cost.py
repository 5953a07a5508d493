"""The fixed cost of the pipeline machinery: ``kedro run`` of each app with zero training epochs.

What remains is Kedro (session, catalog, hooks), kedro-mlflow (one MLflow run, parameters,
artifacts), TensorFlow's start-up, data loading and the evaluation nodes on the app's embedded
dataset (the gan app's judge classifier gets zero epochs too). Each run is a fresh process in a
throw-away copy of the project with its own MLflow store, so nothing is written into the
project's data/ or mlflow.db.

    .venv/bin/python benchmarks/fixed_cost.py                 # every app, 3 runs each
    .venv/bin/python benchmarks/fixed_cost.py --apps cnn rbm --repeats 5
    .venv/bin/python benchmarks/fixed_cost.py --baseline 3a6c6db   # against an older commit

Prints one Markdown table: the median wall time and peak memory per app, and next to it what
every Keras script pays before its first line of work, a process importing Keras (TensorFlow), and
the difference: the machinery's own cost. Each app's runs alternate with such imports, so both
see the machine at the same speed (a shared VM's speed can change by a third within minutes).
With ``--baseline <commit>`` the runs also alternate with runs of that commit's code (its conf/
and src/, checked out in a temporary git worktree): the fair way to tell whether a change made
the machinery slower, since a figure measured on another day had another machine speed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from common import APPS, PROJECT, Measured, kedro_run, machine_line, progress, project_copy, run_measured


def zero_epoch_run(app: str, checkout: Path = PROJECT) -> Measured:
    """One ``kedro run --pipelines=<app>`` with 0 training epochs, of the code in ``checkout``."""
    params = f"{app}.training.epochs=0" + (",gan.evaluation.classifier.epochs=0" if app == "gan" else "")
    with project_copy(checkout) as root:
        measured, _ = kedro_run(root, app, params, package=checkout / "src")
    return measured


@contextmanager
def checked_out(commit: str) -> Iterator[Path]:
    """``commit`` of this repository in a temporary git worktree, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="dl_pipelines_baseline_")) / "checkout"
    subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "--detach", "--quiet", str(folder), commit],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(folder)], check=True)


def keras_import() -> Measured:
    """A Python process that imports Keras on TensorFlow and ends: what any Keras script pays."""
    with tempfile.TemporaryDirectory() as folder:
        return run_measured([sys.executable, "-c", "import keras"], Path(folder))


Runs = dict[str, list[tuple[Measured, Measured, Measured | None]]]


def measure(apps: list[str], repeats: int, baseline: str | None = None) -> Runs:
    """Per app, ``repeats`` triples of (zero-epoch run, Keras import, zero-epoch run of the
    ``baseline`` commit or None) taken one after the other."""
    runs: Runs = {}
    with checked_out(baseline) if baseline else nullcontext() as checkout:
        for app in apps:
            runs[app] = []
            for repeat in range(repeats):
                progress(f"fixed cost: {app}, run {repeat + 1}/{repeats} ...")
                runs[app].append((zero_epoch_run(app), keras_import(),
                                  zero_epoch_run(app, checkout) if checkout else None))
    return runs


def table(runs: Runs, repeats: int, baseline: str | None = None) -> str:
    against = (f" Baseline: the same runs of commit `{baseline}`, alternated with these." if baseline else "")
    lines = [f"Fixed cost of `kedro run --pipelines=<app> --params <app>.training.epochs=0`: "
             f"{machine_line(repeats)}. Keras import: `python -c \"import keras\"`, run after each "
             f"`kedro run`; machinery: the difference, per pair.{against}", "",
             "| app | wall time (s), median | fastest (s) | Keras import (s) | machinery (s) "
             "| peak memory (MB) |" + (" baseline wall time (s), median |" if baseline else ""),
             "|---|---:|---:|---:|---:|---:|" + ("---:|" if baseline else "")]
    for app, triples in runs.items():
        seconds = [run.seconds for run, _, _ in triples]
        imports = [keras.seconds for _, keras, _ in triples]
        row = (f"| {app} | {statistics.median(seconds):.1f} | {min(seconds):.1f} "
               f"| {statistics.median(imports):.1f} "
               f"| {statistics.median(s - i for s, i in zip(seconds, imports, strict=True)):.1f} "
               f"| {statistics.median(run.peak_mb for run, _, _ in triples):,.0f} |")
        if baseline:
            row += f" {statistics.median(old.seconds for _, _, old in triples):.1f} |"
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="+", default=APPS, choices=APPS)
    parser.add_argument("--repeats", type=int, default=3, help="runs per app; the median is shown")
    parser.add_argument("--baseline", metavar="COMMIT", help="also time this commit's code, alternated")
    args = parser.parse_args(argv)
    print(table(measure(args.apps, args.repeats, args.baseline), args.repeats, args.baseline))


if __name__ == "__main__":
    main()
