"""Every benchmark of the project, on the machine at hand; prints one Markdown table per benchmark.

    .venv/bin/python benchmarks/run.py               # all four, 3 runs per figure (~40 min, 2 cores)
    .venv/bin/python benchmarks/run.py --only fixed-cost cnn-mnist --repeats 5
    .venv/bin/python benchmarks/run.py --mirror http://127.0.0.1:8000 --output benchmarks.md

1. ``pipeline-vs-plain``: each app's pipeline next to a plain Keras script of the same model,
   data and epochs (``pipeline_vs_plain.py``);
2. ``fixed-cost``: ``kedro run`` of each app with zero training epochs (``fixed_cost.py``);
3. ``cnn-mnist``: the cnn app to 99% test accuracy on MNIST (``cnn_mnist.py``; downloads MNIST,
   or reads it from ``--mirror`` / ``DL_PIPELINES_DATA_MIRROR``);
4. ``rbm-scaling``: the rbm app's time and peak memory against the number of ratings
   (``rbm_scaling.py``).

Each figure is the median of ``--repeats`` runs, each in a fresh process; each table names the
machine and the versions. Progress goes to stderr, the tables to stdout (and ``--output``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import cnn_mnist
import fixed_cost
import pipeline_vs_plain
import rbm_scaling
from common import APPS

SECTIONS = ["pipeline-vs-plain", "fixed-cost", "cnn-mnist", "rbm-scaling"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS,
                        help="the benchmarks to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is shown")
    parser.add_argument("--apps", nargs="+", choices=APPS, default=APPS,
                        help="apps of pipeline-vs-plain and fixed-cost (default: all)")
    parser.add_argument("--rbm-ratings", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000],
                        help="sizes of the RBM scaling series (default: 100000 1000000 10000000)")
    parser.add_argument("--mirror", help="where to fetch MNIST from (sets DL_PIPELINES_DATA_MIRROR)")
    parser.add_argument("--output", type=Path, help="also write the tables to this Markdown file")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: expected a whole number >= 1")
    if args.mirror:
        os.environ["DL_PIPELINES_DATA_MIRROR"] = args.mirror

    benchmarks = {
        "pipeline-vs-plain": lambda: pipeline_vs_plain.table(
            pipeline_vs_plain.measure(args.apps, args.repeats), args.repeats),
        "fixed-cost": lambda: fixed_cost.table(fixed_cost.measure(args.apps, args.repeats), args.repeats),
        "cnn-mnist": lambda: cnn_mnist.table(cnn_mnist.measure(args.repeats)),
        "rbm-scaling": lambda: rbm_scaling.table(
            rbm_scaling.measure(args.rbm_ratings, args.repeats, epochs=1), 1, args.repeats),
    }
    tables = []
    for section in SECTIONS:
        if section in args.only:
            tables.append(benchmarks[section]())
            print(tables[-1] + "\n", flush=True)
            if args.output:  # after each table: a long run interrupted keeps what it measured
                args.output.write_text("\n\n".join(tables) + "\n")
    if args.output:
        print(f"Tables written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
