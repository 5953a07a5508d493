"""Project command line: Kedro's commands, with ``kedro run`` reporting a user's mistake (a bad
parameter, a pipeline name or filter that selects nothing, a missing or corrupt data file) as
one line instead of a traceback, recording Ctrl-C and SIGTERM as KILLED in MLflow, and ending
as soon as its work is done."""

from __future__ import annotations

import atexit
import os
import re
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

import click
from kedro.config import MissingConfigException
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.project import pipelines as project_pipelines
from kedro.pipeline import Pipeline

from dl_pipelines.core.errors import UserError, closest
from dl_pipelines.core.interrupts import interrupt
from dl_pipelines.run_records import end_runs_of_this_process

# Set here, where the command line starts (settings.py is read later): both `--pipeline` and
# `--pipelines` are supported spellings in this project (README, "Running the apps").
warnings.filterwarnings("ignore", message=".*Option '--pipeline' is deprecated.*")


@click.group(name="dl_pipelines")
def cli() -> None:
    """Commands of the dl_pipelines project."""


class _Interrupted:
    """Whether Ctrl-C or SIGTERM came: an interrupt raised inside library code can come out as
    another exception (seen once in CI: exit code 1 instead of 130), which Kedro reports as a
    failed node; it is still an interrupt. During a training it waits for the running step to
    end (core/interrupts.py)."""

    signalled = False

    @classmethod
    def handler(cls, signum: int, frame: Any) -> None:
        cls.signalled = True
        interrupt()


def _check_runner(runner: str | None, is_async: bool, runner_params: dict[str, Any]) -> None:
    """Kedro's default runner only, checked before any work. MLflow's active run belongs to the
    thread that started it: nodes (ThreadRunner) or saves (--async) in other threads find none
    and fail once the training is done. ParallelRunner's processes cannot share the models."""
    if runner and runner.rsplit(".", 1)[-1] != "SequentialRunner":
        raise click.ClickException(
            f"--runner={runner} is not supported: each app records to the MLflow run of the thread "
            "that started it, and its models do not cross processes; leave --runner out.")
    if is_async or str(runner_params.get("is_async", False)).lower() == "true":
        raise click.ClickException(
            "--async is not supported: saves in other threads find no MLflow run to log to; leave it out.")


# Pipeline.filter's arguments and the `kedro run` options that give them.
OPTIONS = {"tags": "tags", "node_names": "nodes", "from_nodes": "from-nodes", "to_nodes": "to-nodes",
           "from_inputs": "from-inputs", "to_outputs": "to-outputs", "node_namespaces": "namespaces"}


def _check_selection(pipeline: str | None, pipelines: list[str], **filters: Any) -> None:
    """Kedro's own pipeline lookup and node filter, done before any work: a pipeline name, tag or
    node that selects nothing is then one line, not Kedro's traceback from inside the session."""
    requested = [pipeline] if pipeline else list(set(pipelines))
    project_pipelines.set_requested(requested or None)  # as the session will: nothing loads twice
    names = requested or ["__default__"]
    known = list(project_pipelines.keys())
    for name in names:
        if name not in known:
            close = closest(name, known)
            raise click.ClickException(
                f"There is no pipeline named {name!r}" + (f"; did you mean {close!r}?" if close else ".")
                + " `kedro registry list` lists them.")
    selected = sum((project_pipelines[name] for name in names), Pipeline([]))
    try:
        selected.filter(**filters)
    except ValueError as error:
        reason = re.split(r"\.\s", str(error))[0].rstrip(".")  # Kedro's first sentence says what
        given = " ".join(f"--{OPTIONS[key]}={','.join(value)}" for key, value in filters.items() if value)
        raise click.ClickException(
            f"{given}: {reason} (pipeline {', '.join(names)}); `kedro registry describe {names[0]}` "
            "lists its nodes.") from None


def _run(**kwargs: Any) -> Any:
    _check_runner(kwargs["runner"], kwargs["is_async"], kwargs["runner_params"] or {})
    _check_selection(kwargs["pipeline"], kwargs["pipelines"], tags=kwargs["tags"],
                     node_names=kwargs["node_names"], from_nodes=kwargs["from_nodes"],
                     to_nodes=kwargs["to_nodes"], from_inputs=kwargs["from_inputs"],
                     to_outputs=kwargs["to_outputs"], node_namespaces=kwargs["namespaces"])
    # SIGTERM (a scheduler stopping a pod, `kill`) ends the run as Ctrl-C does.
    signal.signal(signal.SIGINT, _Interrupted.handler)
    signal.signal(signal.SIGTERM, _Interrupted.handler)
    try:
        result = kedro_run.callback(**kwargs)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    except Exception as error:
        if _Interrupted.signalled:
            _end_interrupted()
        if line := _one_line(error):
            raise click.ClickException(line) from None
        raise
    except KeyboardInterrupt:
        _end_interrupted()
    if _is_the_kedro_command():
        _exit_now()
    return result


def _one_line(error: BaseException) -> str | None:
    """The one line for a mistake the user fixes, found in the chain of errors Kedro wraps it in
    (a dataset that fails to load wraps ours in a DatasetError)."""
    while error is not None:
        if isinstance(error, UserError):
            return str(error)
        if isinstance(error, ImportError) and str(error).startswith("Install "):  # fsspec's
            return (f"{error} (the file system of data_root or csv_path; for s3:// make install "
                    'EXTRAS="s3 test", docs/data.md).')
        if isinstance(error, MissingConfigException):
            return (f"{error}: run from the project folder, or give the packaged configuration, "
                    "--conf-source=conf-dl_pipelines.tar.gz (docs/deployment.md).")
        error = error.__cause__ or error.__context__
    return None


def _end_interrupted() -> None:
    # Kedro's hooks see only exceptions, and MLflow's exit handler would record FINISHED; a run
    # that Kedro already closed as FAILED because of the interrupt is KILLED too.
    # Imported here: Keras and MLflow load in settings.py, under core.startup.long_lived_imports.
    from dl_pipelines.core.callbacks import kept_backups

    ended = end_runs_of_this_process("KILLED", including_failed=True)
    if epochs := kept_backups():
        resume = (f"a training checkpoint (after epoch {epochs[-1]}) is kept and the same command "
                  "resumes from it.")
    else:  # interrupted before the first backup (run.checkpoint_every), or after the training
        resume = "no training checkpoint is kept, so the same command trains from the start."
    click.echo(f"Interrupted: MLflow run(s) {', '.join(ended) or '-'} recorded as KILLED; {resume}",
               err=True)
    sys.exit(130)


def _is_the_kedro_command() -> bool:
    """True in a ``kedro`` (or ``python -m kedro``) process, not when a program runs the
    command in its own process (a test's CliRunner) nor under a profiler or coverage, which
    write their results at the interpreter's exit."""
    program = Path(sys.argv[0])
    watched = sys.getprofile() is not None or sys.gettrace() is not None
    return (program.name == "kedro" or program.parent.name == "kedro") and not watched


def _exit_now() -> None:
    """End the process once the run is finished and recorded, without the interpreter's final
    teardown: TensorFlow spends 1.5-3 s destroying its thread pools and graphs there, a fifth of
    a short run. The exit handlers (logging, MLflow) still run first."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# A module attribute too: `dl-pipelines` and `python -m dl_pipelines` (__main__.py, Kedro's
# packaged-project entry point) run the project's `run`, found by Kedro's find_run_command.
run = click.Command(name="run", callback=_run, params=kedro_run.params, help=kedro_run.help,
                    short_help=kedro_run.short_help)
cli.add_command(run)
