"""The benchmark scripts' bookkeeping, which keeps the documented figures true: the results file
keeps each benchmark's section, the figures table flags what moved or missed its target, and the
forecast screens count and gate as the docs say. (The measurements themselves run only in
``benchmarks/run.py``: they take minutes to hours.)"""

import ast
import importlib
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT


@pytest.fixture
def benchmark(monkeypatch: pytest.MonkeyPatch):
    """A benchmark script as a module: they import each other from their own folder."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "benchmarks"))
    return importlib.import_module


def test_a_benchmark_replaces_its_own_section_of_the_results_and_keeps_the_others(tmp_path, benchmark):
    run: ModuleType = benchmark("run")
    results = tmp_path / "docs" / "results.md"
    run.write_section(results, "serving", "serving, first")
    run.write_section(results, "fixed-cost", "fixed cost")
    run.write_section(results, "serving", "serving, again")
    text = results.read_text()
    assert text.startswith(run.HEADER)
    assert "serving, again" in text and "serving, first" not in text and "fixed cost" in text
    assert text.index("<!-- fixed-cost -->") < text.index("<!-- serving -->")  # run.SECTIONS' order


def test_every_app_of_pipeline_vs_plain_has_a_plain_twin_that_imports_nothing_from_the_project(benchmark):
    plain, common, run = benchmark("pipeline_vs_plain"), benchmark("common"), benchmark("run")
    assert plain.APPS[:len(common.APPS)] == common.APPS  # fixed_cost.py's apps come first
    for app in plain.APPS:
        tree = ast.parse((PROJECT_ROOT / "benchmarks" / "plain" / f"{app}.py").read_text())
        nodes = list(ast.walk(tree))
        modules = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}
        assert not [module for module in modules if module.split(".")[0] == "dl_pipelines"], app
    with pytest.raises(SystemExit):  # fixed-cost has none of these apps to time
        run.main(["--only", "fixed-cost", "--apps", "classification"])


def test_the_figures_table_reads_back_and_flags_what_moved_or_missed_its_target(tmp_path, benchmark):
    run, figures = benchmark("run"), benchmark("figures")
    fast, digits = figures.BY_NAME["cnn-mnist_fast"], figures.BY_NAME["cnn-digits"]
    assert fast.target == 0.99
    measured = [{"figure": fast, "wall_s": 60.0, "train_s": 44.0, "test_accuracy": 0.992}]
    results = tmp_path / "results.md"
    run.write_section(results, "figures", figures.table(measured, []))
    before = figures.recorded(results)
    assert figures.values_of(before) == {("cnn-mnist_fast", "test_accuracy"): "0.992"}
    assert figures.moved(measured, before) == [] and figures.missed(measured) == []

    slipped = [{**measured[0], "test_accuracy": 0.9891}]
    assert figures.moved(slipped, before) == ["cnn-mnist_fast test_accuracy: 0.992 -> 0.9891"]
    assert figures.missed(slipped) == ["cnn-mnist_fast: test_accuracy 0.9891 < 0.99"]
    assert "| 0.9891 | >= 0.99 | **0.992** |" in figures.table(slipped, before)

    # Re-measuring another figure keeps this one's row as it was recorded.
    other = [{"figure": digits, "wall_s": 20.0, "train_s": 5.0, "test_accuracy": 0.98}]
    assert before[0].group(0) in figures.table(other, before).splitlines()


def test_the_start_screen_counts_a_tie_with_seasonal_naive_as_not_lost(benchmark):
    starts = benchmark("forecast_starts")
    rows = {"tie -20%": {"persistence": 1.0, "seasonal naive": 0.5, "ridge": 0.5},
            "lost -30%": {"persistence": 0.8, "seasonal naive": 0.9, "ridge": 0.85}}
    # Geometric mean of ridge / seasonal naive: sqrt(1 * 0.85 / 0.9) = 0.972.
    assert "| ridge | 1 of 2 | 0.972 | lost -30% |" in starts.summary(rows, ["ridge"])


def _windows(series: np.ndarray, steps: int = 20) -> tuple[np.ndarray, np.ndarray]:
    return np.stack([series[i - steps:i] for i in range(steps, len(series))]), series[steps:]


def test_the_significance_gated_start_is_none_for_noise_and_the_ridge_for_predictable_changes(benchmark):
    starts = benchmark("forecast_starts")
    shocks = np.random.default_rng(0).normal(size=400)
    assert not starts._ridge_if_significant(*_windows(shocks)).any()
    autoregressive = np.zeros(400)
    for t in range(1, 400):
        autoregressive[t] = 0.8 * autoregressive[t - 1] + shocks[t]
    weights = starts._ridge_if_significant(*_windows(autoregressive))
    assert weights[-1] == pytest.approx(0.8, abs=0.1) and np.abs(weights[:-1]).max() < 0.2


def test_a_rolling_origin_sees_the_series_without_its_last_rows(benchmark):
    panel = benchmark("forecast_panel")
    whole = pd.Series(np.arange(100.0), pd.date_range("2000-01-01", periods=100, freq="MS"))
    assert panel.without_last(whole, 0.3).equals(whole.iloc[:70])
    assert panel.without_last(whole, 0.0).equals(whole)
