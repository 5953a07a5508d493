"""Every headline figure the docs state, re-measured: each app's documented presets on their
datasets (the real ones through ``--mirror`` / ``DL_PIPELINES_DATA_MIRROR``), one ``kedro run``
each in a throw-away copy of the project, and a flag on every figure that moved since the
results file last recorded it.

    .venv/bin/python benchmarks/figures.py --mirror /tmp/mirror               # the short ones (~25 min)
    .venv/bin/python benchmarks/figures.py --mirror /tmp/mirror --long        # all (~2 h on 2 cores)
    .venv/bin/python benchmarks/figures.py --figures cnn-mnist cnn-mnist-seed7

``shared_mirror.py`` lays ``../shared/datasets`` out as such a mirror. A figure "moved" when it
differs from the recorded one at the 4 significant digits shown: the runs are deterministic on
CPU (``run.deterministic``), so on the same machine and versions every figure repeats exactly.
A figure below the target the docs promise stops the script with exit status 1.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from common import kedro_run, machine_line, progress, project_copy


@dataclass(frozen=True)
class Figure:
    """One documented run: ``kedro run --pipelines=<app> --params <params>`` (or ``pipeline``) and
    the metrics it is quoted by (``test_*`` keys without the app prefix)."""

    name: str
    app: str
    params: str
    metrics: tuple[str, ...]
    minutes: float               # on 2 CPU cores, for choosing
    target: float | None = None  # the first metric must reach it (higher is better)
    pipeline: str | None = None  # another pipeline of the app than <app> (e.g. hopfield_capacity)

    @property
    def long(self) -> bool:
        return self.minutes > 15


RANKING = ("test_precision_at_10", "test_ndcg_at_10", "test_recall_at_10", "test_map_at_10",
           "baseline_test_precision_at_10", "baseline_test_ndcg_at_10")
GENERATION = ("test_inception_score", "baseline_test_inception_score", "test_fid", "baseline_test_fid")
FIGURES = [
    Figure("cnn-digits", "cnn", "cnn.dataset=digits", ("test_accuracy",), 1),
    Figure("cnn-mnist", "cnn", "cnn.dataset=mnist", ("test_accuracy",), 25, target=0.992),
    Figure("cnn-mnist-seed7", "cnn", "cnn.dataset=mnist,cnn.seed=7", ("test_accuracy",), 25, target=0.992),
    Figure("cnn-mnist_fast", "cnn", "cnn.dataset=mnist,cnn.preset=mnist_fast", ("test_accuracy",), 3,
           target=0.99),
    Figure("regression-diabetes", "regression", "regression.dataset=diabetes",
           ("test_r2", "baseline_test_r2"), 1),
    Figure("regression-boston_housing", "regression", "regression.dataset=boston_housing",
           ("test_mae", "baseline_test_mae"), 1),
    Figure("regression-fuel_consumption", "regression", "regression.dataset=fuel_consumption",
           ("test_r2", "baseline_test_r2"), 1),
    Figure("classification-xor", "classification", "classification.dataset=xor",
           ("test_accuracy", "cv_accuracy_mean"), 2, target=1.0),
    Figure("classification-iris", "classification", "classification.dataset=iris",
           ("cv_accuracy_mean", "baseline_cv_accuracy_mean", "test_accuracy"), 4, target=0.96),
    Figure("classification-ionosphere", "classification", "classification.dataset=ionosphere",
           ("cv_accuracy_mean", "baseline_cv_accuracy_mean", "test_accuracy"), 4, target=0.94),
    Figure("lstm-logistic_map", "lstm", "lstm.dataset=logistic_map", ("test_mse",), 1),
    Figure("lstm-noisy_sine", "lstm", "lstm.dataset=noisy_sine", ("test_mse",), 1),
    Figure("lstm-usd_eur", "lstm", "lstm.dataset=usd_eur", ("test_mase", "baseline_test_mase"), 1),
    Figure("rbm-synthetic", "rbm", "rbm.dataset=synthetic", RANKING, 1),
    Figure("rbm-ml-100k", "rbm", "rbm.dataset=ml-100k", RANKING, 1),
    Figure("rbm_features-digits", "rbm_features", "rbm_features.dataset=digits",
           ("test_accuracy", "baseline_test_accuracy", "test_pseudo_log_likelihood"), 2),
    Figure("rbm_features-mnist", "rbm_features", "rbm_features.dataset=mnist",
           ("test_accuracy", "baseline_test_accuracy", "test_pseudo_log_likelihood"), 12, target=0.96),
    Figure("autoencoder-digits", "autoencoder", "autoencoder.dataset=digits",
           ("test_mse", "baseline_test_mse"), 2),
    Figure("autoencoder-mnist", "autoencoder", "autoencoder.dataset=mnist",
           ("test_mse", "baseline_test_mse"), 8),
    Figure("gan-digits", "gan", "gan.dataset=digits",
           GENERATION, 3),
    Figure("gan-mnist", "gan", "gan.dataset=mnist",
           GENERATION, 45),
    Figure("hopfield-letters", "hopfield", "hopfield.dataset=letters",
           ("test_exact_recall", "test_mean_overlap", "baseline_test_mean_overlap"), 1, target=1.0),
    Figure("hopfield-capacity", "hopfield", "hopfield.capacity.units=500",
           ("capacity_hebbian_overlap_load", "capacity_hebbian_exact", "capacity_storkey_exact",
            "capacity_modern_exact"), 3, pipeline="hopfield_capacity"),
    # Lower is better here: the targets (docs/apps/language_model.md) are read, not checked.
    Figure("language_model-shakespeare_excerpt", "language_model",
           "language_model.dataset=shakespeare_excerpt",
           ("val_loss_per_char", "baseline_val_loss_per_char"), 1),
    Figure("language_model-tiny_shakespeare", "language_model", "language_model.dataset=tiny_shakespeare",
           ("val_loss_per_char", "baseline_val_loss_per_char"), 50),
    Figure("language_model-ptb", "language_model", "language_model.dataset=ptb",
           ("test_perplexity", "baseline_test_perplexity", "val_perplexity"), 150),
]
BY_NAME = {figure.name: figure for figure in FIGURES}


def choose(names: list[str] | None, long: bool) -> list[Figure]:
    if names:
        return [BY_NAME[name] for name in names]
    return [figure for figure in FIGURES if long or not figure.long]


def measure(figures: list[Figure], echo: bool = False) -> list[dict[str, object]]:
    """One run per figure; its metrics, training time (sum of the epochs) and wall time."""
    rows = []
    for number, figure in enumerate(figures, 1):
        progress(f"figures: {figure.name} ({number}/{len(figures)}, about {figure.minutes:g} min) ...")
        with project_copy() as root:
            measured, metrics = kedro_run(root, figure.pipeline or figure.app, figure.params, echo=echo)
        missing = [key for key in figure.metrics if f"{figure.app}.{key}" not in metrics]
        if missing:
            raise SystemExit(f"{figure.name}: the run logged no {', '.join(missing)}; "
                             f"it logged {sorted(metrics)}")
        training = sum(sum(values) for key, values in metrics.items() if key.endswith("train_epoch_seconds"))
        rows.append({"figure": figure, "wall_s": measured.seconds, "train_s": training,
                     **{key: metrics[f"{figure.app}.{key}"][-1] for key in figure.metrics}})
        values = ", ".join(f"{key} {shown(rows[-1][key])}" for key in figure.metrics)
        progress(f"figures: {figure.name}: {values} ({measured.seconds:.0f} s)")
    return rows


def shown(value: float) -> str:
    return f"{value:.4g}"


ROW = re.compile(r"^\| `(?P<name>[\w-]+)` \| [^|]* \| `(?P<metric>\w+)` \| (?P<value>[^ |]+) \|.*$", re.M)


def recorded(results: Path) -> list[re.Match[str]]:
    """The rows of the results file's ``figures`` section."""
    text = results.read_text() if results.is_file() else ""
    section = re.search(r"<!-- figures -->.*?<!-- /figures -->", text, re.S)
    return list(ROW.finditer(section.group(0))) if section else []


