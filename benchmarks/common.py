"""What every benchmark needs: a throw-away copy of the project, a measured child process, the
pipeline's figures from its MLflow run, and the line that says which machine and versions."""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
APPS = ["cnn", "regression", "lstm", "rbm", "autoencoder", "gan"]
QUIET_ENV = {"KEDRO_DISABLE_TELEMETRY": "true", "TF_CPP_MIN_LOG_LEVEL": "2"}


@dataclass
class Measured:
    """A finished child process: wall seconds, peak resident memory (MB) and its stdout."""

    seconds: float
    peak_mb: float
    stdout: str


@functools.cache
def empty_mlflow_store() -> Path:
    """An MLflow sqlite database with its tables: what a project has after its first run
    (creating the tables costs ~2 s, once per project)."""
    import mlflow

    path = Path(tempfile.mkdtemp(prefix="dl_pipelines_bench_store_")) / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@contextmanager
def project_copy(source: Path = PROJECT) -> Iterator[Path]:
    """conf/ and pyproject.toml of the project (or of another checkout of it) in a temporary
    folder, with an empty data/ folder and its own (empty) MLflow store: a run there writes
    nothing into the project."""
    with tempfile.TemporaryDirectory(prefix="dl_pipelines_bench_") as folder:
        root = Path(folder)
        shutil.copy(empty_mlflow_store(), root / "mlflow.db")
        shutil.copytree(source / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
        (root / "conf" / "local").mkdir()
        shutil.copy(source / "pyproject.toml", root)
        (root / "src").mkdir()  # the package is imported from its installation
        (root / "data").mkdir()
        yield root


def run_measured(command: list[str], cwd: Path, env: dict[str, str] | None = None, *,
                 echo: bool = False) -> Measured:
    """Run ``command`` to completion, its output also on stderr with ``echo`` (progress of long
    runs); stop with its last output lines if it fails."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env={**os.environ, **QUIET_ENV, **(env or {})},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in child.stdout:
        lines.append(line)
        if echo:
            sys.stderr.write(line)
    stdout = "".join(lines)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"`{' '.join(command)}` failed in {cwd}:\n{stdout[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024, stdout)  # Linux reports kilobytes


def kedro_run(root: Path, pipeline: str, params: str, *, echo: bool = False, package: Path | None = None
              ) -> tuple[Measured, dict[str, list[float]]]:
    """``kedro run --pipelines=<pipeline> --params <params>`` in the copy at ``root``; returns
    the measurement and the run's MLflow metrics (every logged value of each key, by step).
    ``package``: the ``src`` folder to import ``dl_pipelines`` from instead of the installed one."""
    import mlflow

    uri = f"sqlite:///{root / 'mlflow.db'}"
    command = [sys.executable, "-m", "kedro", "run", f"--pipelines={pipeline}", "--params", params]
    env = {"MLFLOW_TRACKING_URI": uri, **({"PYTHONPATH": str(package)} if package else {})}
    measured = run_measured(command, root, env, echo=echo)
    client = mlflow.MlflowClient(tracking_uri=uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    (run,) = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    metrics = {key: [m.value for m in sorted(client.get_metric_history(run.info.run_id, key),
                                             key=lambda m: m.step)]
               for key in run.data.metrics}
    return measured, metrics


def steady_throughput(samples: int, epoch_seconds: list[float]) -> float:
    """Training samples per second over the epochs after the first (which traces the graph)."""
    later = epoch_seconds[1:] or epoch_seconds
    return samples * len(later) / sum(later)


def machine_line(runs: int | None) -> str:
    """Which machine and versions the figures come from (and the runs behind each median)."""
    import kedro
    import keras
    import mlflow
    import tensorflow as tf

    return (f"{platform.node()}: {os.cpu_count()} CPU cores, {cpu_model()}, "
            f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"Kedro {kedro.__version__}, MLflow {mlflow.__version__}"
            + (f"; median of {runs} run(s)" if runs else ""))


def cpu_model() -> str:
    """The processor's model name where Linux tells it (floating-point results, so the last digits
    of a figure, can differ between processors), else its architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return f"{names[0]} ({platform.machine()})" if names else platform.processor() or platform.machine()


def progress(message: str) -> None:
    """One line on stderr, so the tables on stdout stay clean."""
    print(message, file=sys.stderr, flush=True)
