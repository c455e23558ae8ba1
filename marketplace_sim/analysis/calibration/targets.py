"""Calibration targets: the bands run statistics should fall in, and the loss.

The targets are data (:data:`TARGETS`): each names a statistic of a finished run, a band the
statistic should fall in, a tolerance that scales distances, and the source of the band. A run
is scored by :func:`loss`, the sum over targets of the squared distance outside each band in
units of its tolerance (0 when every target is met).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NAN_DISTANCE = 10.0  # a statistic that is undefined (NaN) costs as much as 10 tolerances


@dataclass(frozen=True)
class Target:
    """A band a run statistic should fall in.

    Attributes:
        stat: the statistic's name (a key of :func:`run_statistics`).
        label: what the statistic is, in words.
        lo: lower end of the band (None: no lower end).
        hi: upper end of the band (None: no upper end).
        tol: tolerance: a statistic one ``tol`` outside the band costs 1 in the loss.
        kind: ``"fact"`` (a stylized fact) or ``"sanity"`` (the world stays plausible).
        source: where the band comes from.
    """

    stat: str
    label: str
    lo: float | None
    hi: float | None
    tol: float
    kind: str
    source: str

    def distance(self, value: float) -> float:
        """Distance of ``value`` outside the band in tolerances (0 inside, NaN costs 10)."""
        if value is None or not math.isfinite(value):
            return NAN_DISTANCE
        below = self.lo - value if self.lo is not None else 0.0
        above = value - self.hi if self.hi is not None else 0.0
        return max(0.0, below, above) / self.tol

    def passes(self, value: float) -> bool:
        """Whether ``value`` is inside the band (ends included)."""
        return self.distance(value) == 0.0

    def band(self) -> str:
        """The band as text: ``[4.5, 4.9]``, ``>= 0.5`` or ``<= 1``."""
        if self.lo is not None and self.hi is not None:
            return f"[{self.lo:g}, {self.hi:g}]"
        if self.lo is not None:
            return f">= {self.lo:g}"
        return f"<= {self.hi:g}"

    def centrality(self, value: float) -> float:
        """Squared distance from the middle of a two-sided band in half-widths (else 0)."""
        if self.lo is None or self.hi is None or not math.isfinite(value):
            return 0.0
        half = (self.hi - self.lo) / 2
        return ((value - (self.lo + half)) / half) ** 2


TARGETS: tuple[Target, ...] = (
    Target(
        "mean_rating",
        "mean public rating (active freelancers with a review)",
        4.5,
        4.9,
        0.1,
        "fact",
        "Filippas, Horton & Golden 2022: the mean public rating on oDesk/Upwork rose to "
        "about 4.8 of 5",
    ),
    Target(
        "share_five_star",
        "share of all public reviews that are 5 stars",
        0.5,
        0.95,
        0.05,
        "fact",
        "same: most feedback is in the top bin (> 0.5); below 0.95 so that stars still vary",
    ),
    Target(
        "stars_4_over_5",
        "4-star share / 5-star share (J-shape: 5 > 4)",
        None,
        1.0,
        0.1,
        "fact",
        "same: J-shaped distribution, the top bin the largest",
    ),
    Target(
        "stars_3_over_4",
        "3-star share / 4-star share (J-shape: 4 > 3)",
        None,
        1.0,
        0.1,
        "fact",
        "same: J-shaped distribution, falling from 5 to 3 stars",
    ),
    Target(
        "share_never_worked",
        "share of all freelancers ever present with no completed job",
        0.5,
        0.9,
        0.05,
        "fact",
        "Kässi, Lehdonvirta & Stephany 2021: ~9 % of registered profiles ever obtained work "
        "(91 % never); the model's entrants all seek work, so 'most' (> 0.5), at most 0.9",
    ),
    Target(
        "share_ten_plus",
        "share of all freelancers ever present with >= 10 completed jobs",
        0.05,
        0.20,
        0.025,
        "fact",
        "same: ~2 % of profiles did 10+ projects, ~22 % of those who ever worked; a thin "
        "tail of regular workers, scaled up for a population of job seekers",
    ),
    Target(
        "share_top_rated",
        "share of active freelancers holding Top Rated",
        0.08,
        0.12,
        0.01,
        "fact",
        "Upwork's help pages: Top Rated is about the top 10 %",
    ),
    Target(
        "gini_earnings",
        "Gini of cumulative earnings, active freelancers (zeros in)",
        0.7,
        0.95,
        0.05,
        "fact",
        "Lukac & Grow 2020 and the brief: earnings heavily concentrated (Gini > 0.7); "
        "below 0.95, not winner-take-all",
    ),
    Target(
        "top10_share",
        "share of earnings held by the top 10 % of active freelancers",
        0.5,
        0.9,
        0.05,
        "fact",
        "same: the top decile holds most earnings (> 0.5), not all (< 0.9)",
    ),
    Target(
        "fill_rate",
        "share of posted jobs filled in the last year (every 4th week)",
        0.8,
        1.0,
        0.05,
        "sanity",
        "sanity: clients find someone for most jobs (the market clears)",
    ),
    Target(
        "mean_rate",
        "mean hourly rate of active freelancers (USD/hour)",
        15.0,
        75.0,
        5.0,
        "sanity",
        "sanity: rates start at a median of $25/h and stay in a plausible range",
    ),
    Target(
        "active_growth",
        "active freelancers at the end / at mid-run",
        0.8,
        1.25,
        0.05,
        "sanity",
        "sanity: the population is stable over the second half of the run",
    ),
    Target(
        "active_vs_start",
        "active freelancers at the end / at the start",
        0.5,
        1.5,
        0.1,
        "sanity",
        "sanity: the platform neither collapses nor explodes",
    ),
)

#: Statistics reported beside the targets but not in the loss.
DIAGNOSTICS: dict[str, str] = {
    "share_1_star": "share of public reviews with 1 star",
    "share_2_star": "share of public reviews with 2 stars",
    "share_3_star": "share of public reviews with 3 stars",
    "share_4_star": "share of public reviews with 4 stars",
    "share_rarely_worked": "share of all freelancers ever present with < 3 completed jobs",
    "ten_plus_among_hired": "share with >= 10 jobs among those who ever completed one "
    "(Kässi et al.: ~22 % did 10+ projects or earned $1,000+)",
    "share_never_hired": "share of active freelancers with no completed job (metric)",
    "top1_share": "share of earnings held by the top 1 % of active freelancers",
    "merit_spearman": "Spearman of innate expertise with earnings (active)",
    "median_rate": "median hourly rate of active freelancers (USD/hour)",
    "p99_rate": "99th percentile of hourly rates of active freelancers (USD/hour)",
    "freelancers_active": "active freelancers at the end",
    "n_ever": "freelancers ever present",
}


def target_distances(
    stats: Mapping[str, float], targets: Sequence[Target] = TARGETS
) -> dict[str, float]:
    """Each target's distance outside its band, in tolerances (0 inside)."""
    return {t.stat: t.distance(num(stats.get(t.stat))) for t in targets}


def loss(stats: Mapping[str, float], targets: Sequence[Target] = TARGETS) -> float:
    """Sum over targets of the squared distance outside the band, in tolerances.

    0 when every target is met; a statistic one tolerance outside its band adds 1; a missing
    or undefined statistic adds ``NAN_DISTANCE ** 2``.
    """
    return float(sum(d * d for d in target_distances(stats, targets).values()))


def centrality(stats: Mapping[str, float], targets: Sequence[Target] = TARGETS) -> float:
    """Mean squared distance from the middle of the two-sided bands of the facts (tie-break)."""
    vals = [
        t.centrality(num(stats.get(t.stat)))
        for t in targets
        if t.kind == "fact" and t.lo is not None and t.hi is not None
    ]
    return float(np.mean(vals)) if vals else 0.0


def num(x: Any) -> float:
    """``x`` as a float; NaN when it is missing or not a number."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")
