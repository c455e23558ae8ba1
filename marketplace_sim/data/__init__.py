"""Shipped worlds, experiments and lessons, read as package data (``importlib.resources``).

The checkout's top-level ``configs/`` and ``experiments/`` are links to the folders here, so a
wheel installed anywhere ships the same files a checkout runs.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def root() -> Path:
    """The folder holding ``configs/`` and ``experiments/`` (package data on disk)."""
    return Path(str(resources.files(__name__)))


def configs_dir() -> Path:
    """Shipped worlds (``*.toml``), with the dashboard's lessons under ``lessons/``."""
    return root() / "configs"


def experiments_dir() -> Path:
    """Shipped experiments (``*.toml``, each with a ``.md`` beside it)."""
    return root() / "experiments"


def lessons_dir() -> Path:
    """The dashboard's lessons: a ``.toml`` world and a ``.md`` prompt each."""
    return configs_dir() / "lessons"


def world_names() -> list[str]:
    """Names of the shipped worlds (``baseline``, ``smoke``, ...)."""
    return sorted(p.stem for p in configs_dir().glob("*.toml"))


def experiment_names() -> list[str]:
    """Names of the shipped experiments (``reputation-weight``, ...)."""
    return sorted(p.stem for p in experiments_dir().glob("*.toml"))
