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
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
APPS = ["cnn", "regression", "lstm", "rbm", "autoencoder", "gan"]


def project_copy(root: Path) -> Path:
    """conf/ and pyproject.toml of the project in ``root``, with an empty data/ folder."""
    shutil.copytree(PROJECT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copy(PROJECT / "pyproject.toml", root)
    (root / "src").mkdir()  # the package is imported from its installation
    (root / "data").mkdir()
    return root


def timed_run(app: str) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one ``kedro run --pipelines=<app>`` with 0 epochs."""
    with tempfile.TemporaryDirectory(prefix="dl_pipelines_bench_") as folder:
        root = project_copy(Path(folder))
        env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "TF_CPP_MIN_LOG_LEVEL": "2",
               "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"}
        params = f"{app}.training.epochs=0" + (",gan.evaluation.classifier.epochs=0" if app == "gan" else "")
        command = [sys.executable, "-m", "kedro", "run", f"--pipelines={app}", "--params", params]
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"`{' '.join(command)}` failed:\n{child.stderr.read()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="+", default=APPS, choices=APPS)
    parser.add_argument("--repeats", type=int, default=3, help="runs per app; the median is shown")
    args = parser.parse_args(argv)
    rows = []
    for app in args.apps:
        runs = []
        for repeat in range(args.repeats):
            print(f"{app}: run {repeat + 1}/{args.repeats} ...", file=sys.stderr, flush=True)
            runs.append(timed_run(app))
        rows.append((app, statistics.median(s for s, _ in runs), min(s for s, _ in runs),
                     statistics.median(m for _, m in runs)))
    import kedro
    import mlflow
    import tensorflow as tf

    print(f"Fixed cost of `kedro run --pipelines=<app> --params <app>.training.epochs=0`: "
          f"{platform.node()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
          f"Kedro {kedro.__version__}, MLflow {mlflow.__version__}, TensorFlow {tf.__version__}; "
          f"median of {args.repeats} runs\n")
    print("| app | wall time (s), median | fastest (s) | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for app, median, fastest, memory in rows:
        print(f"| {app} | {median:.1f} | {fastest:.1f} | {memory:,.0f} |")


if __name__ == "__main__":
    main()
