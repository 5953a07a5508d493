"""Project pipelines.

Every name is registered here explicitly (not through ``find_pipelines``): since Kedro 1.5,
``--pipelines X`` imports only ``pipelines/X/``, so the stage pipelines ``cnn_training`` etc. must
be known without that lookup.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from dl_pipelines.pipelines import (
    autoencoder,
    classification,
    cnn,
    gan,
    hopfield,
    language_model,
    lstm,
    rbm,
    rbm_features,
    regression,
)

APPS = {"cnn": cnn, "lstm": lstm, "autoencoder": autoencoder, "regression": regression,
        "gan": gan, "rbm": rbm, "classification": classification, "hopfield": hopfield,
        "rbm_features": rbm_features, "language_model": language_model}


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines: per app ``<app>`` and its stages ``<app>_<stage>``.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects; ``__default__`` runs every app.
    """
    pipelines: dict[str, Pipeline] = {}
    for module in APPS.values():
        pipelines.update(module.create_pipelines())
    pipelines["__default__"] = sum((pipelines[app] for app in APPS), Pipeline([]))
    return pipelines
