"""The regression app's inference: the last trained model predicts the target of new rows."""

from __future__ import annotations

import keras
import pandas as pd
from fsspec.core import OpenFile
from sklearn.compose import ColumnTransformer

from dl_pipelines.core.table_serving import network_outputs
from dl_pipelines.core.tables import score_files


def predict_new_rows(new_inputs: list[OpenFile], model: keras.Model, transform: ColumnTransformer
                     ) -> pd.DataFrame:
    """Predict the target of every row of the user's CSV files (``regression.new_inputs``), rows
    with the training data's feature columns (others are kept and ignored).

    Returns:
        The rows of every file, in name order, with ``file`` first and ``prediction`` last.
    """
    def predict(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"prediction": network_outputs(model, transform, rows).reshape(-1)})

    return score_files(new_inputs, transform, "regression", predict)
