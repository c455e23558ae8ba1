"""marketplace-sim: an agent-based model of a freelance marketplace where reputation compounds.

The public API is imported lazily so that ``import marketplace_sim.metrics`` stays cheap and
does not pull in Mesa.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MarketplaceModel", "load_config", "Config", "ConfigError", "__version__"]

from marketplace_sim.version import __version__


def __getattr__(name: str) -> Any:
    if name == "MarketplaceModel":
        from marketplace_sim.model.marketplace import MarketplaceModel

        return MarketplaceModel
    if name in ("load_config", "Config", "ConfigError"):
        from marketplace_sim import config

        return getattr(config, name)
    raise AttributeError(f"module 'marketplace_sim' has no attribute {name!r}")
