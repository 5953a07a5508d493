"""The standard Keras callbacks every app trains with."""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import mlflow


class MlflowMetricsLogger(keras.callbacks.Callback):
    """Log each epoch's metrics into the active MLflow run as ``<prefix>.train_<name>`` and
    ``<prefix>.val_<name>``, with ``step`` = epoch, and the epoch's wall time as
    ``<prefix>.train_epoch_seconds`` (to compare the speed of runs). Does nothing when no run is
    active, so the same training code runs in unit tests and notebooks.
    """

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix
        self.epoch_start = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        if mlflow.active_run() is None or not logs:
            return
        metrics = {f"{self.prefix}.train_epoch_seconds": time.perf_counter() - self.epoch_start}
        for name, value in logs.items():
            if name == "learning_rate" or not math.isfinite(float(value)):
                continue
            key = name if name.startswith("val_") else f"train_{name}"
            metrics[f"{self.prefix}.{key}"] = float(value)
        mlflow.log_metrics(metrics, step=epoch)


class PeriodicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore, backing up after every ``every``-th epoch and the last one: long
    epochs are cheap to back up each time, many short ones are not."""

    def __init__(self, backup_dir: str, every: int = 1):
        super().__init__(backup_dir=backup_dir)
        self.every = int(every)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.params.get("epochs"):
            super().on_epoch_end(epoch, logs)


def settings_fingerprint(settings: Mapping[str, Any]) -> str:
    """A short stable hash of a settings dict (a checkpoint is only resumed by the same settings)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_callbacks(
    app: str,
    training: Mapping[str, Any],
    *,
    fingerprint: str,
    monitor: str = "val_loss",
) -> list[keras.callbacks.Callback]:
    """The callbacks of a ``fit()``: early stopping, TensorBoard, resume-on-restart, MLflow curves.

    Args:
        app: The app name: MLflow metric prefix and sub-folder of the log directories.
        training: The app's training settings; reads ``early_stopping_patience`` and
            ``reduce_lr_patience`` (0 or absent turns each off), ``tensorboard_dir`` and
            ``checkpoint_dir`` (null turns each off), ``checkpoint_every`` (epochs, default 1).
        fingerprint: Identifies the run's settings, so an interrupted training is resumed only
            by a run with the same settings.
        monitor: The metric early stopping watches.
    """
    callbacks: list[keras.callbacks.Callback] = []
    patience = training.get("early_stopping_patience") or 0
    if patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=patience, restore_best_weights=True, verbose=1
            )
        )
    reduce_lr_patience = training.get("reduce_lr_patience") or 0
    if reduce_lr_patience > 0:
        # A smaller step once validation stalls: the last tenths of a percent of accuracy.
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.3, patience=reduce_lr_patience, min_lr=1e-5, verbose=1
            )
        )
    if training.get("tensorboard_dir"):
        callbacks.append(
            keras.callbacks.TensorBoard(log_dir=str(Path(training["tensorboard_dir"]) / app))
        )
    if training.get("checkpoint_dir"):
        # Keras restores the last finished epoch from here after a crash or Ctrl-C, and deletes
        # the backup when training completes.
        backup = Path(training["checkpoint_dir"]) / app / fingerprint
        callbacks.append(PeriodicBackupAndRestore(str(backup), training.get("checkpoint_every", 1)))
    callbacks.append(MlflowMetricsLogger(prefix=app))
    return callbacks


def fit_verbosity(setting: str | int = "auto") -> int:
    """Keras ``verbose``: a live progress bar in a terminal, one line per epoch in a log."""
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(setting)
