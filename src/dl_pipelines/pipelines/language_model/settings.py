"""Typed settings of the language_model app (``conf/base/parameters_language_model.yml``).

What needs no file is checked here, before any work; what needs the user's text (that it is
UTF-8, not empty and longer than one training window) is checked by the ingestion node, which
reads the file anyway.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dl_pipelines.core.settings import (
    AppSettings,
    Count,
    DropoutRate,
    Flag,
    Fraction,
    NonNegativeNumber,
    PositiveNumber,
    Settings,
    StandardTraining,
    WholeNumber,
)
from dl_pipelines.core.sweep import check_grid

Dataset = Literal["shakespeare_excerpt", "tiny_shakespeare", "ptb", "text"]
Cell = Literal["lstm", "gru"]


class PreprocessingSettings(Settings):
    """``level``: words (split on white space) or characters. ``batching``: ``stream`` cuts the
    training text into ``batch_size`` contiguous streams read ``steps`` tokens at a time, the
    state carried from one window to the next (Zaremba et al.); ``windows`` cuts it into
    independent windows of ``steps`` tokens, shuffled. ``validation_fraction``: the last part of
    a text without a published split (ptb has one)."""

    level: Literal["word", "char"]
    batching: Literal["stream", "windows"]
    steps: Count
    validation_fraction: Fraction = 0.1
    max_vocabulary: Count | None = None   # words: the most frequent, the others read as <unk>
    max_tokens: Count | None = None       # a quick trial: only the first tokens of each part


class NetworkSettings(Settings):
    cell: Cell
    embedding_size: Count
    units: Count
    layers: Count
    dropout: DropoutRate = 0.0
    init_scale: NonNegativeNumber = 0.0   # weights uniform in [-s, s] (Zaremba et al.); 0: Keras' defaults
    unroll: Flag = False                  # the time loop unrolled: faster on CPUs for short windows


class LanguageModelTraining(StandardTraining):
    """The course's optimisers plus the paper's schedule: ``learning_rate_decay: step`` keeps the
    rate for ``decay_after_epochs`` epochs, then multiplies it by ``decay_factor`` every epoch;
    ``clip_norm`` clips the global norm of the gradients. ``window_loss: sum`` is the paper's loss:
    summed over a window's steps (averaged over the batch), so its gradients are ``steps`` times
    those of the mean per token that Keras reports."""

    learning_rate_decay: Literal["none", "cosine", "step"] = "none"
    decay_after_epochs: WholeNumber = 0
    decay_factor: Fraction = 0.5
    clip_norm: PositiveNumber | None = None
    window_loss: Literal["mean", "sum"] = "mean"


class BaselineSettings(Settings):
    """The interpolated Kneser-Ney n-gram model scored on the same split."""

    order: Annotated[int, Field(strict=True, ge=1, le=8)]
    discount: Fraction | None = None      # null: each order's n1 / (n1 + 2 n2) (Ney et al.)


class GenerationSettings(Settings):
    prompt: str
    length: Count                          # tokens (words or characters) generated per sample
    temperatures: Annotated[list[PositiveNumber], Field(min_length=1)]
    seed: WholeNumber = 0


class LanguageModelSettings(AppSettings):
    dataset: Dataset
    preprocessing: PreprocessingSettings
    model: NetworkSettings
    training: LanguageModelTraining
    baseline: BaselineSettings
    generation: GenerationSettings

    @model_validator(mode="after")
    def _consistent(self) -> LanguageModelSettings:
        if self.sweep is not None:
            check_grid(self.sweep.grid, {"model": self.model, "training": self.training},
                       "language_model.sweep")
        return self
