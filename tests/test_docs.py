"""The manuals' links lead somewhere: every relative link of README.md, CONTRIBUTING.md and docs/
names a file that exists and, with ``#anchor``, a heading of that file (as GitHub names them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANUALS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(manual: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation but hyphens dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", manual.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def broken_links(manual: Path) -> list[str]:
    broken = []
    for link in LINK.findall(manual.read_text()):
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = (manual.parent / target).resolve() if target else manual
        if not path.exists():
            broken.append(f"{link}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{link}: no heading #{anchor} in {path.name}")
    return broken


@pytest.mark.parametrize("manual", MANUALS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading(manual):
    assert broken_links(manual) == []


def test_a_missing_file_or_heading_is_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Forecast panel\n")
    manual = tmp_path / "manual.md"
    manual.write_text("[a](other.md#forecast-panel) [b](other.md#forecast-origins) [c](gone.md) "
                      "[d](https://example.org/x.md)\n")
    assert broken_links(manual) == ["other.md#forecast-origins: no heading #forecast-origins in other.md",
                                    "gone.md: no such file"]
