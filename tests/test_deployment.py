"""Deployment: the GPU container (Dockerfile, checked statically: Docker does not run here), the
catalog's `data_root`, and the Airflow DAGs that kedro-airflow generates from the pipelines."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from packaging.requirements import Requirement

from dl_pipelines.pipeline_registry import register_pipelines
from tests.conftest import PROJECT_ROOT

DATA_ROOT = "${runtime_params:data_root, ${globals:data_root}}"
TEMPLATE = PROJECT_ROOT / "deploy" / "airflow" / "k8s_dag_template.j2"


# --- The Dockerfile and its build context -------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(word.upper(), rest.strip()) for word, _, rest in
            (line.strip().partition(" ") for line in joined.splitlines() if line.strip())]


def instructions(keyword: str) -> list[str]:
    return [args for word, args in dockerfile() if word == keyword]


def test_dockerfile_builds_on_the_tensorflow_gpu_image_of_the_project_range():
    steps = dockerfile()
    first_from = next(i for i, (word, _) in enumerate(steps) if word == "FROM")
    build_args = dict(args.split("=", 1) for word, args in steps[:first_from] if word == "ARG")
    assert len(instructions("FROM")) == 1
    image = re.sub(r"\$\{(\w+)\}", lambda m: build_args[m.group(1)], instructions("FROM")[0])
    match = re.fullmatch(r"tensorflow/tensorflow:(\d+\.\d+\.\d+)-gpu", image)
    assert match, image
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    tensorflow = next(Requirement(r) for r in project["dependencies"] if r.startswith("tensorflow"))
    assert tensorflow.specifier.contains(match.group(1)), (image, str(tensorflow))


def test_dockerfile_installs_the_project_over_the_image_tensorflow():
    copies = instructions("COPY")
    assert "pyproject.toml README.md ./" in copies  # README.md: pyproject.toml's `readme`
    assert "src ./src" in copies and "conf ./conf" in copies
    runs = " ".join(instructions("RUN"))
    assert "print('tensorflow==' + version('tensorflow'))" in runs and "> /tmp/constraints.txt" in runs
    install = re.search(r"pip install --constraint /tmp/constraints.txt \"\.[^\"]*\"", runs)
    assert install, "the project is installed with the image's tensorflow pinned"
    assert "venv --system-site-packages" in runs
    assert instructions("WORKDIR") == ["/app"]


def test_dockerfile_runs_kedro_as_a_non_root_user_without_telemetry():
    env = " ".join(instructions("ENV"))
    assert re.search(r"\bKEDRO_DISABLE_TELEMETRY=true\b", env)
    assert "MLFLOW_TRACKING_URI" not in env  # left to `docker run -e`, else the hook's default
    (user,) = instructions("USER")
    build_args = dict(a.split("=", 1) for a in instructions("ARG") if "=" in a)
    assert build_args.get(user.strip("${}"), user) not in {"0", "root"}
    assert instructions("CMD") == ['["kedro", "run"]'] and not instructions("ENTRYPOINT")


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `path` out of the build context (last matching pattern wins; a pattern
    matching a parent folder matches the path; `**` spans folders)."""

    def regex(pattern: str) -> str:
        out = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            out += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        return out

    ignored = False
    parts = path.split("/")
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw.removeprefix("!").strip("/")
        if any(re.fullmatch(regex(pattern), "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def test_dockerignore_sends_the_package_and_conf_but_no_data_or_secrets():
    patterns = [line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for path in ("pyproject.toml", "README.md", "src/dl_pipelines/__init__.py",
                 "src/dl_pipelines/pipelines/cnn/pipeline.py", "conf/base/catalog.yml",
                 "conf/base/globals.yml", "conf/base/mlflow.yml"):
        assert not dockerignored(path, patterns), path
    for path in ("data/01_raw/mnist/train-images-idx3-ubyte.gz", "mlflow.db", "mlruns/0/meta.yaml",
                 ".venv/bin/python", ".git/HEAD", "conf/local/credentials.yml",
                 "conf/base/credentials.yml", "notebooks/cnn.ipynb", "tests/conftest.py",
                 "src/dl_pipelines/__pycache__/settings.cpython-311.pyc", "airflow_dags/x_dag.py"):
        assert dockerignored(path, patterns), path


# --- data_root ----------------------------------------------------------------------------------

def path_values(entry: Any) -> list[str]:
    """Every `filepath`/`path` value in a catalog entry, nested datasets included."""
    if not isinstance(entry, dict):
        return []
    found = [v for k, v in entry.items() if k in ("filepath", "path") and isinstance(v, str)]
    return found + [p for v in entry.values() for p in path_values(v)]


def test_every_catalog_path_starts_at_data_root_written_once():
    globals_ = yaml.safe_load((PROJECT_ROOT / "conf/base/globals.yml").read_text())
    assert globals_["data_root"] == "data"
    catalog = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())
    assert catalog["_root"] == DATA_ROOT
    # Every path but the user's own files (user_csv, user_text), wherever the user keeps them.
    user_files = ("user_csv", "user_text")
    paths = [path for name, entry in catalog.items() if not name.startswith("_") and name not in user_files
             for path in path_values(entry)]
    assert len(paths) > 30
    assert all(path.startswith("${_root}/") for path in paths), [p for p in paths if "${_root}/" not in p]
    # the run's working folders stay local: only the catalog follows data_root
    run = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters.yml").read_text())["run"]
    assert run["checkpoint_dir"] == "data/06_models/checkpoints"


def test_every_dataset_has_a_kedro_viz_layer(project):
    catalog = catalog_of(project)
    names = {name for pipeline in register_pipelines().values() for name in pipeline.datasets()
             if not name.startswith("params:") and name != "parameters"}
    layers = {name: (catalog.get(name).metadata or {}).get("kedro-viz", {}).get("layer")
              for name in names}
    assert not [name for name, layer in layers.items() if layer is None]
    assert set(layers.values()) == {"raw", "intermediate", "model_input", "models", "model_output",
                                    "reporting"}


def test_kedro_viz_orders_the_layers_of_every_pipeline(project):
    # Kedro-Viz shows no layers at all for a pipeline whose layers form a cycle through its
    # nodes or stage groups (e.g. an evaluation node that reads reporting and writes model_output).
    from kedro_viz.data_access.managers import DataAccessManager
    from kedro_viz.server import populate_data

    pipelines = register_pipelines()
    manager = DataAccessManager()
    populate_data(manager, catalog_of(project), pipelines, {})
    unordered = []
    for name in pipelines:
        manager.create_modular_pipelines_tree_for_registered_pipeline(name)  # as its API does
        if not manager.get_sorted_layers_for_registered_pipeline(name):
            unordered.append(name)
    assert not unordered
    assert manager.get_sorted_layers_for_registered_pipeline("__default__") == [
        "raw", "intermediate", "model_input", "models", "model_output", "reporting"]


def context_of(project: Path, **runtime_params: Any):
    """The KedroContext of the project copy, as `kedro run --params key=value,...` would build it."""
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime_params or None) as session:
        return session.load_context()


def catalog_of(project: Path, **runtime_params: Any):
    return context_of(project, **runtime_params).catalog


def test_data_root_defaults_to_the_project_data_folder(project):
    catalog = catalog_of(project)
    data = project / "data"
    cached = catalog.get("cnn.model_input")  # read once per run: a CachedDataset wrapping the file
    assert str(cached._dataset._filepath) == (data / "05_model_input/cnn/model_input.npz").as_posix()
    assert catalog.get("raw_files").load().root == str(data / "01_raw")
    model = catalog.get("cnn.model")._dataset._dataset  # the file inside the logged model
    assert str(model._filepath) == (data / "06_models/cnn/model.keras").as_posix()
    report = catalog.get("cnn.classification_report")  # a CSV file, also logged to MLflow
    assert report._filepath == (data / "08_reporting/cnn/classification_report.csv").as_posix()


def test_data_root_set_at_run_time_moves_every_dataset(project, tmp_path):
    shared = tmp_path / "shared"  # e.g. a volume mounted on every node
    catalog = catalog_of(project, data_root=str(shared))
    catalog.save("cnn.model_input", {"x_train": np.arange(3)})
    assert (shared / "05_model_input/cnn/model_input.npz").is_file()
    assert catalog.load("cnn.model_input")["x_train"].tolist() == [0, 1, 2]
    assert catalog.get("raw_files").load().root == str(shared / "01_raw")
    assert not (project / "data" / "05_model_input").exists()


def test_data_root_can_be_an_fsspec_url(project, tmp_path):
    for root in ("s3://bucket/dl", "s3://bucket/dl/"):  # a trailing slash made `dl//` keys
        s3 = catalog_of(project, data_root=root)
        model_input = s3.get("cnn.model_input")._dataset  # inside its CachedDataset
        assert model_input._protocol == "s3"
        assert str(model_input._filepath) == "bucket/dl/05_model_input/cnn/model_input.npz"
        assert s3.get("raw_files").load().root == "s3://bucket/dl/01_raw"
        figure = s3.get("regression.learning_curves_plot")._filepath  # a figure, also logged to MLflow
        assert figure == "s3://bucket/dl/08_reporting/regression/learning_curves.png"

    root = f"/{tmp_path.name}"
    catalog = catalog_of(project, data_root=f"memory://{root}")
    # CachedDataset > KerasModelDataset > ModelFileDataset > TensorFlowModelDataset
    assert catalog.get("cnn.model")._dataset._dataset._dataset._protocol == "memory"
    catalog.save("cnn.training_history", {"loss": [0.5]})
    memory = fsspec.filesystem("memory")
    try:
        assert memory.exists(f"{root}/06_models/cnn/history.json")
        assert catalog.load("cnn.training_history") == {"loss": [0.5]}
    finally:
        memory.rm(root, recursive=True)


def test_npz_datasets_follow_a_url_data_root(project, tmp_path):
    root = f"/{tmp_path.name}-npz"
    catalog = catalog_of(project, data_root=f"memory://{root}")
    memory = fsspec.filesystem("memory")
    try:
        catalog.save("cnn.model_input", {"x_train": np.arange(3)})
        assert memory.exists(f"{root}/05_model_input/cnn/model_input.npz")
        np.testing.assert_array_equal(catalog.load("cnn.model_input")["x_train"], np.arange(3))
    finally:
        if memory.exists(root):
            memory.rm(root, recursive=True)


# --- Airflow DAGs (kedro-airflow) ---------------------------------------------------------------

def airflow_create(project: Path, *options: str) -> None:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    done = subprocess.run([sys.executable, "-m", "kedro", "airflow", "create", *options], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def dag_tree(path: Path) -> ast.Module:
    source = path.read_text()
    compile(source, str(path), "exec")  # valid Python (Airflow itself is not installed here)
    return ast.parse(source)


def dag_tasks(tree: ast.Module) -> tuple[dict[str, ast.expr], set[tuple[str, str]]]:
    """The `tasks = {id: ...}` of a generated DAG and its `tasks[a] >> tasks[b]` edges."""
    tasks = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and [getattr(t, "id", None) for t in node.targets] == ["tasks"])
    edges = {(node.left.slice.value, node.right.slice.value) for node in ast.walk(tree)
             if isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift)}
    return {key.value: value for key, value in zip(tasks.keys, tasks.values, strict=True)}, edges


