"""Reviews: lenient public stars, candid private outcomes, the displayed rating and the JSS."""

from __future__ import annotations

import numpy as np

# Cut points on the latent (satisfaction + leniency + noise) scale: below 0.2 one star,
# 0.2-0.4 two, 0.4-0.6 three, 0.6-0.8 four, from 0.8 five.
STAR_CUTS = np.array([0.2, 0.4, 0.6, 0.8])


def leniency_now(leniency: float, inflation: float, norm: float) -> float:
    """Rater leniency this week.

    Social pressure (Filippas, Horton & Golden): the higher the rating norm (what raters have
    come to expect, see :func:`update_norm`), the more a below-norm rating harms the
    freelancer, so raters add ``inflation`` per star of the norm above 3.
    """
    return leniency + inflation * max(0.0, norm - 3.0)


def update_norm(norm: float, week_mean_stars: float, norm_weeks: float) -> float:
    """Move the rating norm slowly toward the stars given this week.

    An exponential average with time constant ``norm_weeks``, so inflation builds over years,
    not weeks.
    """
    if not np.isfinite(week_mean_stars):
        return norm
    return norm + (week_mean_stars - norm) / norm_weeks


def stars(
    rng: np.random.Generator, satisfaction: np.ndarray, leniency: float, noise: float
) -> np.ndarray:
    """Public star rating 1..5 from satisfaction, shifted up by leniency (ratings pool at 5)."""
    latent = satisfaction + leniency + rng.normal(0.0, noise, satisfaction.size)
    return (1 + np.searchsorted(STAR_CUTS, latent, side="right")).astype(np.int8)


def private_outcome(
    satisfaction: np.ndarray, success_threshold: float, failure_threshold: float
) -> np.ndarray:
    """Private, candid outcome: +1 success, -1 failure, 0 neutral (no leniency applied)."""
    out = np.zeros(satisfaction.size, dtype=np.int8)
    out[satisfaction >= success_threshold] = 1
    out[satisfaction < failure_threshold] = -1
    return out


def displayed_rating(
    stars_sum: np.ndarray,
    n_reviews: np.ndarray,
    rule: str,
    prior_mean: float,
    prior_weight: float,
    precision: int | None = None,
) -> np.ndarray:
    """The public rating shown: raw mean, or Bayesian average; NaN without reviews.

    With ``precision`` (decimals), the rating as the platform prints it, rounded half up
    (:func:`round_half_up`); None keeps the exact value.
    """
    n = n_reviews.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule == "bayesian":
            r = (prior_mean * prior_weight + stars_sum) / (prior_weight + n)
        else:
            r = stars_sum / n
    r = np.where(n > 0, r, np.nan)
    return r if precision is None else round_half_up(r, precision)


# Slack of the half-up rounding (in units of the last decimal shown): a mean such as 4.95
# (99 / 20) is stored as a double a hair below or above the half, and must round as the printed
# number it stands for does. Exact multiples of the last decimal are unaffected.
_HALF_SLACK = 1e-9


def round_half_up(x: np.ndarray, decimals: int) -> np.ndarray:
    """``x`` rounded to ``decimals`` places, halves up (4.85 -> 4.9, 4.95 -> 5.0); NaN stays.

    Platforms print ratings this way; numpy's ``round`` rounds halves to even and trips over
    binary representation (``np.round(4.85, 1)`` is 4.8).
    """
    scale = 10.0**decimals
    return np.floor(x * scale + (0.5 + _HALF_SLACK)) / scale


def rating_signal(rating: np.ndarray) -> np.ndarray:
    """Rating on [-1, 1] ((r - 3) / 2), 0 where no rating is shown."""
    return np.where(np.isnan(rating), 0.0, (rating - 3.0) / 2.0)


def job_success_score(
    n: np.ndarray, successes: np.ndarray, failures: np.ndarray, min_contracts: int
) -> np.ndarray:
    """JSS = max(0, (successes - failures) / contracts) in the window; NaN until shown."""
    with np.errstate(invalid="ignore", divide="ignore"):
        jss = np.maximum(0.0, (successes - failures) / n.astype(np.float64))
    return np.where(n >= min_contracts, jss, np.nan)


def jss_signal(jss: np.ndarray) -> np.ndarray:
    """JSS on [-1, 1] (2 * jss - 1), 0 where it is not shown."""
    return np.where(np.isnan(jss), 0.0, 2.0 * jss - 1.0)
