"""The module shape every app keeps (CONTRIBUTING.md): thin nodes, no app importing another."""

import re

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


def test_the_catalog_stays_short():
    # Repeated shapes are dataset factories or YAML anchors; 552 lines before they were (#17).
    # 276 before language_model (#19), whose new lines are no repeated shape: the pinned sources of
    # four raw files (9 lines), its vocabulary, served model and text file, and a text factory.
    lines = sum(len(path.read_text().splitlines()) for path in (PROJECT_ROOT / "conf").rglob("catalog*.yml"))
    assert lines < 298
