"""Pricing: freelancers' rate adjustment, and specialists' premium in their home niche."""

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


def home_rate(
    rate: np.ndarray, at_home: np.ndarray, niche_focus: np.ndarray, premium: float
) -> np.ndarray:
    """The rate a freelancer asks for a job, with the specialist premium in its home niche.

    ``rate * (1 + premium * niche_focus)`` in the home niche, ``rate`` elsewhere
    (``freelancers.specialist_premium``). With ``premium == 0`` the rates themselves are
    returned (no arithmetic, the same values).
    """
    if premium == 0:
        return rate
    return rate * (1.0 + premium * niche_focus * at_home)
