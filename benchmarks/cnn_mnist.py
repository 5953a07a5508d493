"""Time for the cnn app to reach 99% test accuracy on MNIST with its fastest documented
settings, the ``mnist_fast`` preset: ``kedro run --pipelines=cnn --params
cnn.dataset=mnist,cnn.preset=mnist_fast``, each run a fresh process in a throw-away copy of the
project (MNIST is downloaded once, or read from ``DL_PIPELINES_DATA_MIRROR``, then reused).

    .venv/bin/python benchmarks/cnn_mnist.py                     # 3 runs
    .venv/bin/python benchmarks/cnn_mnist.py --repeats 5 --mirror http://127.0.0.1:8000

Prints one Markdown table: per run and the median, the training time (the sum of the epochs'
wall time), the whole run, the test accuracy and the peak memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from common import kedro_run, machine_line, progress, project_copy

PARAMS = "cnn.dataset=mnist,cnn.preset=mnist_fast"


def measure(repeats: int) -> list[dict[str, float]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="dl_pipelines_mnist_") as cache:
        raw = Path(cache) / "mnist"
        for repeat in range(repeats):
            progress(f"cnn on MNIST, mnist_fast preset: run {repeat + 1}/{repeats} ...")
            with project_copy() as root:
                if raw.exists():  # the files the first run downloaded
                    shutil.copytree(raw, root / "data" / "01_raw" / "mnist")
                measured, metrics = kedro_run(root, "cnn", PARAMS)
                if not raw.exists():
                    shutil.copytree(root / "data" / "01_raw" / "mnist", raw)
            validation = metrics["cnn.val_accuracy"]
            rows.append({"train_s": sum(metrics["cnn.train_epoch_seconds"]), "wall_s": measured.seconds,
                         "test_accuracy": metrics["cnn.test_accuracy"][-1],
                         "epochs": len(validation), "peak_mb": measured.peak_mb})
    return rows


def table(rows: list[dict[str, float]]) -> str:
    lines = [f"cnn on MNIST to 99% test accuracy (`kedro run --pipelines=cnn --params {PARAMS}`): "
             f"{machine_line(len(rows))}", "",
             "| run | epochs | training (s) | whole run (s) | test accuracy | peak memory (MB) |",
             "|---|---:|---:|---:|---:|---:|"]
    median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    for name, row in [*((str(i + 1), row) for i, row in enumerate(rows)), ("**median**", median)]:
        lines.append(f"| {name} | {row['epochs']:.0f} | {row['train_s']:.1f} | {row['wall_s']:.1f} "
                     f"| {row['test_accuracy']:.4f} | {row['peak_mb']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs; the median is shown too")
    parser.add_argument("--mirror", help="where to fetch MNIST from (sets DL_PIPELINES_DATA_MIRROR)")
    args = parser.parse_args(argv)
    if args.mirror:
        os.environ["DL_PIPELINES_DATA_MIRROR"] = args.mirror
    print(table(measure(args.repeats)))


if __name__ == "__main__":
    main()
