"""How the rbm app's time and memory grow with the number of ratings.

For each size, a fresh process generates synthetic ratings (about 100 per user, 10,000 movies),
splits them per user, trains the RBM of the ml-100k preset for one epoch and recommends the top 10
unseen movies to every user, with the app's own node functions; the parent reads the child's peak
resident memory from the kernel (``wait4``), so every size is measured alone.

    .venv/bin/python benchmarks/rbm_scaling.py                     # 100k, 1M and 10M ratings
    .venv/bin/python benchmarks/rbm_scaling.py --ratings 100000 1000000 --repeats 3

Prints one Markdown table; each figure is the median over ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from common import PROJECT, QUIET_ENV, machine_line, progress

RATINGS_PER_USER = 100
MOVIES = 10_000


def measure_one(ratings: int, epochs: int) -> dict[str, float]:
    """Run the rbm nodes on ``ratings`` synthetic ratings in this process; return the timings."""
    import yaml

    from dl_pipelines.core.settings import effective_settings
    from dl_pipelines.pipelines.rbm import Settings, nodes

    params = yaml.safe_load((PROJECT / "conf/base/parameters_rbm.yml").read_text())["rbm"]
    run = yaml.safe_load((PROJECT / "conf/base/parameters.yml").read_text())["run"]
    params.update(dataset="ml-100k", synthetic={
        "users": ratings // RATINGS_PER_USER, "items": MOVIES, "genres": 20,
        "ratings_per_user": RATINGS_PER_USER, "taste_concentration": 0.3})
    params["training"].update(epochs=epochs, verbose=0, checkpoint_dir=None, tensorboard_dir=None,
                              strategy="auto")
    s = effective_settings("rbm", params, Settings, run)  # the ml-100k preset's RBM
    timings: dict[str, float] = {}

    def timed(name, function, *args):
        start = time.perf_counter()
        result = function(*args)
        timings[name] = time.perf_counter() - start
        return result

    # Ingestion's synthetic branch: the generator, without writing parquet files.
    frame, movies = timed("generate_s", nodes.ingest_ratings, None, "synthetic", s.synthetic, s.seed)
    model_input = timed("split_s", nodes.split_ratings, frame, s.dataset, s.split, s.recommendations,
                        s.evaluation, s.seed)
    timings["ratings"] = len(frame)
    timings["users"] = len(model_input["user_ids"])
    timings["movies"] = len(model_input["item_ids"])
    timings["train_ratings"] = len(model_input["train_users"])
    del frame
    rbm, _ = timed("train_s", nodes.train_rbm, model_input, s.preprocessing, s.model, s.training, s.seed)
    timed("recommend_s", nodes.recommend, rbm, model_input, movies, s.preprocessing, s.recommendations)
    return timings


def run_child(ratings: int, epochs: int) -> dict[str, float]:
    """Measure one size in a fresh process; add its peak resident memory in MB."""
    command = [sys.executable, __file__, "--child", str(ratings), "--epochs", str(epochs)]
    env = {**os.environ, **QUIET_ENV}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                             text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"The {ratings:,}-rating run failed (exit {child.returncode}); run "
                         f"`{' '.join(command)}` to see why.")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return result


def measure(sizes: list[int], repeats: int, epochs: int) -> list[dict[str, float]]:
    """The median of ``repeats`` fresh-process runs per size."""
    rows = []
    for ratings in sizes:
        runs = []
        for repeat in range(repeats):
            progress(f"RBM scaling: {ratings:,} ratings, run {repeat + 1}/{repeats} ...")
            runs.append(run_child(ratings, epochs))
        rows.append({key: statistics.median(run[key] for run in runs) for key in runs[0]})
    return rows


def table(rows: list[dict[str, float]], epochs: int, repeats: int) -> str:
    header = ("| ratings | users | movies | generate (s) | split (s) | train (s/epoch) "
              "| train ratings/s | recommend all (s) | peak memory (MB) |")
    lines = [f"RBM scaling ({epochs} epoch(s), the ml-100k preset's RBM): {machine_line(repeats)}",
             "", header,
             "|" + "---:|" * (header.count("|") - 1)]
    for row in rows:
        per_epoch = row["train_s"] / epochs
        lines.append(f"| {row['ratings']:,.0f} | {row['users']:,.0f} | {row['movies']:,.0f} "
                     f"| {row['generate_s']:.1f} | {row['split_s']:.1f} | {per_epoch:.1f} "
                     f"| {row['train_ratings'] / per_epoch:,.0f} | {row['recommend_s']:.1f} "
                     f"| {row['peak_mb']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000],
                        help="sizes to measure (default: 100000 1000000 10000000)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per size; the median is shown")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs per run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_one(args.child, args.epochs)))
        return
    print(table(measure(args.ratings, args.repeats, args.epochs), args.epochs, args.repeats))


if __name__ == "__main__":
    main()
