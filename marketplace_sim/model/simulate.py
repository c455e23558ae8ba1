"""The one run loop: every caller (run folders, sweep workers, calibration, fitting) uses it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from marketplace_sim.config import Config
from marketplace_sim.model.marketplace import MarketplaceModel


@dataclass(frozen=True)
class RunTables:
    """The tidy tables of one finished run."""

    steps: pd.DataFrame
    freelancers: pd.DataFrame
    contracts: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        """``(name, frame)`` pairs in file order: steps, freelancers, contracts."""
        return [
            ("steps", self.steps),
            ("freelancers", self.freelancers),
            ("contracts", self.contracts),
        ]


def simulate(cfg: Config, progress: Callable[[int], None] | None = None) -> MarketplaceModel:
    """Build the world of ``cfg`` and run it for ``run.steps`` weeks.

    Args:
        cfg: the world.
        progress: called with 1 after every week (for a progress bar).

    Returns:
        The finished model (``model.running`` is False).
    """
    model = MarketplaceModel(cfg)
    for _ in range(cfg.run.steps):
        model.step()
        if progress is not None:
            progress(1)
    return model


def run_tables(model: MarketplaceModel) -> RunTables:
    """The steps, freelancers and contracts tables of a model."""
    return RunTables(model.steps_frame(), model.freelancers_frame(), model.contracts_frame())