def values_of(before: list[re.Match[str]]) -> dict[tuple[str, str], str]:
    """The recorded figures by (figure, metric), as shown, without the bold of a moved one."""
    return {(match["name"], match["metric"]): match["value"].strip("*") for match in before}


def moved(rows: list[dict[str, object]], before: list[re.Match[str]]) -> list[str]:
    """``<figure> <metric>: <before> -> <now>`` for each figure that differs as shown."""
    previous = values_of(before)
    return [f"{row['figure'].name} {metric}: {previous[key]} -> {shown(row[metric])}"
            for row in rows for metric in row["figure"].metrics
            if (key := (row["figure"].name, metric)) in previous and previous[key] != shown(row[metric])]


def missed(rows: list[dict[str, object]]) -> list[str]:
    """``<figure>: <metric> <value> < <target>`` for each figure below its documented target."""
    return [f"{row['figure'].name}: {row['figure'].metrics[0]} {shown(row[row['figure'].metrics[0]])} "
            f"< {row['figure'].target:g}" for row in rows
            if row["figure"].target is not None and row[row["figure"].metrics[0]] < row["figure"].target]


def table(rows: list[dict[str, object]], before: list[re.Match[str]]) -> str:
    """The figures just measured, and the recorded rows of the others as they were; a figure that
    moved shows what it was in bold."""
    today = datetime.date.today().isoformat()
    previous = values_of(before)
    lines_of = {}
    for match in before:
        lines_of.setdefault(match["name"], []).append(match.group(0))
    for row in rows:
        figure, lines = row["figure"], []
        for index, metric in enumerate(figure.metrics):
            value, was = shown(row[metric]), previous.get((figure.name, metric), "")
            was = f"**{was}**" if was and was != value else was
            target = f">= {figure.target:g}" if index == 0 and figure.target else ""
            times = f"{row['train_s']:.0f} | {row['wall_s']:.0f} | {today}" if index == 0 else " | | "
            lines.append(f"| `{figure.name}` | `{figure.params}` | `{metric}` | {value} | {target} "
                         f"| {was} | {times} |")
        lines_of[figure.name] = lines
    body = [line for figure in FIGURES for line in lines_of.get(figure.name, [])]
    return "\n".join([
        "Each figure: `kedro run --pipelines=<app> --params <params>` in a fresh copy of the project, "
        "real datasets through a local mirror (`benchmarks/figures.py`). Last measured on "
        f"{machine_line(None)}. *was*: the figure recorded before that run, in bold when it moved.", "",
        "| figure | params | metric | value | target | was | training (s) | whole run (s) | measured |",
        "|---|---|---|---:|---:|---:|---:|---:|---|", *body])


