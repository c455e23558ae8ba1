"""What every study section of the findings takes and gives.

A study module (``pallais``, ``vanderijt``, ...) turns a :class:`StudyInput` (its experiment
and sweep folder, immutable) into a :class:`Section`: the Markdown text, the figures it links
to, and its rows of the summary table. Nothing is shared between sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from marketplace_sim.errors import MarketplaceSimError

IMG = Path("img") / "findings"  # the figures, relative to the page


class FindingsError(MarketplaceSimError, RuntimeError):
    """Runs of an experiment failed: the page is not written (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(None, None, message)


@dataclass(frozen=True)
class StudyInput:
    """One study's experiment and its finished sweep.

    Attributes:
        key: the study (``pallais``, ``sixfactors`` ...).
        experiment: the loaded experiment (:class:`marketplace_sim.experiments.sweep.Experiment`).
        folder: its sweep folder.
        seconds: wall time of the sweep in this invocation (quoted in the page).
    """

    key: str
    experiment: Any
    folder: Path
    seconds: float


@dataclass(frozen=True)
class SummaryRow:
    """One row of the page's summary table.

    Attributes:
        study: the result (study and what it is about).
        theirs: the paper's number (or range), in words.
        ours: the model's mean and 95 % interval across replicates.
        direction: the verdict (:func:`~marketplace_sim.reports.findings.format.judge`).
        measure: what is compared (the same measure on both sides).
        key: a stable name for the row in ``findings-numbers.json`` (``study.measure``).
    """

    study: str
    theirs: str
    ours: str
    direction: str
    measure: str = ""
    key: str = ""

    def cells(self) -> list[str]:
        """The row's cells, in table order."""
        return [self.study, self.measure, self.theirs, self.ours, self.direction]


@dataclass(frozen=True)
class Section:
    """A written section: its Markdown, its figures (file name, figure) and summary rows."""

    text: str
    figures: tuple[tuple[str, Figure], ...]
    summary: tuple[SummaryRow, ...]
