"""Scores of the hopfield app: recall of the stored patterns from corrupted copies, and the
capacity experiment (how recall fails as random patterns are added), against the theory."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from dl_pipelines.pipelines.hopfield.models import (
    corrupt,
    hebbian_weights,
    overlaps,
    recall,
    softmax_recall,
    storkey_steps,
)
from dl_pipelines.pipelines.hopfield.settings import CapacitySettings

logger = logging.getLogger(__name__)

# The capacity metrics: the load at which the fraction recalled exactly, or the mean overlap
# after recall, falls below this.
LEVEL = 0.9


def exact(patterns: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Whether each state is its pattern, every unit (an inverted pattern does not count)."""
    return np.all(states == patterns, axis=1)


def theory(units: int) -> dict[str, float]:
    """The loads P / N the theory gives for N units: the Hebbian rule's 0.138 (Amit, Gutfreund and
    Sompolinsky, 1985: retrieval with a few per cent of errors), its N / (2 ln N) recalled
    exactly (McEliece et al., 1987), and the Storkey rule's N / sqrt(2 ln N) (Storkey, 1997)."""
    log = math.log(units)
    return {"hebbian_overlap": 0.138, "hebbian_exact": 1 / (2 * log), "storkey_exact": 1 / math.sqrt(2 * log)}


def crossing(loads: np.ndarray, values: np.ndarray, level: float = LEVEL) -> float:
    """The load at which ``values`` (by increasing load) first fall below ``level``, interpolated
    linearly from the load before (from load 0, value 1, for the first); the largest load tried
    when they never do (the capacity is at least that)."""
    below = np.flatnonzero(values < level)
    if not below.size:
        return float(loads[-1])
    i = int(below[0])
    load0, value0 = (float(loads[i - 1]), float(values[i - 1])) if i else (0.0, 1.0)
    return load0 + (value0 - level) / (value0 - float(values[i])) * (float(loads[i]) - load0)


def _counts(loads: list[float], units: int) -> list[int]:
    return sorted({max(1, round(load * units)) for load in loads})


def capacity_experiment(capacity: CapacitySettings, seed: int) -> pd.DataFrame:
    """Store P random +-1 patterns of N units for each P on the grid, and recall each from a copy
    with ``capacity.corruption`` flipped; ``capacity.trials`` sets of patterns.

    The loads of one trial are prefixes of one sequence of patterns, recalled from the same
    copies: Hebbian weights are a sum over the patterns and Storkey weights are learned in order,
    so one pass of the Storkey rule gives the weights of every load.

    Returns:
        One row per rule and load: ``rule``, ``load`` (P / N), ``patterns``, ``exact_recall`` and
        ``mean_overlap`` (over every pattern of every trial).
    """
    rng = np.random.default_rng(seed)
    n, rows = capacity.units, []

    def record(rule: str, patterns: np.ndarray, states: np.ndarray, trial: int) -> None:
        rows.append({"rule": rule, "patterns": len(patterns), "trial": trial,
                     "exact": exact(patterns, states).sum(), "overlap": overlaps(patterns, states).sum()})

    for trial in range(capacity.trials):
        classical = [rule for rule in capacity.rules if rule != "modern"]
        if classical:
            counts = _counts(capacity.loads, n)
            patterns = rng.choice([-1.0, 1.0], size=(counts[-1], n))
            copies = corrupt(patterns, capacity.corruption, rng)
            if "hebbian" in classical:
                for p in counts:
                    states, _ = recall(hebbian_weights(patterns[:p]), copies[:p], capacity.update,
                                       capacity.max_steps, rng)
                    record("hebbian", patterns[:p], states, trial)
            if "storkey" in classical:
                for p, weights in enumerate(storkey_steps(patterns), start=1):
                    if p in counts:
                        states, _ = recall(weights, copies[:p], capacity.update, capacity.max_steps, rng)
                        record("storkey", patterns[:p], states, trial)
        if "modern" in capacity.rules:
            counts = _counts(capacity.modern_loads, n)
            patterns = rng.choice([-1.0, 1.0], size=(counts[-1], n))
            copies = corrupt(patterns, capacity.corruption, rng)
            for p in counts:
                record("modern", patterns[:p], softmax_recall(patterns[:p], copies[:p], capacity.beta), trial)
        logger.info("Capacity: trial %d of %d done", trial + 1, capacity.trials)
    table = pd.DataFrame(rows).groupby(["rule", "patterns"], sort=False, as_index=False)
    table = table[["exact", "overlap"]].sum()
    stored = table["patterns"] * capacity.trials
    return pd.DataFrame({"rule": table["rule"], "load": table["patterns"] / n, "patterns": table["patterns"],
                         "exact_recall": table["exact"] / stored, "mean_overlap": table["overlap"] / stored})


def capacity_summary(report: pd.DataFrame) -> dict[str, float]:
    """Per rule, ``capacity_<rule>_exact``: the load at which the fraction recalled exactly falls
    below 0.9, and ``capacity_<rule>_overlap_load``: where the mean overlap does (see
    :func:`crossing`)."""
    result = {}
    for rule, rows in report.groupby("rule", sort=False):
        rows = rows.sort_values("load")
        loads = rows["load"].to_numpy()
        result[f"capacity_{rule}_exact"] = crossing(loads, rows["exact_recall"].to_numpy())
        result[f"capacity_{rule}_overlap_load"] = crossing(loads, rows["mean_overlap"].to_numpy())
    return result
