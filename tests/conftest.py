"""Fixtures shared by the test modules (pytest finds them here; no import needed).

Session-scoped fixtures are built once and shared: treat what they return as read-only (a test
that needs to change a run folder copies it, or makes its own with ``tmp_path``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace_sim import data
from marketplace_sim.config import Config, load_config


@pytest.fixture(scope="session")
def smoke_path() -> Path:
    """The shipped smoke world: 200 freelancers, 50 clients, 52 weeks, seed 1."""
    return data.configs_dir() / "smoke.toml"


@pytest.fixture(scope="session")
def smoke_config(smoke_path: Path) -> Config:
    """The smoke world, loaded and validated."""
    return load_config(smoke_path)


@pytest.fixture(scope="session")
def smoke_model(smoke_config: Config):
    """The smoke world run to its horizon (a finished ``MarketplaceModel``; do not step it)."""
    from marketplace_sim.model.simulate import simulate

    return simulate(smoke_config)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory, smoke_path: Path) -> Path:
    """A run folder of the smoke world written by ``marketplace-sim run`` (no figures)."""
    from marketplace_sim.cli import main

    out = tmp_path_factory.mktemp("smoke-run") / "run"
    assert main(["run", str(smoke_path), "--out", str(out), "--quiet", "--no-figures"]) == 0
    return out
