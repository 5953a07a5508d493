"""The pipelines every app registers: ``<app>`` (its four stages in order) and each stage alone.

Every app's ``pipeline.py`` follows the same conventions. Each node carries the namespace
``<app>.<stage>``, which groups it in Kedro-Viz and tells the MLflow hook which app it belongs to;
dataset names are already ``<app>.``-prefixed (the shared inputs ``raw_files`` and ``user_csv``
aside). Nodes take the narrow settings blocks they use (``params:<app>.model``), typed by their
signatures.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

STAGES = ("ingestion", "preprocessing", "training", "evaluation")


def stage_pipelines(app: str, ingestion: Pipeline, preprocessing: Pipeline, training: Pipeline,
                    evaluation: Pipeline) -> dict[str, Pipeline]:
    """``{<app>: all four stages, <app>_ingestion: ..., ..., <app>_evaluation: ...}``."""
    stages = dict(zip(STAGES, (ingestion, preprocessing, training, evaluation), strict=True))
    return {app: sum(stages.values(), Pipeline([])),
            **{f"{app}_{stage}": pipeline for stage, pipeline in stages.items()}}
