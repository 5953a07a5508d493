"""The classification app's inference: the last trained model classifies the rows of new files."""

from __future__ import annotations

import keras
import pandas as pd
from fsspec.core import OpenFile
from sklearn.compose import ColumnTransformer

from dl_pipelines.core.table_serving import class_probabilities, network_outputs
from dl_pipelines.core.tables import score_files


def classify_new_rows(new_inputs: list[OpenFile], model: keras.Model, transform: ColumnTransformer,
                      class_names: list[str]) -> pd.DataFrame:
    """Classify every row of the user's CSV files (``classification.new_inputs``), rows with the
    training data's feature columns (others are kept and ignored).

    Returns:
        The rows of every file, in name order, with ``file`` first, then ``predicted_class`` and
        ``probability_<class>`` of every class last.
    """
    def classify(rows: pd.DataFrame) -> pd.DataFrame:
        probabilities = class_probabilities(network_outputs(model, transform, rows))
        scores = pd.DataFrame(probabilities.round(6), columns=[f"probability_{name}" for name in class_names])
        return scores.assign(predicted_class=[class_names[i] for i in probabilities.argmax(axis=1)])[
            ["predicted_class", *scores.columns]]

    return score_files(new_inputs, transform, "classification", classify)
