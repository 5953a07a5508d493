"""Project command line: Kedro's commands, with ``kedro run`` reporting a user's mistake (a bad
parameter, a missing or corrupt data file) as one line instead of a traceback."""

from __future__ import annotations

import warnings
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run

from dl_pipelines.core.errors import UserError

# Set here, where the command line starts (settings.py is read later): MLflow asks for type hints
# on a pyfunc `predict` this project never defines (its models are Keras), and both `--pipeline`
# and `--pipelines` are supported spellings in this project (README, "Running the apps").
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method.*")
warnings.filterwarnings("ignore", message=".*Option '--pipeline' is deprecated.*")


@click.group(name="dl_pipelines")
def cli() -> None:
    """Commands of the dl_pipelines project."""


def _run(**kwargs: Any) -> Any:
    try:
        return kedro_run.callback(**kwargs)
    except UserError as error:
        raise click.ClickException(str(error)) from None


cli.add_command(click.Command(name="run", callback=_run, params=kedro_run.params,
                              help=kedro_run.help, short_help=kedro_run.short_help))
