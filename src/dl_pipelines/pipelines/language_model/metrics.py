"""The language models' scores: cross-entropy in nats per token, perplexity for words, bits per
character for characters; the network's and the n-gram baseline's side by side."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from dl_pipelines.core.mlflow_metrics import mlflow_metrics

logger = logging.getLogger(__name__)

PARTS = {"val": "validation", "test": "test"}


def summed_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Sum over every position of -ln softmax(logits)[target] (a stable log-softmax)."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1))
    picked = np.take_along_axis(shifted, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    return float((log_norm - picked).sum())


def scores(nats: dict[str, float], level: str, prefix: str = "") -> dict[str, float]:
    """MLflow metrics of mean cross-entropies (``{"val": ..., "test": ...}``): words give
    ``<part>_perplexity`` and ``<part>_loss_per_word``; characters ``<part>_loss_per_char`` and
    ``<part>_bits_per_char``; ``prefix`` (``baseline_``) names whose they are."""
    metrics = {}
    for part, value in nats.items():
        if level == "word":
            metrics[f"{prefix}{part}_perplexity"] = math.exp(value)
            metrics[f"{prefix}{part}_loss_per_word"] = value
        else:
            metrics[f"{prefix}{part}_loss_per_char"] = value
            metrics[f"{prefix}{part}_bits_per_char"] = value / math.log(2)
    return metrics


def with_derived_curves(history: dict[str, list[float]], level: str) -> dict[str, list[float]]:
    """The per-epoch history with the loss also as perplexity (words) or bits per character."""
    name, convert = (("perplexity", math.exp) if level == "word"
                     else ("bits_per_char", lambda nats: nats / math.log(2)))
    derived = {f"{key[:-4]}{name}": [convert(value) for value in values]
               for key, values in history.items() if key in ("loss", "val_loss")}
    return {**history, **derived}


def evaluation_metrics(network: dict[str, float], baseline: dict[str, float],
                       model_input: dict[str, np.ndarray], order: int) -> dict[str, Any]:
    """MLflow metrics: the network's ``<part>_perplexity`` (words) or ``<part>_loss_per_char`` and
    ``<part>_bits_per_char`` (characters), the baseline's with the prefix ``baseline_``."""
    level = str(model_input["level"])
    metrics = {**scores(network, level), **scores(baseline, level, "baseline_")}
    unit = "perplexity" if level == "word" else "nats/char"
    show = (lambda nats: f"{np.exp(nats):.1f}") if level == "word" else (lambda nats: f"{nats:.3f}")
    for part in network:
        logger.info("%s %s: network %s, %d-gram Kneser-Ney %s", PARTS[part], unit, show(network[part]), order,
                    show(baseline[part]))
    return mlflow_metrics(metrics)
