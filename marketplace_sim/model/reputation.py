"""Reputation: what the platform shows of a freelancer, and how it is kept up week by week.

Derived per-row values (displayed rating, job success score, the reputation index that search
and clients read) are computed from the table columns and cached in ``model.cache`` within a
phase of the week. The weekly upkeep expires the rolling 52-week earnings and JSS windows,
re-evaluates the Top Rated badge, freezes first-year earnings and, every few weeks, lets
freelancers review their rates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.market import discovery, pricing, reviews
from marketplace_sim.model import fastpaths
from marketplace_sim.model.state import bump
from marketplace_sim.units import CENTS, WEEKS_PER_YEAR

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

RATE_REVIEW_EVERY = 4  # weeks between freelancers' rate reviews
RATING_NORM_START = 3.0  # stars: no social pressure before any rating history


# --------------------------------------------------------------------------------------------
# Derived state (cached within a phase of the week)


def displayed_ratings(model: MarketplaceModel) -> np.ndarray:
    """Public rating as displayed, per freelancer row (NaN without reviews)."""
    if "rating" not in model.cache:
        model.cache["rating"] = displayed_ratings_of(model, None)
    return model.cache["rating"]


def displayed_ratings_of(model: MarketplaceModel, rows: np.ndarray | None) -> np.ndarray:
    """The displayed rating of ``rows`` (all rows if None), from their columns alone.

    The platform's rule (``platform.rating_display``) at its precision
    (``platform.rating_precision``): what clients and search read.
    """
    p, fl = model.config.platform, model.freelancers
    stars_sum, n = (
        (fl.stars_sum, fl.n_reviews)
        if rows is None
        else (
            fl.stars_sum[rows],
            fl.n_reviews[rows],
        )
    )
    return reviews.displayed_rating(
        stars_sum,
        n,
        p.rating_display,
        p.bayes_prior_mean,
        p.bayes_prior_weight,
        p.rating_precision,
    )


def raw_ratings(model: MarketplaceModel) -> np.ndarray:
    """Mean stars per freelancer row (NaN without reviews)."""
    fl = model.freelancers
    return reviews.displayed_rating(fl.stars_sum, fl.n_reviews, "mean", 0.0, 0.0)


def job_success_scores(model: MarketplaceModel) -> np.ndarray:
    """Job success score per freelancer row (NaN while hidden)."""
    if "jss" not in model.cache:
        fl = model.freelancers
        model.cache["jss"] = reviews.job_success_score(
            fl.jss_n, fl.jss_succ, fl.jss_fail, model.config.platform.jss_min_contracts
        )
    return model.cache["jss"]


def reputation_index(model: MarketplaceModel, rows: np.ndarray | None = None) -> np.ndarray:
    """Reputation index per freelancer row (what clients and search see).

    With ``rows``, the index of those rows only, computed from their columns alone (the
    same values, without the work for everyone who ever left).
    """
    fl, p = model.freelancers, model.config.platform
    if rows is not None:
        rating = displayed_ratings_of(model, rows)
        jss = reviews.job_success_score(
            fl.jss_n[rows], fl.jss_succ[rows], fl.jss_fail[rows], p.jss_min_contracts
        )
        return discovery.reputation_index(
            p.rating_weight * reviews.rating_signal(rating),
            fl.n_reviews[rows],
            p.jss_weight * reviews.jss_signal(jss),
            fl.top_rated[rows],
        )
    if "rep" not in model.cache:
        model.cache["rep"] = discovery.reputation_index(
            p.rating_weight * reviews.rating_signal(displayed_ratings(model)),
            fl.n_reviews,
            p.jss_weight * reviews.jss_signal(job_success_scores(model)),
            fl.top_rated,
        )
    return model.cache["rep"]


def market_mean_rating(model: MarketplaceModel) -> float:
    """Mean of all public star ratings given so far (NaN before the first)."""
    n = model.star_counts.sum()
    return float((model.star_counts * np.arange(6)).sum() / n) if n else float("nan")


# --------------------------------------------------------------------------------------------
# Weekly upkeep


def expire_windows(model: MarketplaceModel, t: int) -> None:
    """Drop payments and outcomes that left the rolling windows (exited rows stay frozen).

    Dormant profiles are still listed: their windows keep expiring (a dormant freelancer's
    JSS fades), so one who comes back has exactly the recent history it would show.
    """
    fl = model.freelancers
    if model.compiled:
        _expire_compiled(model, t)
        return
    live_of = fl.active | fl.dormant if model.config.freelancers.dormancy else fl.active
    earn = model.earnings_window
    while earn and earn[0][0] <= t - WEEKS_PER_YEAR:
        _, rows, net = earn.popleft()
        live = live_of[rows]
        np.subtract.at(fl.earnings_year, rows[live], net[live])
    window, jss = model.config.platform.jss_window, model.jss_window
    while jss and jss[0][0] <= t - window:
        _, rows, outcome = jss.popleft()
        live = live_of[rows]
        rows, outcome = rows[live], outcome[live]
        bump(np.subtract, fl.jss_n, rows)
        np.subtract.at(fl.jss_succ, rows, (outcome == 1).astype(np.int32))
        np.subtract.at(fl.jss_fail, rows, (outcome == -1).astype(np.int32))


def _expire_compiled(model: MarketplaceModel, t: int) -> None:
    """``expire_windows`` through the kernels (the same tallies).

    A week most often expires one entry of each window: those two in one call.
    """
    fl, upkeep = model.freelancers, fastpaths.tables(model).upkeep
    dormancy = model.config.freelancers.dormancy
    earn, jss, window = model.earnings_window, model.jss_window, model.config.platform.jss_window
    due_earn, due_jss = t - WEEKS_PER_YEAR, t - window
    if (
        earn
        and jss
        and earn[0][0] <= due_earn
        and jss[0][0] <= due_jss
        and (len(earn) == 1 or earn[1][0] > due_earn)
        and (len(jss) == 1 or jss[1][0] > due_jss)
    ):
        _, rows, net = earn.popleft()
        _, jss_rows, outcome = jss.popleft()
        upkeep.expire_both(
            (rows, net),
            (jss_rows, outcome),
            (fl.active, fl.dormant, dormancy),
            fl.earnings_year,
            (fl.jss_n, fl.jss_succ, fl.jss_fail),
        )
        return
    while earn and earn[0][0] <= due_earn:
        _, rows, net = earn.popleft()
        upkeep.expire_earnings(rows, net, fl.active, fl.dormant, dormancy, fl.earnings_year)
    while jss and jss[0][0] <= due_jss:
        _, rows, outcome = jss.popleft()
        upkeep.expire_outcomes(
            rows, outcome, fl.active, fl.dormant, dormancy, (fl.jss_n, fl.jss_succ, fl.jss_fail)
        )


def update_reputation(model: MarketplaceModel, t: int) -> None:
    """End of week ``t``: Top Rated badges, first-year earnings, and the monthly rate review."""
    fl = model.freelancers
    if model.compiled:  # badges and rates first: neither reads first-year earnings
        fastpaths.badges_and_rates(model, t, review=t % RATE_REVIEW_EVERY == 0)
        upkeep = fastpaths.tables(model).upkeep
        upkeep.freeze_first_year(t - WEEKS_PER_YEAR, fl.entry_step, fl.earnings, fl.earnings_early)
        return
    award_badges(model, t)
    # Earnings in the first year on the platform, fixed when the year is over.
    lo, hi = np.searchsorted(fl.entry_step, [t - WEEKS_PER_YEAR, t - WEEKS_PER_YEAR + 1])
    fl.earnings_early[lo:hi] = fl.earnings[lo:hi]
    if t % RATE_REVIEW_EVERY == 0:
        review_rates(model, t)


def award_badges(model: MarketplaceModel, t: int) -> None:
    """Re-evaluate the Top Rated badge of everyone (JSS, last year's earnings, tenure)."""
    fl, p = model.freelancers, model.config.platform
    jss = job_success_scores(model)
    tenure = t - fl.entry_step
    was = fl.top_rated.copy()
    with np.errstate(invalid="ignore"):
        badge = (
            fl.active
            & (jss >= p.top_rated_jss)
            & (fl.earnings_year >= p.top_rated_earnings * CENTS)
            & (tenure >= p.top_rated_tenure)
        )
    fl.top_rated[:] = badge
    fl.badge_gained[badge & ~was] = True


def review_rates(model: MarketplaceModel, t: int) -> None:
    """Active freelancers raise their rate if in demand or newly badged, lower it if idle."""
    fl, fe = model.freelancers, model.config.freelancers
    act = np.flatnonzero(fl.active)
    in_demand = fl.declined[act] > 0
    idle = (fl.load[act] == 0) & (t - fl.last_work_step[act] >= fe.idle_weeks_cut)
    fl.rate[act] = pricing.adjust_rates(
        fl.rate[act], in_demand, idle, fl.badge_gained[act], fe.rate_step, fe.rate_floor
    )
    fl.declined[:] = 0
    fl.badge_gained[:] = False
