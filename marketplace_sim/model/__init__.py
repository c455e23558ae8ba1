"""The model layer: columnar state, Mesa agents, the weekly cycle and the one run loop.

Imports only the ground layer (``config``, ``errors``, ``metrics``, ``market/``).
"""

from marketplace_sim.model.marketplace import CENTS, METRIC_COLUMNS, MarketplaceModel

__all__ = ["CENTS", "METRIC_COLUMNS", "MarketplaceModel"]
