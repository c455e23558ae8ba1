"""Pricing: freelancers raise their rate when in demand and cut it when idle."""

from __future__ import annotations

import numpy as np


def adjust_rates(
    rate: np.ndarray,
    in_demand: np.ndarray,
    idle: np.ndarray,
    new_badge: np.ndarray,
    step: float,
    floor: float,
) -> np.ndarray:
    """New hourly rates after a monthly rate review.

    In demand (turned offers down for lack of capacity since the last review) or newly Top
    Rated: raise by ``step`` (both: twice). Idle for long: cut by ``step``, not below ``floor``.
    Raising only on excess demand keeps rates bounded: a freelancer who prices itself out of
    demand stops raising.
    """
    up = in_demand.astype(np.float64) + new_badge.astype(np.float64)
    factor = (1.0 + step) ** up * np.where(idle, 1.0 - step, 1.0)
    return np.maximum(rate * factor, floor)