def report(rows: list[dict[str, object]], before: list[re.Match[str]]) -> int:
    """Say on stderr what moved and what missed its target; the exit status: 1 if any missed."""
    for line in moved(rows, before):
        progress(f"MOVED {line}")
    for line in missed(rows):
        progress(f"BELOW TARGET {line}")
    return 1 if missed(rows) else 0


def remeasure(chosen: list[Figure], before: list[re.Match[str]], echo: bool = False) -> tuple[str, int]:
    """Run ``chosen``; the results table and the exit status (1 if a figure missed its target)."""
    rows = measure(chosen, echo)
    return table(rows, before), report(rows, before)


def main(argv: list[str] | None = None) -> None:
    from run import RESULTS, write_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", nargs="+", choices=list(BY_NAME),
                        help="only these (default: all short ones)")
    parser.add_argument("--long", action="store_true", help="also the runs of more than 15 minutes")
    parser.add_argument("--mirror", help="where real datasets come from (sets DL_PIPELINES_DATA_MIRROR)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the results file to update")
    parser.add_argument("--quiet", action="store_true", help="one line per run, not the runs' own output")
    args = parser.parse_args(argv)
    if args.mirror:
        os.environ["DL_PIPELINES_DATA_MIRROR"] = args.mirror
    text, status = remeasure(choose(args.figures, args.long), recorded(args.output), echo=not args.quiet)
    print(text)
    write_section(args.output, "figures", text)
    sys.exit(status)


if __name__ == "__main__":
    main()
