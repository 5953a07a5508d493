"""The standard Keras callbacks every app trains with."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import keras
import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from dl_pipelines.core.interrupts import raise_if_interrupted
from dl_pipelines.core.settings import TrainingSettings

logger = logging.getLogger(__name__)

# One finished epoch: its index, wall seconds, Unix time at its end and its finite metrics.
EpochRecord = tuple[int, float, float, dict[str, float]]


class EpochLogger(keras.callbacks.Callback):
    """Collect each epoch's metrics and wall time, and hand them to :meth:`write` in batches: at
    most every ``flush_seconds`` and when training ends. One write per epoch (an MLflow call, a
    TensorBoard flush) costs milliseconds, a tenth of a small model's epoch.

    An epoch's wall time runs from the end of the previous one (the start of training for the
    first), so that every callback's cost, this one's included, counts in some epoch.
    """

    def __init__(self, flush_seconds: float = 10.0):
        super().__init__()
        self.flush_seconds = flush_seconds
        self.pending: list[EpochRecord] = []
        self.last_epoch_end = self.last_flush = time.perf_counter()

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        self.last_epoch_end = self.last_flush = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        seconds = time.perf_counter() - self.last_epoch_end
        finite = {name: float(value) for name, value in (logs or {}).items()
                  if math.isfinite(float(value))}
        self.pending.append((epoch, seconds, time.time(), finite))
        if time.perf_counter() - self.last_flush >= self.flush_seconds:
            self.flush()
        self.last_epoch_end = time.perf_counter()

    def on_train_end(self, logs: Mapping[str, float] | None = None) -> None:
        self.flush()

    def flush(self) -> None:
        """Write the pending epochs."""
        self.last_flush = time.perf_counter()
        if self.pending:
            self.write(self.pending)
        self.pending = []

    def write(self, epochs: list[EpochRecord]) -> None:
        """Write ``(epoch, seconds, unix time, metrics)`` of each pending epoch."""
        raise NotImplementedError


class MlflowMetricsLogger(EpochLogger):
    """Log each epoch's metrics into the active MLflow run as ``<prefix>.train_<name>`` and
    ``<prefix>.val_<name>``, with ``step`` = epoch, and its speed: ``<prefix>.train_epoch_seconds``
    and, when the number of training samples is known, ``<prefix>.train_samples_per_second``.
    Does nothing when no run is active, so the same training code runs in tests and notebooks.
    """

    def __init__(self, prefix: str, samples: int | None = None, flush_seconds: float = 10.0):
        super().__init__(flush_seconds)
        self.prefix = prefix
        self.samples = samples

    def write(self, epochs: list[EpochRecord]) -> None:
        if mlflow.active_run() is None:
            return
        batch = []
        for epoch, seconds, unix_time, logs in epochs:
            metrics = {"train_epoch_seconds": seconds}
            if self.samples:
                metrics["train_samples_per_second"] = self.samples / seconds
            metrics.update({name if name.startswith("val_") else f"train_{name}": value
                            for name, value in logs.items() if name != "learning_rate"})
            batch += [Metric(f"{self.prefix}.{key}", value, int(unix_time * 1000), epoch)
                      for key, value in metrics.items()]
        MlflowClient().log_batch(mlflow.active_run().info.run_id, metrics=batch)


class TensorBoardLogger(EpochLogger):
    """The epoch curves of Keras' TensorBoard callback (``train/`` and ``validation/`` runs,
    tags ``epoch_<name>``), written straight as event records: Keras' callback runs TensorFlow
    summary ops and switches writers around every validation, ~10 ms per epoch."""

    def __init__(self, log_dir: str, flush_seconds: float = 10.0):
        super().__init__(flush_seconds)
        self.log_dir = Path(log_dir)
        self.writers: dict[str, EventFileWriter] = {}

    def write(self, epochs: list[EpochRecord]) -> None:
        for epoch, _, unix_time, logs in epochs:
            runs = {"train": {k: v for k, v in logs.items() if not k.startswith("val_")},
                    "validation": {k[4:]: v for k, v in logs.items() if k.startswith("val_")}}
            for run, values in runs.items():
                if values:
                    summary = Summary(value=[Summary.Value(tag=f"epoch_{name}", simple_value=value)
                                             for name, value in values.items()])
                    self.writer(run).add_event(Event(wall_time=unix_time, step=epoch, summary=summary))
        for writer in self.writers.values():
            writer.flush()

    def writer(self, run: str) -> EventFileWriter:
        if run not in self.writers:
            self.writers[run] = EventFileWriter(str(self.log_dir / run))
        return self.writers[run]

    def on_train_end(self, logs: Mapping[str, float] | None = None) -> None:
        super().on_train_end(logs)
        for writer in self.writers.values():
            writer.close()
        self.writers = {}


class PeriodicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore, backing up after every ``every``-th epoch and the last one, or with
    ``every="auto"`` after the first epoch ending ``AUTO_BACKUP_SECONDS`` or more after the last
    backup: a backup costs ~20 ms, a tenth of a small model's epoch, and a crash should cost at
    most a minute of work, not an epoch's fraction of a second.

    Each backup also notes the MLflow run that made it, so a resumed training tags its own run
    with the run it continues (``dl_pipelines.resumed_from_run``) and the epoch it resumes at.
    """

    AUTO_BACKUP_SECONDS = 60.0
    RUN_FILE = "mlflow_run.json"
    # The backups this process's trainings leave (folder -> epoch): what an interrupted run can
    # tell its user it resumes from (``kept_backups``). A finished training removes its own.
    kept: ClassVar[dict[str, int]] = {}

    def __init__(self, backup_dir: str, every: int | str = "auto"):
        # Two backups: a process killed while writing one (kill -9, a lost node) resumes from the
        # other instead of failing on a truncated weights file.
        super().__init__(backup_dir=backup_dir, double_checkpoint=True)
        self.every = every
        self.last_backup = time.perf_counter()

    def on_train_begin(self, logs: Mapping[str, float] | None = None) -> None:
        record = Path(self.backup_dir, self.RUN_FILE)
        previous = json.loads(record.read_text()) if record.is_file() else None
        super().on_train_begin(logs)
        self.last_backup = time.perf_counter()
        if previous is None:
            return
        self.kept[self.backup_dir] = previous["epoch"]
        logger.info("Resuming at epoch %d from the backup of MLflow run %s", previous["epoch"],
                    previous["run_id"])
        if mlflow.active_run() is not None and previous["run_id"]:
            mlflow.set_tags({"dl_pipelines.resumed_from_run": previous["run_id"],
                             "dl_pipelines.resumed_at_epoch": previous["epoch"]})

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
        if self.every == "auto":
            due = time.perf_counter() - self.last_backup >= self.AUTO_BACKUP_SECONDS
        else:
            due = (epoch + 1) % int(self.every) == 0
        if due or epoch + 1 == self.params.get("epochs"):
            super().on_epoch_end(epoch, logs)
            run = mlflow.active_run()
            Path(self.backup_dir, self.RUN_FILE).write_text(
                json.dumps({"run_id": run.info.run_id if run else None, "epoch": epoch + 1}))
            self.kept[self.backup_dir] = epoch + 1
            self.last_backup = time.perf_counter()

    def on_train_end(self, logs: Mapping[str, float] | None = None) -> None:
        super().on_train_end(logs)  # removes the backup: the training is complete
        self.kept.pop(self.backup_dir, None)


