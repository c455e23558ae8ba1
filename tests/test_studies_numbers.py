"""One set of numbers: every document that quotes a headline number of the findings quotes
what ``docs/findings-numbers.json`` (written with docs/findings.md) says, and the documents
of the studies carry no stale variant of a paper's figure."""

from pathlib import Path

import pytest

from marketplace_sim.reports.findings.numbers import (
    FILE,
    check_quotes,
    read_numbers,
    stale_quotes,
)

ROOT = Path(__file__).resolve().parents[1]
NUMBERS = ROOT / "docs" / FILE
#: Every document that may quote the findings.
QUOTING = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "marketplace_sim" / "data" / "experiments").glob("*.md"),
    ]
)
#: The studies' own documents (this task's), which must not carry a stale variant.
STUDY_DOCS = [
    ROOT / "docs" / "findings.md",
    *(
        ROOT / "marketplace_sim" / "data" / "experiments" / f"{n}.md"
        for n in (
            "pallais-first-job",
            "vanderijt-early-boost",
            "vanderijt-late-boost",
            "salganik-worlds",
            "filippas-inflation",
            "lukac-grow",
            "six-factors",
            "six-factors-profiles",
        )
    ),
]


def test_the_numbers_file_is_the_full_findings():
    """The committed numbers come from a full run (not quick mode) and hold every study."""
    doc = read_numbers(NUMBERS)
    assert doc["quick"] is False
    studies = {k.split(".")[1] for k in doc["model"]}
    assert {"pallais", "vanderijt", "salganik", "filippas", "lukacgrow", "sixfactors"} <= studies


@pytest.mark.parametrize("path", QUOTING, ids=lambda p: p.name)
def test_every_marked_quote_matches_the_numbers(path):
    assert check_quotes(path.read_text(encoding="utf-8"), read_numbers(NUMBERS)) == []


def test_the_study_documents_quote_the_numbers_and_nothing_stale():
    """Each study's experiment page quotes at least one number, and none a stale figure
    (findings.md writes its numbers, and six-factors-profiles.md defers to six-factors.md)."""
    for path in STUDY_DOCS:
        text = path.read_text(encoding="utf-8")
        assert stale_quotes(text) == [], path.name
        if path.name not in ("findings.md", "six-factors-profiles.md"):
            assert "<!-- n:" in text, path.name
