"""The pipelines every app registers: ``<app>`` (its four stages in order) and each stage alone.

Every app's ``pipeline.py`` follows the same conventions. Each node carries the namespace
``<app>.<stage>``, which groups it in Kedro-Viz and tells the MLflow hook which app it belongs to;
dataset names are already ``<app>.``-prefixed (the shared inputs ``raw_files`` and ``user_csv``
aside). Nodes take the narrow settings blocks they use (``params:<app>.model``), typed by their
signatures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedro.pipeline import Pipeline

from dl_pipelines.core.errors import ConfigurationError

STAGES = ("ingestion", "preprocessing", "training", "evaluation")


def stage_pipelines(app: str, ingestion: Pipeline, preprocessing: Pipeline, training: Pipeline,
                    evaluation: Pipeline) -> dict[str, Pipeline]:
    """``{<app>: all four stages, <app>_ingestion: ..., ..., <app>_evaluation: ...}``."""
    stages = dict(zip(STAGES, (ingestion, preprocessing, training, evaluation), strict=True))
    return {app: sum(stages.values(), Pipeline([])),
            **{f"{app}_{stage}": pipeline for stage, pipeline in stages.items()}}


def check_made_from(made_from: str | None, name: str, dataset: str, stages: str, where: str = ""
                    ) -> None:
    """Stop when the stored ``name`` (``<app>.<entry>``, written by ``stages``) was made from
    another dataset than ``<app>.dataset``: else one dataset's data is treated with the other's preset.
    ``made_from`` None (nothing recorded) passes; ``where`` (``,data_root=...``) goes into the hint."""
    if made_from is not None and made_from != dataset:
        app = name.split(".", 1)[0]
        raise ConfigurationError(
            f"{name} was made from {made_from!r}, but {app}.dataset is {dataset!r}: run `kedro run "
            f"--pipelines={stages} --params {app}.dataset={dataset}{where}` first, or add --params "
            f"{app}.dataset={made_from}.")


def require_stage_inputs(pipeline: Pipeline, catalog: Any, registered: Mapping[str, Pipeline],
                         data_root: str | None = None) -> dict[str, str]:
    """Stop before any work when the run reads what a stage it does not run writes, and that is
    not there yet (a stage or sweep run alone in a fresh clone), naming the stages to run first;
    or when a stage trains or scores an ``<app>.model_input`` made from another dataset than
    ``<app>.dataset``.

    Args:
        pipeline: What the run runs.
        catalog: The run's catalog.
        registered: Every registered pipeline; the ``<app>_<stage>`` ones say who writes what.
        data_root: The run's ``--params data_root``, repeated in the commands the errors give.

    Returns:
        For an inference run, the dataset its app's stored model input was made from (app ->
        dataset): the run's dataset, whatever ``<app>.dataset`` says.
    """
    writers = {output: name for name, stage in registered.items() if name.rsplit("_", 1)[-1] in STAGES
               for output in stage.all_outputs()}
    missing = sorted(name for name in pipeline.inputs() if name in writers and not catalog.exists(name))
    if missing:
        # The stages that write them, and those their own missing inputs need, earliest first.
        stages, waiting = set(), [writers[name] for name in missing]
        while waiting:
            stage = waiting.pop()
            if stage not in stages:
                stages.add(stage)
                waiting += [writers[name] for name in registered[stage].inputs()
                            if name in writers and not catalog.exists(name)]
        stages = sorted(stages, key=lambda name: STAGES.index(name.rsplit("_", 1)[-1]))
        app = stages[0].rsplit("_", 1)[0]
        where = f" --params data_root={data_root}" if data_root else ""
        raise ConfigurationError(
            f"{', '.join(missing)} {'does' if len(missing) == 1 else 'do'} not exist yet: run `kedro run "
            f"--pipelines={','.join(stages)}{where}` first (or the whole app, --pipelines={app}{where}).")
    # Checked here, not in the nodes: a training or sweep run alone with another dataset's preset
    # can take hours. Model inputs are cached (catalog.yml), so the nodes do not read them again.
    inferred = {}
    for name in sorted(pipeline.inputs()):
        if name.endswith(".model_input") and name in writers:
            app = name.split(".", 1)[0]
            stored = catalog.load(name)
            made_from = stored.get("dataset") if isinstance(stored, Mapping) else None
            if made_from is None:
                continue
            readers = [node for node in pipeline.nodes if name in node.inputs]
            if all(node.namespace == f"{app}.inference" for node in readers):
                inferred[app] = str(made_from)  # inference trains nothing: it uses what is stored
                continue
            check_made_from(str(made_from), name, catalog.load(f"params:{app}.dataset"),
                            f"{app}_ingestion,{app}_preprocessing",
                            f",data_root={data_root}" if data_root else "")
    return inferred