def kept_backups() -> list[int]:
    """The epochs of the backups this process's trainings have left (none: nothing to resume)."""
    return sorted(PeriodicBackupAndRestore.kept.values())


def settings_fingerprint(settings: Mapping[str, Any]) -> str:
    """A short stable hash of a settings dict (a checkpoint is only resumed by the same settings)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class StopAtInterrupt(keras.callbacks.Callback):
    """Raises a Ctrl-C that came during ``fit()`` when the running step ends (core/interrupts.py)."""

    def _stop_if_interrupted(self, step_or_epoch: int, logs: dict[str, Any] | None = None) -> None:
        raise_if_interrupted()

    on_train_batch_end = on_test_batch_end = on_epoch_end = _stop_if_interrupted


def build_callbacks(
    app: str,
    training: TrainingSettings,
    *,
    fingerprint: str,
    monitor: str = "val_loss",
    samples: int | None = None,
) -> list[keras.callbacks.Callback]:
    """The callbacks of a ``fit()``: early stopping, TensorBoard, resume-on-restart, MLflow curves,
    and a Ctrl-C's stop when a step ends.

    Args:
        app: The app name: MLflow metric prefix and sub-folder of the log directories (TensorBoard's:
            ``<app>/<start time>_<MLflow run id, first 8 characters>``).
        training: The app's training settings; reads ``early_stopping_patience`` and
            ``reduce_lr_patience`` (0 or absent turns each off), ``tensorboard_dir`` and
            ``checkpoint_dir`` (null turns each off), ``checkpoint_every`` (epochs between
            backups, or ``auto``: about once a minute).
        fingerprint: Identifies the run's settings, so an interrupted training is resumed only
            by a run with the same settings.
        monitor: The metric early stopping watches.
        samples: Training samples per epoch, for the ``train_samples_per_second`` curve.
    """
    callbacks: list[keras.callbacks.Callback] = []
    patience = training.early_stopping_patience
    if patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=patience, restore_best_weights=True, verbose=1
            )
        )
    reduce_lr_patience = getattr(training, "reduce_lr_patience", 0)
    if reduce_lr_patience > 0:
        # A smaller step once validation stalls: the last tenths of a percent of accuracy.
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.3, patience=reduce_lr_patience, min_lr=1e-5, verbose=1
            )
        )
    if training.tensorboard_dir:
        # A folder per training (TensorBoard's "run"): in one folder, the next training's curves
        # would mix with this one's, step by step.
        run = mlflow.active_run()
        name = time.strftime("%Y%m%d-%H%M%S") + (f"_{run.info.run_id[:8]}" if run else "")
        callbacks.append(TensorBoardLogger(log_dir=str(Path(training.tensorboard_dir) / app / name)))
    if training.checkpoint_dir:
        # Keras restores the last finished epoch from here after a crash or Ctrl-C, and deletes
        # the backup when training completes.
        backup = Path(training.checkpoint_dir) / app / fingerprint
        callbacks.append(PeriodicBackupAndRestore(str(backup), training.checkpoint_every))
    callbacks.append(MlflowMetricsLogger(prefix=app, samples=samples))
    # Last: the others (an epoch's backup, its curves) have done the step's work when it stops.
    callbacks.append(StopAtInterrupt())
    return callbacks


def fit_verbosity(setting: str | int = "auto") -> int:
    """Keras ``verbose``: a live progress bar in a terminal, one line per epoch in a log."""
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(setting)
