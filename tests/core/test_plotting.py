import numpy as np
import pandas as pd

from dl_pipelines.core import plotting


def test_learning_curves_one_panel_per_metric_with_train_and_val():
    fig = plotting.learning_curves({"loss": [2, 1], "val_loss": [2.5, 1.5], "accuracy": [0.5, 0.7],
                                    "val_accuracy": [0.4, 0.6]})
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]


def test_confusion_matrix_writes_counts():
    fig = plotting.confusion_matrix_figure(np.array([[3, 1], [0, 4]]), ["a", "b"])
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"3", "1", "0", "4"} <= texts


def test_image_grid_captions_and_empty_case():
    fig = plotting.image_grid(np.zeros((3, 8, 8, 1)), ["x", "y", "z"], ncols=2)
    captions = [[t.get_text() for t in ax.get_xticklabels()] for ax in fig.axes]
    assert captions == [["x", "y"], ["z"]]  # two rows, each one picture
    assert plotting.image_grid(np.zeros((0, 8, 8, 1)), []).axes[0].texts


def test_heatmap_shows_each_value():
    table = pd.DataFrame([[0.1, 0.2], [0.3, 0.4]], index=pd.Index([1, 2], name="lr"),
                         columns=pd.Index([0, 1], name="l2"))
    fig = plotting.heatmap(table, "t")
    assert {t.get_text() for t in fig.axes[0].texts} == {"0.100", "0.200", "0.300", "0.400"}
    assert fig.axes[0].get_xlabel() == "l2"
