"""Typed settings of the hopfield app (``conf/base/parameters_hopfield.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from dl_pipelines.core.settings import AppSettings, Count, PositiveNumber, Settings
from dl_pipelines.pipelines.hopfield.sources import LETTERS, bitmap_problem

# A share of the pixels: 0 (none flipped) to 1 (every pixel flipped) inclusive.
Share = Annotated[float, Field(strict=True, ge=0, le=1)]
# The recall figure draws one column per pattern; more than this no longer reads.
MOST_SHOWN = 20
Rule = Literal["hebbian", "storkey", "modern"]
Letter = Literal[tuple(LETTERS)]  # one of the drawn letters
Update = Literal["asynchronous", "synchronous"]


class DataSettings(Settings):
    """What to store. ``letters``: the drawn letters named here, then your own ``bitmaps``;
    ``random``: ``patterns`` random +-1 patterns of ``units`` units; ``digits`` / ``mnist``:
    ``patterns`` images (one per class first), a pixel on where it is above ``threshold``."""

    letters: list[Letter]
    bitmaps: dict[str, list[str]] = {}
    units: Count | None = None
    patterns: Count | None = None
    threshold: Annotated[float, Field(strict=True, gt=0, lt=1)] = 0.5

    @field_validator("bitmaps")
    @classmethod
    def _bitmaps_are_binary(cls, bitmaps: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, rows in bitmaps.items():
            if problem := bitmap_problem(rows, next(iter(LETTERS.values()))):
                raise ValueError(f"Parameter hopfield.data.bitmaps.{name} {problem}")
        return bitmaps


class ModelSettings(Settings):
    """``hebbian`` or ``storkey``: a classical network's weights; ``modern``: the patterns
    themselves, recalled by a softmax with inverse temperature ``beta``."""

    rule: Rule
    beta: PositiveNumber = 1.0


class RecallSettings(Settings):
    """Recall of every stored pattern from a copy with ``corruption`` of its pixels flipped;
    the classical networks update ``asynchronous``-ly or ``synchronous``-ly for at most
    ``max_steps`` steps (a step updates every unit once), the modern one ``modern_steps`` times."""

    corruption: Share = 0.1
    update: Update = "asynchronous"
    max_steps: Count = 20
    modern_steps: Count = 1


class EvaluationSettings(Settings):
    patterns_to_show: Annotated[int, Field(strict=True, ge=1)] = 10

    @field_validator("patterns_to_show")
    @classmethod
    def _fits_the_figure(cls, count: int) -> int:
        if count > MOST_SHOWN:
            raise ValueError(f"Parameter hopfield.evaluation.patterns_to_show={count} is more patterns than "
                             f"the recall figure can show; expected at most {MOST_SHOWN}")
        return count


class CapacitySettings(Settings):
    """``kedro run --pipelines=hopfield_capacity``: ``trials`` sets of random patterns of
    ``units`` units, stored at each load P / N of ``loads`` (hebbian, storkey) and
    ``modern_loads`` (modern), each recalled from a copy with ``corruption`` flipped."""

    units: Annotated[int, Field(strict=True, ge=2)] = 500
    loads: Annotated[list[PositiveNumber], Field(min_length=1)]
    modern_loads: Annotated[list[PositiveNumber], Field(min_length=1)]
    rules: Annotated[list[Rule], Field(min_length=1)] = ["hebbian", "storkey", "modern"]
    corruption: Share = 0.1
    update: Update = "asynchronous"
    max_steps: Count = 30
    beta: PositiveNumber = 0.1
    trials: Count = 3


class HopfieldSettings(AppSettings):
    dataset: Literal["letters", "random", "digits", "mnist"]
    data: DataSettings
    model: ModelSettings
    recall: RecallSettings
    evaluation: EvaluationSettings
    capacity: CapacitySettings

    @model_validator(mode="after")
    def _the_dataset_has_its_sizes(self) -> HopfieldSettings:
        needed = {"random": ("units", "patterns"), "digits": ("patterns",), "mnist": ("patterns",)}
        for name in needed.get(self.dataset, ()):
            if getattr(self.data, name) is None:
                raise ValueError(f"Parameter hopfield.data.{name} is not set; the {self.dataset} dataset "
                                 f"needs it (a whole number, e.g. --params hopfield.data.{name}=10)")
        if self.dataset == "letters" and not self.data.letters and not self.data.bitmaps:
            raise ValueError("Parameters hopfield.data.letters and hopfield.data.bitmaps are both empty; "
                             "name at least one letter or bitmap to store")
        return self
