import keras
import mlflow
import numpy as np
import pytest

from dl_pipelines.core.callbacks import (
    MlflowMetricsLogger,
    PeriodicBackupAndRestore,
    TensorBoardLogger,
    build_callbacks,
    kept_backups,
    settings_fingerprint,
)
from dl_pipelines.core.settings import StandardTraining, TrainingSettings


def tiny_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


DATA = (np.random.default_rng(0).normal(size=(32, 3)), np.zeros(32))


def test_epoch_metrics_are_logged_with_train_and_val_names(mlflow_uri):
    with mlflow.start_run() as run:
        tiny_model().fit(*DATA, validation_split=0.25, epochs=3, verbose=0,
                         callbacks=[MlflowMetricsLogger("app")])
    client = mlflow.MlflowClient()
    keys = set(client.get_run(run.info.run_id).data.metrics)
    assert keys == {"app.train_loss", "app.train_mae", "app.val_loss", "app.val_mae",
                    "app.train_epoch_seconds"}
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "app.val_mae")]
    assert steps == [0, 1, 2]


def test_epochs_are_sent_in_batches_with_their_speed(mlflow_uri, monkeypatch):
    calls = []
    original = mlflow.MlflowClient.log_batch
    monkeypatch.setattr(mlflow.MlflowClient, "log_batch",
                        lambda self, run_id, **kwargs: calls.append(1) or original(self, run_id, **kwargs))
    with mlflow.start_run() as run:
        tiny_model().fit(*DATA, epochs=5, verbose=0,
                         callbacks=[MlflowMetricsLogger("app", samples=32, flush_seconds=3600)])
    assert len(calls) == 1  # five epochs, one call when training ended
    client = mlflow.MlflowClient()
    speed = client.get_metric_history(run.info.run_id, "app.train_samples_per_second")
    seconds = client.get_metric_history(run.info.run_id, "app.train_epoch_seconds")
    assert [m.step for m in speed] == [0, 1, 2, 3, 4]
    assert all(abs(v.value * s.value - 32) < 1e-6 for v, s in zip(speed, seconds, strict=True))


