"""The language-model app ``language_model``: word- and character-level recurrent language models
and the text they write."""

from dl_pipelines.pipelines.language_model.pipeline import create_pipelines
from dl_pipelines.pipelines.language_model.settings import LanguageModelSettings as Settings

__all__ = ["Settings", "create_pipelines"]
