"""Every benchmark of the project, on the machine at hand; prints one Markdown table per benchmark.

    .venv/bin/python benchmarks/run.py               # all ten, 3 runs per figure (over an hour on 2 cores)
    .venv/bin/python benchmarks/run.py --only fixed-cost cnn-mnist --repeats 5
    .venv/bin/python benchmarks/run.py --mirror http://127.0.0.1:8000 --output /tmp/bench.md

1. ``pipeline-vs-plain``: each app's pipeline next to a plain Keras script of the same model,
   data and epochs (``pipeline_vs_plain.py``);
2. ``fixed-cost``: ``kedro run`` of each app with zero training epochs (``fixed_cost.py``);
3. ``cnn-mnist``: the cnn app to 99% test accuracy on MNIST (``cnn_mnist.py``; downloads MNIST,
   or reads it from ``--mirror`` / ``DL_PIPELINES_DATA_MIRROR``);
4. ``rbm-scaling``: the rbm app's time and peak memory against the number of ratings
   (``rbm_scaling.py``);
5. ``serving``: the cnn model over REST (``mlflow models serve``) and in-process, batches of 1 and
   64 (``serving.py``);
6. ``figures``: every headline figure the docs state, re-measured, the moved ones flagged
   (``figures.py``; the runs of more than 15 minutes only with ``--long``);
7. ``forecast-panel``: the lstm app's csv defaults against persistence, seasonal naive and ETS on
   a panel of real and generated series (``forecast_panel.py``; one run per series: the runs
   are deterministic);
8. ``forecast-origins``: the panel's selection spans at three rolling origins (``forecast_panel.py
   --origins``): how much the defaults' standing depends on where the test span starts.
9. ``forecast-unseen``: the same on held-out monthly series no choice of the defaults looked at
   (``forecast_panel.py --unseen``);
10. ``autotune-stall``: whether TensorFlow still stalls when an epoch's input pipeline ends, the
    reason for a work-around in ``core/compat.py`` (``autotune_stall.py``).

Each figure is the median of ``--repeats`` runs, each in a fresh process; each table names the
machine, the versions and the day. Progress goes to stderr, the tables to stdout and into the
results file the docs link to (``docs/benchmarks/results.md``, or ``--output``): each benchmark
that ran replaces its own section there and leaves the others as they were measured.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from pathlib import Path

import autotune_stall
import cnn_mnist
import figures
import fixed_cost
import forecast_panel
import pipeline_vs_plain
import rbm_scaling
import serving
from common import APPS

SECTIONS = ["pipeline-vs-plain", "fixed-cost", "cnn-mnist", "rbm-scaling", "serving", "figures",
            "forecast-panel", "forecast-origins", "forecast-unseen", "autotune-stall"]
RESULTS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "results.md"
HEADER = ("# Benchmark results\n\nWritten by `benchmarks/run.py` (what each benchmark measures: "
          "[the benchmarks page](README.md)); not edited by hand. A benchmark that runs again replaces "
          "its own section.")


def write_section(path: Path, section: str, table: str) -> None:
    """Put ``table`` into the ``section`` of the results file, keeping every other section."""
    text = path.read_text() if path.is_file() else ""
    sections = {name: match.group(0) for name in SECTIONS
                if (match := re.search(rf"<!-- {name} -->.*?<!-- /{name} -->", text, re.S))}
    day = datetime.date.today().isoformat()
    sections[section] = f"<!-- {section} -->\n## {section}\n\nMeasured {day}.\n\n{table}\n<!-- /{section} -->"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join([HEADER, *(sections[name] for name in SECTIONS if name in sections)]) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS,
                        help="the benchmarks to run (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is shown")
    parser.add_argument("--apps", nargs="+", choices=pipeline_vs_plain.APPS,
                        help="apps of pipeline-vs-plain and fixed-cost (default: all of each; fixed-cost "
                             f"times {', '.join(APPS)} and leaves out the others)")
    parser.add_argument("--rbm-ratings", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000],
                        help="sizes of the RBM scaling series (default: 100000 1000000 10000000)")
    parser.add_argument("--requests", type=int, default=200,
                        help="requests per row of serving (default: 200)")
    parser.add_argument("--figures", nargs="+", choices=list(figures.BY_NAME),
                        help="the figures to re-measure (default: all short ones)")
    parser.add_argument("--long", action="store_true", help="figures: also the runs of more than 15 minutes")
    parser.add_argument("--mirror", help="where to fetch real datasets from (sets DL_PIPELINES_DATA_MIRROR)")
    parser.add_argument("--baseline", metavar="COMMIT",
                        help="fixed-cost: also time this commit's code, alternated with the current one")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="the results file to update (default: docs/benchmarks/results.md)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: expected a whole number >= 1")
    if args.mirror:
        os.environ["DL_PIPELINES_DATA_MIRROR"] = args.mirror
    plain_apps = args.apps or pipeline_vs_plain.APPS
    cost_apps = [app for app in args.apps or APPS if app in APPS]
    if "fixed-cost" in args.only and not cost_apps:
        parser.error(f"fixed-cost times only {', '.join(APPS)}; add one of them to --apps")

    benchmarks = {
        "pipeline-vs-plain": lambda: pipeline_vs_plain.table(
            pipeline_vs_plain.measure(plain_apps, args.repeats), args.repeats),
        "fixed-cost": lambda: fixed_cost.table(fixed_cost.measure(cost_apps, args.repeats, args.baseline),
                                               args.repeats, args.baseline),
        "cnn-mnist": lambda: cnn_mnist.table(cnn_mnist.measure(args.repeats)),
        "rbm-scaling": lambda: rbm_scaling.table(
            rbm_scaling.measure(args.rbm_ratings, args.repeats, epochs=1), 1, args.repeats),
        "serving": lambda: serving.table(serving.measure(args.requests), args.requests),
        "figures": lambda: figures.remeasure(figures.choose(args.figures, args.long), before)[0],
        "forecast-panel": forecast_panel.both_tables,
        "forecast-origins": forecast_panel.origins_table,
        "forecast-unseen": forecast_panel.unseen_table,
        "autotune-stall": lambda: autotune_stall.table(
            autotune_stall.measure(args.repeats, autotune_stall.EPOCHS), args.repeats, autotune_stall.EPOCHS),
    }
    before = figures.recorded(args.output)
    for section in SECTIONS:
        if section in args.only:
            table = benchmarks[section]()
            print(table + "\n", flush=True)
            # After each table: a long run interrupted keeps what it measured.
            write_section(args.output, section, table)
    print(f"Tables written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
