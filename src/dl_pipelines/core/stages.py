"""The pipelines every app registers: ``<app>`` (its four stages in order) and each stage alone."""

from __future__ import annotations

from kedro.pipeline import Pipeline

STAGES = ("ingestion", "preprocessing", "training", "evaluation")


def stage_pipelines(app: str, ingestion: Pipeline, preprocessing: Pipeline, training: Pipeline,
                    evaluation: Pipeline) -> dict[str, Pipeline]:
    """``{<app>: all four stages, <app>_ingestion: ..., ..., <app>_evaluation: ...}``."""
    stages = dict(zip(STAGES, (ingestion, preprocessing, training, evaluation), strict=True))
    return {app: sum(stages.values(), Pipeline([])),
            **{f"{app}_{stage}": pipeline for stage, pipeline in stages.items()}}
