"""Nodes of the hopfield app, stage by stage: arrays, tables and typed settings in and out; the
catalog does the I/O and kedro-mlflow owns the MLflow run."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from dl_pipelines.core.download import RawFiles
from dl_pipelines.core.mlflow_metrics import mlflow_metrics
from dl_pipelines.core.stages import check_made_from
from dl_pipelines.pipelines.hopfield.metrics import capacity_experiment, capacity_summary, exact, theory
from dl_pipelines.pipelines.hopfield.models import (
    corrupt,
    hebbian_weights,
    overlaps,
    recall,
    softmax_recall,
    storkey_weights,
)
from dl_pipelines.pipelines.hopfield.settings import (
    CapacitySettings,
    DataSettings,
    ModelSettings,
    RecallSettings,
)
from dl_pipelines.pipelines.hopfield.sources import binarised_images, letter_bitmaps, random_bitmaps
from dl_pipelines.pipelines.hopfield.transforms import to_patterns

logger = logging.getLogger(__name__)


# --- ingestion ---------------------------------------------------------------------------------


def ingest_bitmaps(raw_files: RawFiles, dataset: str, data: DataSettings, seed: int) -> dict[str, np.ndarray]:
    """The bitmaps to store (uint8 (P, H, W) of 0 and 1), a name each, and the dataset's name:
    the drawn letters and your own bitmaps, seeded random patterns, or binarised digit images
    (downloaded the first time)."""
    if dataset == "letters":
        bitmaps, names = letter_bitmaps(data.letters, data.bitmaps)
    elif dataset == "random":
        bitmaps, names = random_bitmaps(data.units, data.patterns, seed)
    else:
        bitmaps, names = binarised_images(dataset, raw_files, data.patterns, data.threshold)
    logger.info("%s: %d bitmaps of %dx%d pixels", dataset, len(bitmaps), *bitmaps.shape[1:])
    return {"bitmaps": bitmaps, "names": np.array(names), "dataset": np.array(dataset)}


# --- preprocessing -----------------------------------------------------------------------------


def prepare_patterns(bitmaps: dict[str, np.ndarray], dataset: str) -> dict[str, np.ndarray]:
    """The bitmaps as +-1 patterns (P, N), with their names and image shape.

    Raises:
        ConfigurationError: The ingested data is another dataset's, or a bitmap is not binary.
    """
    check_made_from(str(bitmaps["dataset"]), "hopfield.raw_images", dataset, "hopfield_ingestion")
    patterns = to_patterns(bitmaps["bitmaps"], f"hopfield.dataset={dataset}")
    logger.info("%d patterns of %d units (load P / N = %.3f)", *patterns.shape,
                len(patterns) / patterns.shape[1])
    return {"patterns": patterns, "names": bitmaps["names"], "shape": np.array(bitmaps["bitmaps"].shape[1:]),
            "dataset": bitmaps["dataset"]}


# --- training ----------------------------------------------------------------------------------


def store_patterns(model_input: dict[str, np.ndarray], model: ModelSettings) -> dict[str, np.ndarray]:
    """The network that stores the patterns: the weights (N, N) of the Hebbian or Storkey rule,
    or, for the modern network, the patterns themselves (P, N) and its inverse temperature."""
    patterns = model_input["patterns"]
    if model.rule == "modern":
        weights = patterns.astype(np.float32)
    else:
        learn = hebbian_weights if model.rule == "hebbian" else storkey_weights
        weights = learn(patterns).astype(np.float32)
    logger.info("Stored %d patterns of %d units with the %s rule", *patterns.shape, model.rule)
    return {"rule": np.array(model.rule), "weights": weights, "beta": np.array(model.beta)}


# --- evaluation --------------------------------------------------------------------------------


def recall_patterns(network: dict[str, np.ndarray], model_input: dict[str, np.ndarray],
                    recall_settings: RecallSettings, seed: int) -> dict[str, np.ndarray]:
    """Recall every stored pattern from a copy with ``recall.corruption`` of its pixels flipped
    (seeded).

    Returns:
        The corrupted copies and the recalled states (P, N), and for a classical network the
        energy of every state at each step (steps + 1, P) and that of each stored pattern.
    """
    rng = np.random.default_rng(seed)
    patterns = model_input["patterns"].astype(np.float64)
    copies = corrupt(patterns, recall_settings.corruption, rng)
    rule, weights = str(network["rule"]), network["weights"].astype(np.float64)
    if rule == "modern":
        recalled = softmax_recall(weights, copies, float(network["beta"]), recall_settings.modern_steps)
        energies = stored = np.zeros((0, len(patterns)))
    else:
        recalled, energies = recall(weights, copies, recall_settings.update, recall_settings.max_steps, rng)
        _, stored = recall(weights, patterns, recall_settings.update, 0, rng)
    return {"corrupted": copies.astype(np.int8), "recalled": recalled.astype(np.int8), "energies": energies,
            "stored_energies": stored.reshape(-1), "rule": np.array(rule),
            "update": np.array(recall_settings.update), "corruption": np.array(recall_settings.corruption)}


def score_recall(predictions: dict[str, np.ndarray], model_input: dict[str, np.ndarray]) -> dict[str, Any]:
    """MLflow metrics: ``test_exact_recall`` (the fraction of stored patterns recalled exactly)
    and ``test_mean_overlap`` (mean of xi . s / N after recall); the baseline is no network at
    all, the corrupted copy as it is (``baseline_test_*``); ``test_energy`` by step (the mean
    over the patterns) and ``test_recall_steps`` for the classical networks."""
    patterns, recalled = model_input["patterns"], predictions["recalled"]
    copies = predictions["corrupted"].astype(np.float64)
    metrics: dict[str, Any] = {
        "test_exact_recall": float(exact(patterns, recalled).mean()),
        "test_mean_overlap": float(overlaps(patterns, recalled).mean()),
        "baseline_test_exact_recall": float(exact(patterns, copies).mean()),
        "baseline_test_mean_overlap": float(overlaps(patterns, copies).mean()),
    }
    if energies := predictions["energies"].tolist():
        metrics["test_recall_steps"] = float(len(energies) - 1)
        metrics["test_energy"] = [{"value": float(np.mean(step)), "step": index}
                                  for index, step in enumerate(energies)]
    logger.info("Recalled exactly %.1f%% of %d patterns, mean overlap %.4f (the corrupted copies: %.4f)",
                100 * metrics["test_exact_recall"], len(patterns), metrics["test_mean_overlap"],
                metrics["baseline_test_mean_overlap"])
    return mlflow_metrics(metrics)


# --- capacity (hopfield_capacity) --------------------------------------------------------------


def measure_capacity(capacity: CapacitySettings, seed: int) -> pd.DataFrame:
    """The capacity experiment: exact recall and mean overlap by rule and load P / N."""
    logger.info("Capacity experiment: N = %d, rules %s, %d trial(s)", capacity.units,
                ", ".join(capacity.rules), capacity.trials)
    return capacity_experiment(capacity, seed)


def summarise_capacity(report: pd.DataFrame, capacity: CapacitySettings) -> dict[str, Any]:
    """MLflow metrics ``capacity_<rule>_exact`` and ``capacity_<rule>_overlap_load`` (the load P / N
    at which exact recall, or the mean overlap, falls below 0.9), and the theory's loads for N
    (``capacity_theory_*``)."""
    metrics = capacity_summary(report)
    for name, value in metrics.items():
        logger.info("%s = %.4f", name, value)
    theory_loads = {f"capacity_theory_{k}": v for k, v in theory(capacity.units).items()}
    return mlflow_metrics({**metrics, **theory_loads})
