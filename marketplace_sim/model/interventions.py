"""Interventions: field experiments run inside the market, each in its configured week.

The first-job intervention (Pallais 2014) gives a random share of the never-hired one ordinary
contract, publicly evaluated as an ordinary review, a *detailed* evaluation (the review plus
the worker's expertise revealed) or a *coarse* one (no stars: the job only shows as done);
the early boost (van de Rijt et al. 2014) gives a random share of the never-reviewed (or
never-hired) five-star reviews. Both flag their treated and control groups in the freelancer
table.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.model.contracts import start_contracts
from marketplace_sim.model.hiring import draw_jobs

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel


@dataclass
class _Given:
    """The first-job contracts still open, to evaluate when they end (detailed / coarse)."""

    rows: np.ndarray  # freelancer rows
    ids: np.ndarray  # their given contract's id
    stars_sum: np.ndarray  # the row's public stars and review count after last week
    n_reviews: np.ndarray
    jobs: np.ndarray  # and its completed jobs


#: Per model: the given contracts awaiting a detailed or coarse evaluation.
_GIVEN: weakref.WeakKeyDictionary[MarketplaceModel, _Given] = weakref.WeakKeyDictionary()


def intervene(model: MarketplaceModel, t: int) -> None:
    """Run the interventions due in week ``t``: the first job, then the early boost.

    Runs after the week's contracts are completed, so a given contract that ended this week
    gets its detailed or coarse evaluation here.
    """
    fj = model.config.interventions.first_job
    if fj is not None and fj.at_step == t:
        first_job(model, t, fj.share, fj.evaluation)
    elif fj is not None and fj.evaluation != "review" and model in _GIVEN:
        evaluate(model, fj.evaluation)
    eb = model.config.interventions.early_boost
    if eb is not None and eb.at_step == t:
        early_boost(model, eb.share, eb.reviews, eb.eligible)


def assign(
    model: MarketplaceModel,
    eligible: np.ndarray,
    share: float,
    treated: np.ndarray,
    control: np.ndarray,
) -> np.ndarray:
    """Flag a random ``share`` of ``eligible`` rows treated and the rest control.

    Returns the treated rows.
    """
    perm = model.rng.permutation(eligible)
    n_treat = int(round(share * eligible.size))
    treated[perm[:n_treat]] = True
    control[perm[n_treat:]] = True
    return perm[:n_treat]


def first_job(model: MarketplaceModel, t: int, share: float, evaluation: str = "review") -> None:
    """Pallais (2014): one ordinary contract for a random share of the never-hired."""
    fl, rng = model.freelancers, model.rng
    eligible = np.flatnonzero(fl.active & (fl.hires == 0))
    active_clients = np.flatnonzero(model.clients.active)
    if eligible.size == 0 or active_clients.size == 0:
        return
    treated = assign(model, eligible, share, fl.treated, fl.control)
    k = rng.choice(active_clients, treated.size)
    _, budget, duration = draw_jobs(model, treated.size)
    first_id = model.next_contract_id
    start_contracts(model, t, treated, k, fl.home_niche[treated], budget, duration, False)
    if evaluation != "review" and treated.size:
        ids = np.arange(first_id, first_id + treated.size)
        _GIVEN[model] = _Given(treated, ids, *_feedback(model, treated))


def _feedback(model: MarketplaceModel, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    fl = model.freelancers
    return fl.stars_sum[rows].copy(), fl.n_reviews[rows].copy(), fl.jobs_completed[rows].copy()


def evaluate(model: MarketplaceModel, evaluation: str) -> None:
    """Give the first-job contracts that ended this week their detailed or coarse evaluation.

    Detailed (Pallais's detailed arm: the evaluation described the worker's skills): the
    ordinary review stays and the profile evidence of expertise becomes exact (its error is
    set to 0, so clients with ``clients.expertise_signal_weight`` > 0 see the true
    expertise). Coarse (her coarse arm only said the job was done): the job counts (hires,
    jobs completed, earnings, private outcome) but its public stars are taken back. The
    review of the given job is this week's change of the row's stars; a row that also
    finished another contract this week (rare) keeps its stars, as the two cannot be told
    apart.
    """
    g = _GIVEN[model]
    fl = model.freelancers
    ended = ~np.isin(g.ids, model.contracts.contract_id)
    stars, n_rev, jobs = _feedback(model, g.rows)
    if ended.any():
        rows = g.rows[ended]
        if evaluation == "detailed":
            fl.evidence_z[rows] = 0.0
        else:
            only = ended & (jobs - g.jobs == 1) & (n_rev - g.n_reviews == 1)
            given_stars = (stars - g.stars_sum)[only]
            fl.stars_sum[g.rows[only]] -= given_stars
            fl.n_reviews[g.rows[only]] -= 1
            model.star_counts -= np.bincount(given_stars, minlength=6)[:6]
            model.cache.clear()
    keep = ~ended
    if not keep.any():
        del _GIVEN[model]
        return
    _GIVEN[model] = _Given(g.rows[keep], g.ids[keep], *_feedback(model, g.rows[keep]))


def early_boost(
    model: MarketplaceModel, share: float, n_reviews: int, eligible_by: str = "unreviewed"
) -> None:
    """Early boost (van de Rijt et al. 2014): random never-reviewed freelancers get 5 stars.

    The boost is a public signal only (no work, no earnings, no private outcome, so the
    JSS is untouched); the untreated eligible freelancers of that week are the controls.
    With ``eligible_by = "unhired"`` only the never-hired are eligible, so every hire either
    group has at the end came after the boost.
    """
    fl = model.freelancers
    fresh = fl.n_reviews == 0 if eligible_by == "unreviewed" else fl.hires == 0
    eligible = np.flatnonzero(fl.active & fresh)
    if eligible.size == 0:
        return
    boosted = assign(model, eligible, share, fl.boosted, fl.boost_control)
    fl.stars_sum[boosted] += 5 * n_reviews
    fl.n_reviews[boosted] += n_reviews
    model.star_counts[5] += n_reviews * boosted.size
    model.cache.clear()
