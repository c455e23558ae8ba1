"""The model layer: columnar state, Mesa agents, the weekly cycle and the one run loop.

Imports only the ground layer (``config``, ``errors``, ``metrics``, ``market/``).
"""

from marketplace_sim.model import _mesa  # noqa: F401  (first: Mesa without its unused parts)
from marketplace_sim.model.marketplace import MarketplaceModel
from marketplace_sim.model.observation import METRIC_COLUMNS
from marketplace_sim.units import CENTS

__all__ = ["CENTS", "METRIC_COLUMNS", "MarketplaceModel"]
