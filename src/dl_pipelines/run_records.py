"""MLflow run records that tell the truth about how a run ended.

A run ended by Ctrl-C or SIGTERM is KILLED (``dl_pipelines.cli``). A run left RUNNING by a process
that no longer exists (``kill -9``, a crash, a machine that went down) is marked FAILED by the next
``kedro run`` on the same machine, with a tag saying why: each run is tagged with the host and the
process that made it (``hooks.AppRunsHook``).
"""

from __future__ import annotations

import logging
import os
import socket

import mlflow
from mlflow.entities import Run, RunStatus

logger = logging.getLogger(__name__)

HOST_TAG = "dl_pipelines.host"
PID_TAG = "dl_pipelines.pid"
END_TAG = "dl_pipelines.end"


def process_tags() -> dict[str, str]:
    """The tags that tie a run to this process."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _runs(status: str, pid: int | None = None) -> list[Run]:
    """The runs of this host with ``status`` (of process ``pid`` only, if given)."""
    query = f"attributes.status = '{status}' and tags.`{HOST_TAG}` = '{socket.gethostname()}'"
    if pid is not None:
        query += f" and tags.`{PID_TAG}` = '{pid}'"
    return mlflow.search_runs(search_all_experiments=True, output_format="list", filter_string=query)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def end_runs_of_this_process(status: str, including_failed: bool = False) -> list[str]:
    """End every run this process still has open with ``status``: the active ones (MLflow's exit
    handler would mark them FINISHED) and the paused runs of other apps; with ``including_failed``,
    also those it closed as FAILED. Returns their ids."""
    ended = []
    while (active := mlflow.active_run()) is not None:
        ended.append(active.info.run_id)
        mlflow.end_run(status)
    client = mlflow.MlflowClient()
    for was in ("RUNNING", "FAILED") if including_failed else ("RUNNING",):
        for run in _runs(was, os.getpid()):
            client.set_terminated(run.info.run_id, status)
            ended.append(run.info.run_id)
    return ended


def fail_runs_of_ended_processes() -> list[str]:
    """Mark FAILED the runs that a process of this host left RUNNING and that process is gone.
    Returns their ids."""
    client = mlflow.MlflowClient()
    failed = []
    for run in _runs("RUNNING"):
        pid = int(run.data.tags.get(PID_TAG, "0"))
        if pid <= 0 or pid == os.getpid() or _exists(pid):
            continue
        reason = (f"process {pid} on {socket.gethostname()} ended without finishing the run (killed "
                  f"or crashed); marked FAILED by the kedro run of process {os.getpid()}")
        client.set_tag(run.info.run_id, END_TAG, reason)
        client.set_terminated(run.info.run_id, RunStatus.to_string(RunStatus.FAILED))
        logger.warning("MLflow run %s (%s): %s", run.info.run_id, run.info.run_name, reason)
        failed.append(run.info.run_id)
    return failed