def constants(tree: ast.Module) -> dict[str, Any]:
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper() and isinstance(node.value, ast.Constant | ast.Dict)}


def test_kedro_airflow_default_dag_has_one_task_per_node_and_its_dependencies(project):
    from slugify import slugify

    airflow_create(project, "--pipelines=cnn", "--target-dir=airflow_dags")
    tasks, edges = dag_tasks(dag_tree(project / "airflow_dags/dl_pipelines_cnn_dag.py"))
    cnn = register_pipelines()["cnn"]
    assert set(tasks) == {slugify(node.name) for node in cnn.nodes}
    assert edges == {(slugify(parent.name), slugify(node.name))
                     for node, parents in cnn.node_dependencies.items() for parent in parents}
    assert ("cnn-ingestion-ingest-images", "cnn-preprocessing-split-images") in edges


def test_our_kubernetes_dag_has_one_gpu_aware_pod_per_stage(project):
    airflow_create(project, "--pipelines=cnn,gan", "--target-dir=airflow_dags", f"--jinja-file={TEMPLATE}",
                   "--params", "image=registry.example.org/dl-pipelines:1.0,"
                   "mlflow_tracking_uri=http://mlflow.example.org:5000")
    pipelines = register_pipelines()
    for app in ("cnn", "gan"):
        tree = dag_tree(project / f"airflow_dags/dl_pipelines_{app}_dag.py")
        tasks, edges = dag_tasks(tree)
        stages = {node.namespace for node in pipelines[app].nodes}
        assert set(tasks) == {stage.replace(".", "-") for stage in stages}
        for task_id, call in tasks.items():
            assert isinstance(call, ast.Call) and call.func.id == "kedro_task"
            assert [ast.literal_eval(arg) for arg in call.args] == [task_id, task_id.replace("-", "_")]
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
            stage = task_id.replace("-", ".")
            assert keywords["nodes"] == [n.name for n in pipelines[app].nodes if n.namespace == stage]
            assert keywords["gpu"] == stage.endswith(".training")
        assert edges == {(parent.namespace.replace(".", "-"), node.namespace.replace(".", "-"))
                         for node, parents in pipelines[app].node_dependencies.items()
                         for parent in parents if parent.namespace != node.namespace}
        settings = constants(tree)
        assert settings["IMAGE"] == "registry.example.org/dl-pipelines:1.0"
        assert settings["ENV_VARS"] == {"MLFLOW_TRACKING_URI": "http://mlflow.example.org:5000"}
        assert settings["DATA_ROOT"] == settings["DATA_MOUNT_PATH"] == "/mnt/dl-data"
        (dag,) = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "DAG"]
        assert next(k.value.value for k in dag.keywords if k.arg == "dag_id") == f"dl-pipelines-{app}"
    assert ("cnn-ingestion", "cnn-preprocessing") in dag_tasks(
        dag_tree(project / "airflow_dags/dl_pipelines_cnn_dag.py"))[1]


def test_every_namespace_is_a_registered_stage_pipeline():
    """The template runs the stage `<app>.<stage>` as the registered pipeline `<app>_<stage>`."""
    pipelines = register_pipelines()
    for name, pipeline in pipelines.items():
        for node in pipeline.nodes:
            assert node.namespace, node.name
            stage = pipelines.get(node.namespace.replace(".", "_"))
            assert stage is not None and node in stage.nodes, (name, node.name)


def test_the_airflow_plugin_is_an_optional_and_a_test_dependency():
    extras = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra in ("airflow", "test"):
        assert any(Requirement(r).name == "kedro-airflow" for r in extras[extra]), extra
