"""Shared fixtures: a throw-away copy of the project, a temporary MLflow store, a local mirror."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The real datasets the tests serve as a local mirror; tests that need one skip without it.
SHARED_DATASETS = Path(os.environ.get("DL_PIPELINES_TEST_DATASETS",
                                      PROJECT_ROOT.parent / "shared" / "datasets"))


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh sqlite MLflow store for the test, set as MLFLOW_TRACKING_URI."""
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    # The experiment an earlier test made active is not in this store: mlflow.set_experiment
    # keeps it in a module global and in MLFLOW_EXPERIMENT_ID, and has no public way to unset.
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    yield uri
    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_uri: str) -> Path:
    """A copy of the project's configuration and notebooks with an empty data/ folder, made the
    working directory, so a pipeline run never writes into the real data/."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("conf", "notebooks"):
        shutil.copytree(PROJECT_ROOT / name, root / name,
                        ignore=shutil.ignore_patterns("local", ".ipynb_checkpoints"))
    (root / "conf" / "local").mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    (root / "src").mkdir()  # the package itself is imported from its installation
    (root / "data").mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("DL_PIPELINES_DATA_MIRROR", raising=False)
    monkeypatch.delenv("DL_PIPELINES_TRUST_MIRROR_CHECKSUMS", raising=False)
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def http_mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a temporary folder; yields (base URL, folder)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def write_sha256sums(folder: Path) -> None:
    """Write folder/SHA256SUMS for every file in folder, in the sha256sum format."""
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}"
             for path in sorted(folder.iterdir()) if path.is_file() and path.name != "SHA256SUMS"]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


@pytest.fixture
def shared_mnist() -> Path:
    """The real MNIST IDX files of ../shared/datasets (skips when that folder is absent)."""
    folder = SHARED_DATASETS / "mnist"
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("../shared/datasets/mnist is not available")
    return folder


@pytest.fixture
def mnist_mirror(http_mirror: tuple[str, Path], shared_mnist: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A local HTTP mirror of the real MNIST files (symlinked, never copied into the repo), with
    a SHA256SUMS: two of the shared files were re-gzipped, so their bytes differ from the
    publisher's checksums while their content is the same; the tests trust the mirror's checksums
    explicitly, as a user of such a mirror has to."""
    monkeypatch.setenv("DL_PIPELINES_TRUST_MIRROR_CHECKSUMS", "1")
    url, folder = http_mirror
    (folder / "mnist").mkdir()
    for path in shared_mnist.glob("*.gz"):
        (folder / "mnist" / path.name).symlink_to(path)
    write_sha256sums(folder / "mnist")
    return url