def test_tensorboard_gets_the_epoch_curves_of_train_and_validation(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tiny_model().fit(*DATA, validation_split=0.25, epochs=3, verbose=0,
                     callbacks=[TensorBoardLogger(str(tmp_path), flush_seconds=3600)])
    for run in ("train", "validation"):
        events = EventAccumulator(str(tmp_path / run)).Reload()
        assert {"epoch_loss", "epoch_mae"} <= set(events.Tags()["scalars"])
        assert [event.step for event in events.Scalars("epoch_loss")] == [0, 1, 2]


def test_logger_is_silent_without_an_active_run(mlflow_uri):
    tiny_model().fit(*DATA, epochs=1, verbose=0, callbacks=[MlflowMetricsLogger("app")])
    assert mlflow.search_runs(search_all_experiments=True).empty


def test_build_callbacks_by_settings(tmp_path, mlflow_uri):
    training = StandardTraining(epochs=1, batch_size=1, learning_rate=0.1, early_stopping_patience=2,
                                reduce_lr_patience=1, tensorboard_dir=str(tmp_path / "tb"),
                                checkpoint_dir=str(tmp_path / "ckpt"))
    callbacks = build_callbacks("app", training, fingerprint="f")
    kinds = [type(c).__name__ for c in callbacks]
    assert kinds == ["EarlyStopping", "ReduceLROnPlateau", "TensorBoardLogger", "PeriodicBackupAndRestore",
                     "MlflowMetricsLogger", "StopAtInterrupt"]
    # A TensorBoard folder per training: in one folder, the next training's curves mix with these.
    assert callbacks[2].log_dir.parent == tmp_path / "tb" / "app"
    with mlflow.start_run() as run:
        folder = build_callbacks("app", training, fingerprint="f")[2].log_dir.name
    assert folder.endswith("_" + run.info.run_id[:8]) and folder != callbacks[2].log_dir.name
    off = TrainingSettings(epochs=1, batch_size=1, tensorboard_dir=None, checkpoint_dir=None)
    assert [type(c).__name__ for c in build_callbacks("app", off, fingerprint="f")] == [
        "MlflowMetricsLogger", "StopAtInterrupt"]


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_interrupted_training_resumes_where_it_stopped_and_tags_the_run_it_continues(tmp_path, mlflow_uri):
    training = TrainingSettings(epochs=5, batch_size=1, tensorboard_dir=None, checkpoint_dir=str(tmp_path),
                                checkpoint_every=1)
    with pytest.raises(KeyboardInterrupt), mlflow.start_run() as first:
        tiny_model().fit(*DATA, epochs=5, verbose=0,
                         callbacks=[*build_callbacks("app", training, fingerprint="f"), StopAt(3)])
    with mlflow.start_run() as second:
        history = tiny_model().fit(*DATA, epochs=5, verbose=0,
                                   callbacks=build_callbacks("app", training, fingerprint="f"))
    assert history.epoch == [3, 4]  # epochs 0-2 were restored, not trained again
    assert not (tmp_path / "app" / "f").exists()  # the backup is gone once training completes
    tags = mlflow.MlflowClient().get_run(second.info.run_id).data.tags
    assert tags["dl_pipelines.resumed_from_run"] == first.info.run_id
    assert tags["dl_pipelines.resumed_at_epoch"] == "3"


def test_checkpoints_every_n_epochs_resume_from_the_last_one(tmp_path):
    training = TrainingSettings(epochs=6, batch_size=1, tensorboard_dir=None, checkpoint_dir=str(tmp_path),
                                checkpoint_every=2)
    with pytest.raises(KeyboardInterrupt):
        tiny_model().fit(*DATA, epochs=6, verbose=0,
                         callbacks=[*build_callbacks("app", training, fingerprint="f"), StopAt(3)])
    # Epochs 0, 1 and 2 finished; the backup holds the state after epoch 1 (every 2nd epoch).
    history = tiny_model().fit(*DATA, epochs=6, verbose=0,
                               callbacks=build_callbacks("app", training, fingerprint="f"))
    assert history.epoch == [2, 3, 4, 5]


def test_a_backup_cut_off_while_written_resumes_from_the_one_before(tmp_path):
    training = TrainingSettings(epochs=6, batch_size=1, tensorboard_dir=None, checkpoint_dir=str(tmp_path),
                                checkpoint_every=1)
    with pytest.raises(KeyboardInterrupt):
        tiny_model().fit(*DATA, epochs=6, verbose=0,
                         callbacks=[*build_callbacks("app", training, fingerprint="f"), StopAt(3)])
    # As a kill -9 during the backup after epoch 2 leaves it: the weights file cut short.
    latest = tmp_path / "app" / "f" / "latest.weights.h5"
    latest.write_bytes(latest.read_bytes()[:100])
    history = tiny_model().fit(*DATA, epochs=6, verbose=0,
                               callbacks=build_callbacks("app", training, fingerprint="f"))
    assert history.epoch == [2, 3, 4, 5]  # from the backup after epoch 1


@pytest.mark.parametrize(("seconds", "resumed_epochs"), [(3600.0, [0, 1, 2, 3, 4]), (0.0, [3, 4])])
def test_automatic_backups_wait_for_the_interval(tmp_path, monkeypatch, seconds, resumed_epochs):
    """``checkpoint_every: auto`` backs up once ``AUTO_BACKUP_SECONDS`` have passed, not every epoch."""
    monkeypatch.setattr(PeriodicBackupAndRestore, "AUTO_BACKUP_SECONDS", seconds)
    training = TrainingSettings(epochs=5, batch_size=1, tensorboard_dir=None, checkpoint_dir=str(tmp_path))
    PeriodicBackupAndRestore.kept.clear()  # what earlier tests' trainings left
    with pytest.raises(KeyboardInterrupt):
        tiny_model().fit(*DATA, epochs=5, verbose=0,
                         callbacks=[*build_callbacks("app", training, fingerprint="f"), StopAt(3)])
    # What an interrupted `kedro run` tells its user it resumes from (cli._end_interrupted).
    assert kept_backups() == ([] if resumed_epochs[0] == 0 else [3])
    history = tiny_model().fit(*DATA, epochs=5, verbose=0,
                               callbacks=build_callbacks("app", training, fingerprint="f"))
    assert history.epoch == resumed_epochs
    assert kept_backups() == []  # the finished training removed its backup


def test_fingerprint_is_stable_and_sensitive():
    assert settings_fingerprint({"a": 1, "b": 2}) == settings_fingerprint({"b": 2, "a": 1})
    assert settings_fingerprint({"a": 1}) != settings_fingerprint({"a": 2})
