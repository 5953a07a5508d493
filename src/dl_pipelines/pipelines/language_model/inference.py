"""The language_model app's inference: the last trained model continues the prompts of the user's
text files, one prompt per line."""

from __future__ import annotations

import logging
from typing import Any

import keras
import pandas as pd
from fsspec.core import OpenFile

from dl_pipelines.core.errors import ConfigurationError
from dl_pipelines.core.user_files import file_name, inputs_folder
from dl_pipelines.pipelines.language_model.models import streaming_model
from dl_pipelines.pipelines.language_model.served_model import generate
from dl_pipelines.pipelines.language_model.settings import GenerationSettings
from dl_pipelines.pipelines.language_model.sources import decoded

logger = logging.getLogger(__name__)


def continue_prompts(new_inputs: list[OpenFile], model: keras.Model, vocabulary: dict[str, Any],
                     generation: GenerationSettings) -> pd.DataFrame:
    """Generate ``generation.length`` tokens after every non-empty line of each file in
    ``language_model.new_inputs`` (``data/01_raw/inference/language_model/``), at each of
    ``generation.temperatures``.

    Returns:
        One row per file, prompt and temperature: ``file``, ``prompt``, ``temperature``, ``text``.
    """
    if not new_inputs:
        raise ConfigurationError(f"No files in {inputs_folder('language_model')}; put a UTF-8 text "
                                 "file there, one prompt per line.")
    stream = streaming_model(model)
    rows = []
    for file in new_inputs:
        with file as handle:
            text = decoded(handle.read(), file_name(file))
        for prompt in (line.strip() for line in text.splitlines()):
            for temperature in generation.temperatures if prompt else []:
                text = generate(stream, vocabulary["tokens"], vocabulary["level"], prompt, generation.length,
                                temperature, generation.seed)
                rows.append({"file": file_name(file).rsplit("/", 1)[-1], "prompt": prompt,
                             "temperature": temperature, "text": text})
    logger.info("Continued %d prompt(s) of %d file(s)", len(rows) // len(generation.temperatures),
                len(new_inputs))
    return pd.DataFrame(rows, columns=["file", "prompt", "temperature", "text"])
