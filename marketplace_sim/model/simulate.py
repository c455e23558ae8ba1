"""The one run loop: every caller (run folders, sweep workers, calibration, fitting) uses it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import overload

import pandas as pd

from marketplace_sim.config import Config
from marketplace_sim.model.docking import LukacGrowModel
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


@overload
def simulate(
    world: MarketplaceModel, progress: Callable[[int], None] | None = None
) -> MarketplaceModel: ...
@overload
def simulate(
    world: LukacGrowModel, progress: Callable[[int], None] | None = None
) -> LukacGrowModel: ...
@overload
def simulate(
    world: Config, progress: Callable[[int], None] | None = None
) -> MarketplaceModel | LukacGrowModel: ...
def simulate(
    world: Config | MarketplaceModel | LukacGrowModel,
    progress: Callable[[int], None] | None = None,
) -> MarketplaceModel | LukacGrowModel:
    """Run a world to its horizon, ``run.steps`` weeks (a docking world: or its own end).

    Args:
        world: a config (the model is built from it, see :func:`build_model`), or a model
            built and not yet stepped (to read its state before week 1).
        progress: called with 1 after every week (for a progress bar).

    Returns:
        The finished model.
    """
    model = build_model(world) if isinstance(world, Config) else world
    for _ in range(model.config.run.steps - model.steps):
        if not model.running:  # a docking world's own stopping rule ended it
            break
        model.step()
        if progress is not None:
            progress(1)
    return model


def build_model(world: Config) -> MarketplaceModel | LukacGrowModel:
    """The model a world runs: a docking world's peer model (``[docking]``), else ours."""
    if world.docking is not None:
        return LukacGrowModel(world)
    return MarketplaceModel(world)


def run_tables(model: MarketplaceModel | LukacGrowModel) -> RunTables:
    """The steps, freelancers and contracts tables of a model."""
    return RunTables(model.steps_frame(), model.freelancers_frame(), model.contracts_frame())
