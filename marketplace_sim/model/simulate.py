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


def simulate(
    world: Config | MarketplaceModel, progress: Callable[[int], None] | None = None
) -> MarketplaceModel:
    """Run a world to its horizon, ``run.steps`` weeks.

    Args:
        world: a config (the model is built from it), or a model built and not yet stepped
            (to read its state before week 1).
        progress: called with 1 after every week (for a progress bar).

    Returns:
        The finished model.
    """
    model = world if isinstance(world, MarketplaceModel) else MarketplaceModel(world)
    for _ in range(model.config.run.steps - model.steps):
        model.step()
        if progress is not None:
            progress(1)
    return model


def run_tables(model: MarketplaceModel) -> RunTables:
    """The steps, freelancers and contracts tables of a model."""
    return RunTables(model.steps_frame(), model.freelancers_frame(), model.contracts_frame())
