"""The module shape every app keeps (CONTRIBUTING.md): thin nodes, no app importing another."""

import re

from dl_pipelines.pipeline_registry import APPS
from tests.conftest import PROJECT_ROOT

PIPELINES = PROJECT_ROOT / "src" / "dl_pipelines" / "pipelines"


def test_nodes_stay_thin_and_no_app_imports_another():
    apps = sorted(path.parent.name for path in PIPELINES.glob("*/nodes.py"))
    assert len(apps) >= 6
    for app in apps:
        assert len((PIPELINES / app / "nodes.py").read_text().splitlines()) <= 250, app
        for module in (PIPELINES / app).glob("*.py"):
            imported = set(re.findall(r"dl_pipelines\.pipelines\.(\w+)", module.read_text()))
            assert imported <= {app}, f"{module} imports {imported - {app}}"


# CONTRIBUTING.md, "The shape of an app": one module per kind of code, named for it.
APP_MODULES = {"__init__", "settings", "pipeline", "nodes", "models", "inference", "sources", "transforms",
               "metrics", "figures", "baselines", "served_model", "serving"}


def test_every_app_names_its_modules_for_what_they_hold():
    for app in sorted(path.name for path in PIPELINES.iterdir() if (path / "pipeline.py").is_file()):
        modules = {module.stem for module in (PIPELINES / app).glob("*.py")}
        assert {"__init__", "settings", "pipeline", "nodes"} <= modules, app
        assert modules <= APP_MODULES, f"{app}: {sorted(modules - APP_MODULES)} (CONTRIBUTING.md)"


def test_the_catalog_stays_short():
    # Repeated shapes are dataset factories or YAML anchors: 552 lines for six apps before they were
    # (#17), 226 for seven after, besides the raw files' pinned sources (one line per published
    # file, not a shape). A later app brings only what no factory names (its served model, its own
    # artifacts): at most 12 lines.
    lines = [line for path in (PROJECT_ROOT / "conf").rglob("catalog*.yml")
             for line in _outside_raw_file_sources(path.read_text().splitlines())]
    assert len(lines) <= 226 + 12 * (len(APPS) - 7)


def _outside_raw_file_sources(lines: list[str]) -> list[str]:
    inside = False
    kept = []
    for line in lines:
        if line and not line[0].isspace():
            inside = line.startswith("raw_files:")
        if not inside:
            kept.append(line)
    return kept
